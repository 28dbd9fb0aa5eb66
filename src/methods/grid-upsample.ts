/**
 * Up-sampling of a coarse map whose values sit at regularly spaced pixel centres (occlusion mask
 * positions, grid cells) onto every pixel of the image.
 *
 * Interpolation runs in pixel coordinates: pixel p of an axis reads the grid at u = (p - first) / step,
 * clamped to the first/last centre, so the map stays aligned with where each value was measured
 * (a plain image resize of the coarse grid would shift it when the centres do not tile the image).
 */
export type UpsamplingMethod = 'bicubic' | 'nearest';

/** Centres first, first + step, ... (count of them) along one axis, in pixels. */
export interface GridAxis {
  first: number;
  step: number;
  count: number;
}

/** Keys' cubic convolution kernel with a = -0.5 (the kernel of MATLAB's and OpenCV's bicubic resize). */
function keys(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t <= 1) return (a + 2) * t * t * t - (a + 3) * t * t + 1;
  if (t < 2) return a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a;
  return 0;
}

interface AxisTaps {
  /** taps per output pixel */
  width: number;
  index: Int32Array;
  weight: Float64Array;
}

function axisTaps(axis: GridAxis, length: number, method: UpsamplingMethod): AxisTaps {
  const width = method === 'nearest' ? 1 : 4;
  const index = new Int32Array(length * width);
  const weight = new Float64Array(length * width);
  const last = axis.count - 1;
  for (let p = 0; p < length; p++) {
    const u = Math.min(Math.max((p - axis.first) / axis.step, 0), last);
    if (method === 'nearest') {
      index[p] = Math.min(Math.round(u), last);
      weight[p] = 1;
      continue;
    }
    const i0 = Math.floor(u);
    const t = u - i0;
    for (let k = 0; k < 4; k++) {
      const i = i0 - 1 + k;
      index[p * 4 + k] = Math.min(Math.max(i, 0), last);
      weight[p * 4 + k] = keys(t - (k - 1));
    }
  }
  return { width, index, weight };
}

/**
 * Interpolates `values` (rows x cols, row-major, rows along `yAxis`) to height x width pixels.
 * Both methods reproduce the grid value exactly at every centre.
 */
export function upsampleGrid(
  values: ArrayLike<number>,
  yAxis: GridAxis,
  xAxis: GridAxis,
  height: number,
  width: number,
  method: UpsamplingMethod,
): Float32Array {
  const rows = yAxis.count;
  const cols = xAxis.count;
  const xt = axisTaps(xAxis, width, method);
  const yt = axisTaps(yAxis, height, method);
  // Separable: along x for each grid row, then along y.
  const horizontal = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = 0; k < xt.width; k++) {
        const j = x * xt.width + k;
        sum += xt.weight[j] * values[r * cols + xt.index[j]];
      }
      horizontal[r * width + x] = sum;
    }
  }
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let k = 0; k < yt.width; k++) {
      const j = y * yt.width + k;
      const w = yt.weight[j];
      if (w === 0) continue;
      const src = yt.index[j] * width;
      const dst = y * width;
      for (let x = 0; x < width; x++) out[dst + x] += w * horizontal[src + x];
    }
  }
  return out;
}
