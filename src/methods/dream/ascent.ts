/**
 * Pieces shared by Deep Dream and class-score maximisation: the valid input range per channel, random
 * starting images, gradient smoothing to an octave's resolution, and one normalised ascent step.
 */
import { OptionError } from '../../errors.js';
import { checkInputSpec } from '../../image/normalize.js';
import { upsample } from '../../image/upsample.js';
import type { RawImage } from '../../image/types.js';
import type { InputSpec, TensorData } from '../../types.js';
import type { Random } from '../../util/random.js';
import type { ImageGeometry } from '../image-layout.js';

/** Per channel, the input values of pixels 0 and 255 (low, high), or undefined without a spec. */
export function pixelBounds(spec: InputSpec | undefined): { low: number[]; high: number[] } | undefined {
  if (!spec) return undefined;
  const plan = checkInputSpec(spec);
  const low: number[] = [];
  const high: number[] = [];
  for (let c = 0; c < spec.channels; c++) {
    const a = (0 - plan.mean[c]) / plan.std[c];
    const b = (255 * spec.scale - plan.mean[c]) / plan.std[c];
    low.push(Math.min(a, b));
    high.push(Math.max(a, b));
  }
  return { low, high };
}

/** Clamps every value to its channel's pixel range. */
export function clampToPixels(
  x: Float32Array,
  geo: ImageGeometry,
  bounds: ReturnType<typeof pixelBounds>,
): void {
  if (!bounds) return;
  const pixels = geo.height * geo.width;
  for (let n = 0; n < x.length / geo.size; n++) {
    for (let c = 0; c < geo.channels; c++) {
      const lo = bounds.low[c];
      const hi = bounds.high[c];
      for (let p = 0; p < pixels; p++) {
        const i = n * geo.size + c * geo.channelStride + p * geo.pixelStride;
        x[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i];
      }
    }
  }
}

/**
 * `count` starting images: `initial` (one image, or one per item), else gray noise (pixels 128 ± 20) drawn at
 * `noiseSize` (the coarsest octave) and up-sampled, so the start holds no detail finer than that octave.
 */
export function startImages(
  initial: TensorData | undefined,
  count: number,
  itemDims: readonly number[],
  geo: ImageGeometry,
  spec: InputSpec | undefined,
  random: Random,
  noiseSize: { width: number; height: number } = geo,
): Float32Array {
  const size = itemDims.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count * size);
  if (initial) {
    const ok =
      initial.dims.length === itemDims.length + 1 &&
      initial.dims.slice(1).every((d, i) => d === itemDims[i]) &&
      (initial.dims[0] === 1 || initial.dims[0] === count) &&
      initial.data.length === initial.dims[0] * size;
    if (!ok) {
      throw new OptionError(
        'INVALID_OPTION',
        `initialImage must be [1 or ${count}, ${itemDims.join(', ')}] in the model's input space, got [${initial.dims}]`,
      );
    }
    for (let i = 0; i < count; i++) {
      const from = initial.dims[0] === 1 ? 0 : i * size;
      out.set(initial.data.subarray(from, from + size), i * size);
    }
    return out;
  }
  if (!spec) {
    throw new OptionError(
      'INVALID_OPTION',
      "without the model's input spec there is no pixel scale for a random start: give initialImage",
    );
  }
  const plan = checkInputSpec(spec);
  const pixels = geo.height * geo.width;
  const coarse = new Float32Array(noiseSize.width * noiseSize.height);
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < geo.channels; c++) {
      for (let p = 0; p < coarse.length; p++) coarse[p] = 128 + 20 * random.normal();
      const plane = upsample(
        { data: coarse, width: noiseSize.width, height: noiseSize.height },
        geo,
        'bilinear',
      ).data;
      for (let p = 0; p < pixels; p++) {
        const pixel = Math.min(255, Math.max(0, plane[p]));
        out[i * size + c * geo.channelStride + p * geo.pixelStride] =
          (pixel * spec.scale - plan.mean[c]) / plan.std[c];
      }
    }
  }
  return out;
}

/**
 * The gradient restricted to an octave: each channel down-sampled to height × width (antialiased) and
 * back, so early octaves change only coarse structure. Identity at the full size.
 */
export function smoothToOctave(grad: Float32Array, geo: ImageGeometry, height: number, width: number): void {
  if (height >= geo.height && width >= geo.width) return;
  const pixels = geo.height * geo.width;
  const plane = new Float32Array(pixels);
  for (let n = 0; n < grad.length / geo.size; n++) {
    for (let c = 0; c < geo.channels; c++) {
      const at = (p: number) => n * geo.size + c * geo.channelStride + p * geo.pixelStride;
      for (let p = 0; p < pixels; p++) plane[p] = grad[at(p)];
      const small = upsample(
        { data: plane, width: geo.width, height: geo.height },
        { width, height },
        'bilinear',
      );
      const back = upsample(small, { width: geo.width, height: geo.height }, 'bilinear').data;
      for (let p = 0; p < pixels; p++) grad[at(p)] = back[p];
    }
  }
}

/** x += rate · g / mean|g| for each item (a step of mean size `rate` whatever the gradient's scale). */
export function normalizedStep(x: Float32Array, grad: Float32Array, size: number, rate: number): void {
  for (let n = 0; n < x.length / size; n++) {
    let mean = 0;
    for (let i = 0; i < size; i++) mean += Math.abs(grad[n * size + i]);
    mean /= size;
    if (!(mean > 0)) continue;
    const k = rate / mean;
    for (let i = 0; i < size; i++) x[n * size + i] += k * grad[n * size + i];
  }
}

/**
 * The result as 8-bit images: pixels per the spec; 'linear' stretches each image to the full 0..255 range
 * (MATLAB's OutputScaling 'linear'), 'none' clamps.
 */
export function toRawImages(x: TensorData, spec: InputSpec, scaling: 'linear' | 'none'): RawImage[] {
  const plan = checkInputSpec(spec);
  const plane = spec.height * spec.width;
  const size = plane * spec.channels;
  const nchw = spec.layout === 'NCHW';
  const images: RawImage[] = [];
  const pixels = new Float64Array(size);
  for (let n = 0; n < x.dims[0]; n++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let c = 0; c < spec.channels; c++) {
      for (let p = 0; p < plane; p++) {
        const v = x.data[n * size + (nchw ? c * plane + p : p * spec.channels + c)];
        const pixel = (v * plan.std[c] + plan.mean[c]) / spec.scale;
        pixels[p * spec.channels + c] = pixel;
        lo = Math.min(lo, pixel);
        hi = Math.max(hi, pixel);
      }
    }
    const data = new Uint8Array(plane * plan.imageChannels);
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < spec.channels; c++) {
        const raw = pixels[p * spec.channels + c];
        const v = scaling === 'linear' ? (hi > lo ? ((raw - lo) / (hi - lo)) * 255 : 0) : raw;
        data[p * plan.imageChannels + plan.source[c]] = Math.round(Math.min(255, Math.max(0, v)));
      }
    }
    images.push({ data, width: spec.width, height: spec.height, channels: plan.imageChannels });
  }
  return images;
}
