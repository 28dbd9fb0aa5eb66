/**
 * Noise tunnel around any gradient attribution: run it on `numSamples` noisy copies of each image,
 * x + N(0, σ²) with σ = noiseLevel · (max(x) − min(x)) per image, and aggregate per pixel:
 * - 'smoothGrad' (Smilkov et al., 2017): the mean;
 * - 'smoothGradSquared': the mean of squares;
 * - 'varGrad' (Adebayo et al., 2018): the variance.
 * The target is resolved once on the clean images (e.g. their predicted class) and kept for every copy.
 * Noise comes from the seeded generator: the same seed gives the same bytes.
 */
import { OptionError } from '../../errors.js';
import type { Model, TensorData } from '../../types.js';
import { createRandom } from '../../util/random.js';
import { checkChoice, checkFinite, checkPositiveInt, repeatItems } from '../batch.js';
import { repeatTarget } from '../target.js';
import {
  MAPS_UNREAD,
  prepareAttribution,
  reduceChannels,
  targetFields,
  type AttributionOptions,
  type AttributionResult,
} from './common.js';

export type NoiseTunnelType = 'smoothGrad' | 'smoothGradSquared' | 'varGrad';
export const NOISE_TUNNEL_TYPES: readonly NoiseTunnelType[] = ['smoothGrad', 'smoothGradSquared', 'varGrad'];

export type AttributionFunction<O extends AttributionOptions> = (
  model: Model,
  input: TensorData,
  options: O,
) => Promise<AttributionResult>;

export interface NoiseTunnelOptions {
  /** Default 'smoothGrad'. */
  type?: NoiseTunnelType;
  /** Noisy copies per image (default 25). */
  numSamples?: number;
  /** Noise standard deviation as a fraction of each image's value range (default 0.15). */
  noiseLevel?: number;
  seed?: number;
}

export interface NoiseTunnelResult extends AttributionResult {
  type: NoiseTunnelType;
  numSamples: number;
  noiseLevel: number;
}

export async function noiseTunnel<
  F extends (model: Model, input: TensorData, options: never) => Promise<AttributionResult>,
>(
  attribute: F,
  model: Model,
  input: TensorData,
  methodOptions: NonNullable<Parameters<F>[2]> & NoiseTunnelOptions,
): Promise<NoiseTunnelResult> {
  const options = methodOptions as AttributionOptions & NoiseTunnelOptions;
  const type = checkChoice('type', options.type, NOISE_TUNNEL_TYPES, 'smoothGrad');
  const samples = checkPositiveInt('numSamples', options.numSamples, 25);
  const noiseLevel = checkFinite('noiseLevel', options.noiseLevel, 0.15, 0);
  if (type === 'varGrad' && samples < 2) {
    throw new OptionError('INVALID_OPTION', 'varGrad needs numSamples >= 2');
  }
  const prepared = await prepareAttribution(model, input, options);
  const { geometry: geo, target } = prepared;
  const random = createRandom(options.seed);
  const repeated = repeatItems(input, samples);
  const noisy = {
    data: repeated === input ? Float32Array.from(input.data) : repeated.data,
    dims: repeated.dims,
  };
  for (let n = 0; n < geo.batch; n++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < geo.size; i++) {
      lo = Math.min(lo, input.data[n * geo.size + i]);
      hi = Math.max(hi, input.data[n * geo.size + i]);
    }
    const sigma = noiseLevel * (hi - lo);
    const block = noisy.data.subarray(n * samples * geo.size, (n + 1) * samples * geo.size);
    random.addNormal(block, 0, sigma);
  }
  const innerOptions = {
    ...options,
    [MAPS_UNREAD]: true,
    target: repeatTarget(target, samples),
    baseline: repeatBaseline((options as { baseline?: unknown }).baseline, geo.batch, samples),
  };
  const inner = await (attribute as unknown as AttributionFunction<typeof innerOptions>)(
    model,
    noisy,
    innerOptions,
  );

  const k = target.perImage;
  const items = geo.batch * k;
  const size = geo.size;
  const attribution = new Float32Array(items * size);
  const mean = new Float64Array(size);
  const square = new Float64Array(size);
  const grads = inner.attribution.data;
  for (let item = 0; item < items; item++) {
    const n = Math.floor(item / k);
    const j = item - n * k;
    mean.fill(0);
    square.fill(0);
    for (let s = 0; s < samples; s++) {
      const src = ((n * samples + s) * k + j) * size;
      for (let i = 0; i < size; i++) mean[i] += grads[src + i];
      if (type === 'smoothGrad') continue;
      for (let i = 0; i < size; i++) square[i] += grads[src + i] * grads[src + i];
    }
    for (let i = 0; i < size; i++) {
      const m = mean[i] / samples;
      const sq = square[i] / samples;
      attribution[item * size + i] =
        type === 'smoothGrad'
          ? m
          : type === 'smoothGradSquared'
            ? sq
            : ((sq - m * m) * samples) / (samples - 1);
    }
  }
  const attr = { data: attribution, dims: [items, ...input.dims.slice(1)] };
  return {
    ...inner,
    method: `${inner.method}+${type}`,
    attribution: attr,
    map: reduceChannels(attr, geo, k, inner.channelReduction),
    ...targetFields(prepared),
    cost: {
      forwardPasses: prepared.forwardPasses + inner.cost.forwardPasses,
      vjpItems: inner.cost.vjpItems,
    },
    type,
    numSamples: samples,
    noiseLevel,
  };
}

/** A per-image baseline tensor must follow the images into their noisy copies. */
function repeatBaseline(baseline: unknown, images: number, samples: number): unknown {
  if (typeof baseline === 'object' && baseline !== null && 'dims' in baseline) {
    const t = baseline as TensorData;
    if (t.dims[0] === images && images > 1) return repeatItems(t, samples);
  }
  return baseline;
}
