/**
 * What a removed pixel becomes in the deletion / insertion game (Petsiuk et al. 2018): a blurred copy of
 * the image, the image's per-channel mean, or seeded noise with the image's per-channel mean and spread.
 */
import { OptionError } from '../errors.js';
import { gaussianBlur } from '../methods/gaussian-blur.js';
import { channelMeans } from '../methods/image-layout.js';
import type { TensorData } from '../types.js';
import { createRandom } from '../util/random.js';
import { imageOf, type EvalContext } from './context.js';

export const REPLACEMENTS = ['blur', 'mean', 'noise'] as const;
export type Replacement = (typeof REPLACEMENTS)[number];

export interface ReplacementOptions {
  replacement?: Replacement;
  /** Blur sigma in pixels (default: a tenth of the shorter image side). */
  blurSigma?: number;
  seed?: number;
}

export function checkReplacement(value: unknown): Replacement {
  if (!REPLACEMENTS.includes(value as Replacement)) {
    throw new OptionError(
      'INVALID_OPTION',
      `replacement must be one of ${REPLACEMENTS.join(', ')}, got '${String(value)}'`,
    );
  }
  return value as Replacement;
}

/** Blurred copies per input batch and sigma: deletion and insertion of every method share them. */
const blurred = new WeakMap<TensorData, Map<number, Float32Array>>();

/** One replacement image per input image, in the model's layout: a flat array like `ctx.input.data`. */
export function replacementImages(ctx: EvalContext, options: ReplacementOptions = {}): Float32Array {
  const kind = checkReplacement(options.replacement ?? 'blur');
  const { geo } = ctx;
  if (kind === 'blur') {
    const sigma = options.blurSigma ?? Math.min(geo.height, geo.width) / 10;
    let bySigma = blurred.get(ctx.input);
    if (!bySigma) blurred.set(ctx.input, (bySigma = new Map()));
    let images = bySigma.get(sigma);
    if (!images) bySigma.set(sigma, (images = gaussianBlur(ctx.input, geo, sigma).data));
    return images;
  }
  const out = new Float32Array(ctx.input.data.length);
  const random = createRandom(options.seed ?? 0);
  const pixels = geo.height * geo.width;
  for (let i = 0; i < geo.batch; i++) {
    const means = channelMeans(ctx.input, geo, i);
    const image = imageOf(ctx, i);
    const base = i * geo.size;
    for (let c = 0; c < geo.channels; c++) {
      let spread = 0;
      for (let p = 0; p < pixels; p++) {
        const d = image[c * geo.channelStride + p * geo.pixelStride] - means[c];
        spread += d * d;
      }
      const std = Math.sqrt(spread / pixels);
      for (let p = 0; p < pixels; p++) {
        const at = base + c * geo.channelStride + p * geo.pixelStride;
        out[at] = kind === 'mean' ? means[c] : random.normal(means[c], std);
      }
    }
  }
  return out;
}
