/**
 * Separable resampling of HWC buffers, following MATLAB's imresize conventions:
 *
 * - Pixel centres sit at half-integer positions: output pixel d (0-based) samples the input at
 *   u = (d + 0.5) * inSize / outSize - 0.5, so the image edges (not the first/last pixel centres) line up.
 * - Kernels: 'nearest' = box [-0.5, 0.5), 'bilinear' = triangle, 'bicubic' = Keys cubic with a = -0.5.
 * - When shrinking with 'bilinear'/'bicubic', the kernel is stretched by inSize/outSize (antialiasing),
 *   as MATLAB does by default; 'nearest' never antialiases.
 * - Taps outside the image are mirrored with the edge pixel repeated (… 1 0 | 0 1 2 … n-1 | n-1 n-2 …),
 *   and each output's weights are normalised to sum to 1.
 */
import { OptionError } from '../errors.js';

export type ResizeMethod = 'nearest' | 'bilinear' | 'bicubic';

export const RESIZE_METHODS: readonly ResizeMethod[] = ['nearest', 'bilinear', 'bicubic'];

export interface ResampleOptions {
  method?: ResizeMethod;
  /** Widen the kernel when shrinking (default true, ignored for 'nearest'). */
  antialias?: boolean;
}

interface Kernel {
  width: number;
  at(x: number): number;
}

const KERNELS: Record<ResizeMethod, Kernel> = {
  nearest: { width: 1, at: (x) => (x >= -0.5 && x < 0.5 ? 1 : 0) },
  bilinear: { width: 2, at: (x) => Math.max(0, 1 - Math.abs(x)) },
  bicubic: {
    width: 4,
    at: (x) => {
      const a = Math.abs(x);
      if (a <= 1) return (1.5 * a - 2.5) * a * a + 1;
      if (a < 2) return ((-0.5 * a + 2.5) * a - 4) * a + 2;
      return 0;
    },
  },
};

/** For each output index along one axis: `taps` source indices and their weights. */
export interface AxisWeights {
  taps: number;
  indices: Int32Array;
  weights: Float64Array;
}

export function checkMethod(method: string): ResizeMethod {
  if (!(RESIZE_METHODS as readonly string[]).includes(method)) {
    throw new OptionError(
      'INVALID_OPTION',
      `resize method '${method}' is not supported, expected one of ${RESIZE_METHODS.join(', ')}`,
    );
  }
  return method as ResizeMethod;
}

export function axisWeights(
  inSize: number,
  outSize: number,
  method: ResizeMethod,
  antialias: boolean,
): AxisWeights {
  const kernel = KERNELS[method];
  const scale = outSize / inSize;
  const stretch = antialias && method !== 'nearest' && scale < 1;
  const kernelWidth = stretch ? kernel.width / scale : kernel.width;
  const h = stretch ? (x: number) => scale * kernel.at(scale * x) : kernel.at;
  const taps = Math.ceil(kernelWidth) + 2;
  const indices = new Int32Array(outSize * taps);
  const weights = new Float64Array(outSize * taps);
  const period = 2 * inSize;
  for (let d = 0; d < outSize; d++) {
    const u = (d + 0.5) / scale - 0.5;
    const left = Math.floor(u - kernelWidth / 2);
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const j = left + k;
      const w = h(u - j);
      const m = ((j % period) + period) % period;
      indices[d * taps + k] = m < inSize ? m : period - 1 - m;
      weights[d * taps + k] = w;
      sum += w;
    }
    for (let k = 0; k < taps; k++) weights[d * taps + k] /= sum;
  }
  return trimZeroTaps({ taps, indices, weights }, outSize);
}

