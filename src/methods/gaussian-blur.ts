/**
 * Separable Gaussian blur of every channel of a batch in the model's input layout, edges replicated.
 * Used for blurred baselines and as the smoothing prior of activation maximisation.
 */
import type { TensorData } from '../types.js';
import type { ImageGeometry } from './image-layout.js';

function kernel(sigma: number): Float64Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    k[i + radius] = Math.exp((-i * i) / (2 * sigma * sigma));
    sum += k[i + radius];
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** A blurred copy of `input` (sigma in pixels; sigma <= 0 returns a copy). */
export function gaussianBlur(input: TensorData, geo: ImageGeometry, sigma: number): TensorData {
  const out = Float32Array.from(input.data);
  if (!(sigma > 0)) return { data: out, dims: [...input.dims] };
  const k = kernel(sigma);
  const radius = (k.length - 1) / 2;
  const { height: H, width: W } = geo;
  const line = new Float64Array(Math.max(H, W));
  for (let n = 0; n < geo.batch; n++) {
    for (let c = 0; c < geo.channels; c++) {
      const at = (y: number, x: number) =>
        n * geo.size + c * geo.channelStride + (y * W + x) * geo.pixelStride;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          let s = 0;
          for (let t = -radius; t <= radius; t++)
            s += k[t + radius] * out[at(y, Math.min(W - 1, Math.max(0, x + t)))];
          line[x] = s;
        }
        for (let x = 0; x < W; x++) out[at(y, x)] = line[x];
      }
      for (let x = 0; x < W; x++) {
        for (let y = 0; y < H; y++) {
          let s = 0;
          for (let t = -radius; t <= radius; t++)
            s += k[t + radius] * out[at(Math.min(H - 1, Math.max(0, y + t)), x)];
          line[y] = s;
        }
        for (let y = 0; y < H; y++) out[at(y, x)] = line[y];
      }
    }
  }
  return { data: out, dims: [...input.dims] };
}