/** Drop the leading/trailing zero-weight taps every output has (e.g. 2 of 4 for bilinear up-sampling). */
function trimZeroTaps(axis: AxisWeights, outSize: number): AxisWeights {
  const { taps, indices, weights } = axis;
  let lead = taps;
  let trail = taps;
  for (let d = 0; d < outSize; d++) {
    let first = 0;
    while (first < taps && weights[d * taps + first] === 0) first++;
    let last = taps - 1;
    while (last > first && weights[d * taps + last] === 0) last--;
    lead = Math.min(lead, first);
    trail = Math.min(trail, taps - 1 - last);
  }
  const kept = Math.max(1, taps - lead - trail);
  if (kept === taps) return axis;
  const out: AxisWeights = {
    taps: kept,
    indices: new Int32Array(outSize * kept),
    weights: new Float64Array(outSize * kept),
  };
  for (let d = 0; d < outSize; d++) {
    out.indices.set(indices.subarray(d * taps + lead, d * taps + lead + kept), d * kept);
    out.weights.set(weights.subarray(d * taps + lead, d * taps + lead + kept), d * kept);
  }
  return out;
}

/**
 * Resample an HWC buffer of `channels` interleaved channels to outWidth × outHeight.
 * Zero-weight taps are skipped, so NaNs only spread to outputs that really depend on them.
 */
export function resampleHwc(
  src: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
  options: ResampleOptions = {},
): Float32Array {
  const method = checkMethod(options.method ?? 'bilinear');
  const antialias = options.antialias ?? true;
  for (const [name, value] of [
    ['output width', outWidth],
    ['output height', outHeight],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new OptionError('INVALID_OPTION', `${name} ${value} is not a positive integer`);
    }
  }
  if (outWidth === width && outHeight === height) return Float32Array.from(src);
  const xw = axisWeights(width, outWidth, method, antialias);
  const yw = axisWeights(height, outHeight, method, antialias);
  // Do the cheaper order (typically: shrink the axis that shrinks most first, as imresize does).
  const rowsFirst = outWidth * height * xw.taps + outWidth * outHeight * yw.taps;
  const columnsFirst = width * outHeight * yw.taps + outWidth * outHeight * xw.taps;
  if (rowsFirst <= columnsFirst) {
    const mid = resampleRows(src, width, height, channels, xw, outWidth);
    return resampleColumns(mid, outWidth, height, channels, yw, outHeight);
  }
  const mid = resampleColumns(src, width, height, channels, yw, outHeight);
  return resampleRows(mid, width, outHeight, channels, xw, outWidth);
}

/** Resample along x: width → outWidth. */
function resampleRows(
  src: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  axis: AxisWeights,
  outWidth: number,
): Float32Array {
  const out = new Float32Array(outWidth * height * channels);
  const { taps, indices, weights } = axis;
  if (channels === 1) {
    // The common case (float maps), without the channel loop.
    for (let y = 0; y < height; y++) {
      const rowIn = y * width;
      const rowOut = y * outWidth;
      for (let x = 0; x < outWidth; x++) {
        let acc = 0;
        for (let k = x * taps, end = k + taps; k < end; k++) {
          const w = weights[k];
          if (w !== 0) acc += w * src[rowIn + indices[k]];
        }
        out[rowOut + x] = acc;
      }
    }
    return out;
  }
  for (let y = 0; y < height; y++) {
    const rowIn = y * width * channels;
    const rowOut = y * outWidth * channels;
    for (let x = 0; x < outWidth; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < taps; k++) {
          const w = weights[x * taps + k];
          if (w !== 0) acc += w * src[rowIn + indices[x * taps + k] * channels + c];
        }
        out[rowOut + x * channels + c] = acc;
      }
    }
  }
  return out;
}

/** Resample along y: height → outHeight. */
function resampleColumns(
  src: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  axis: AxisWeights,
  outHeight: number,
): Float32Array {
  const stride = width * channels;
  const out = new Float32Array(stride * outHeight);
  const { taps, indices, weights } = axis;
  for (let y = 0; y < outHeight; y++) {
    const rowOut = y * stride;
    for (let k = 0; k < taps; k++) {
      const w = weights[y * taps + k];
      if (w === 0) continue;
      const rowIn = indices[y * taps + k] * stride;
      for (let i = 0; i < stride; i++) out[rowOut + i] += w * src[rowIn + i];
    }
  }
  return out;
}
