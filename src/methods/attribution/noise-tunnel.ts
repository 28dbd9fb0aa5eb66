/**
 * Noise tunnel around any gradient attribution: run it on `numSamples` noisy copies of each image,
 * x + N(0, σ²) with σ = noiseLevel · (max(x) − min(x)) per image, and aggregate per pixel:
 * - 'smoothGrad' (Smilkov et al., 2017): the mean;
 * - 'smoothGradSquared': the mean of squares;
 * - 'varGrad' (Adebayo et al., 2018): the variance.
 * The target is resolved once on the clean images (e.g. their predicted class) and kept for every copy.
 * Noise comes from the seeded generator: the same seed gives the same bytes. The copies are made image by
 * image, at most `miniBatchSize` (and 2²² values) at a time, and summed as they come: memory is bounded by
 * that group, not by the number of images × samples.
 */
import { OptionError } from '../../errors.js';
import type { Model, ProgressCallback, TensorData } from '../../types.js';
import { createRandom } from '../../util/random.js';
import { checkChoice, checkFinite, checkPositiveInt, sliceItems } from '../batch.js';
import { repeatTarget, type ResolvedTarget } from '../target.js';
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
  const k = target.perImage;
  const size = geo.size;
  // Copies made at a time: miniBatchSize bounds them as it bounds every call, and so does their size.
  const group = Math.max(
    1,
    Math.min(samples, options.miniBatchSize ?? samples, Math.floor(COPY_VALUES / size)),
  );
  const attribution = new Float32Array(geo.batch * k * size);
  const mean = new Float64Array(k * size);
  const square = new Float64Array(k * size);
  const cost = { forwardPasses: prepared.forwardPasses, vjpItems: 0 };
  let inner: AttributionResult | undefined;
  for (let n = 0; n < geo.batch; n++) {
    const image = input.data.subarray(n * size, (n + 1) * size);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < size; i++) {
      lo = Math.min(lo, image[i]);
      hi = Math.max(hi, image[i]);
    }
    const sigma = noiseLevel * (hi - lo);
    const imageTarget = targetOfImage(target, n);
    mean.fill(0);
    square.fill(0);
    // The copies of one image in groups of at most COPY_VALUES values: memory stays bounded whatever the
    // number of images and samples, and the noise is drawn in the same order as for all copies at once.
    for (let first = 0; first < samples; first += group) {
      const count = Math.min(group, samples - first);
      const noisy = new Float32Array(count * size);
      for (let c = 0; c < count; c++) noisy.set(image, c * size);
      random.addNormal(noisy, 0, sigma);
      const innerOptions = {
        ...options,
        target: repeatTarget(imageTarget, count),
        baseline: baselineOfImage((options as { baseline?: unknown }).baseline, n, geo.batch),
        onProgress:
          options.onProgress &&
          groupProgress(options.onProgress, n * samples + first, count, geo.batch * samples),
        [MAPS_UNREAD]: true,
      };
      inner = await (attribute as unknown as AttributionFunction<typeof innerOptions>)(
        model,
        { data: noisy, dims: [count, ...input.dims.slice(1)] },
        innerOptions,
      );
      cost.forwardPasses += inner.cost.forwardPasses;
      cost.vjpItems += inner.cost.vjpItems;
      const grads = inner.attribution.data;
      for (let c = 0; c < count; c++) {
        for (let j = 0; j < k; j++) {
          const src = grads.subarray((c * k + j) * size, (c * k + j + 1) * size);
          const m = mean.subarray(j * size, (j + 1) * size);
          for (let i = 0; i < size; i++) m[i] += src[i];
          if (type === 'smoothGrad') continue;
          const sq = square.subarray(j * size, (j + 1) * size);
          for (let i = 0; i < size; i++) sq[i] += src[i] * src[i];
        }
      }
    }
    for (let j = 0; j < k; j++) {
      const out = attribution.subarray((n * k + j) * size, (n * k + j + 1) * size);
      for (let i = 0; i < size; i++) {
        const m = mean[j * size + i] / samples;
        const sq = square[j * size + i] / samples;
        out[i] =
          type === 'smoothGrad'
            ? m
            : type === 'smoothGradSquared'
              ? sq
              : ((sq - m * m) * samples) / (samples - 1);
      }
    }
  }
  // At least one group ran: an empty batch is refused when its geometry is read.
  const last = inner as AttributionResult;
  const attr = { data: attribution, dims: [geo.batch * k, ...input.dims.slice(1)] };
  return {
    method: `${last.method}+${type}`,
    attribution: attr,
    map: reduceChannels(attr, geo, k, last.channelReduction),
    channelReduction: last.channelReduction,
    rule: last.rule,
    ...targetFields(prepared),
    cost,
    type,
    numSamples: samples,
    noiseLevel,
  };
}

/** Values of noisy copies made at a time (16 MiB: 27 copies of a 224² RGB image, one group for the default 25). */
const COPY_VALUES = 1 << 22;

/** Image n's part of a resolved target (its K items). */
function targetOfImage(target: ResolvedTarget, n: number): ResolvedTarget {
  const k = target.perImage;
  const seedSize = target.seeds.data.length / target.seeds.dims[0];
  return {
    ...target,
    seeds: {
      data: target.seeds.data.subarray(n * k * seedSize, (n + 1) * k * seedSize),
      dims: [k, ...target.seeds.dims.slice(1)],
    },
    classes: target.classes.slice(n * k, (n + 1) * k),
    descriptions: target.descriptions.slice(n * k, (n + 1) * k),
    scores: target.scores.slice(n * k, (n + 1) * k),
  };
}

/**
 * The wrapped method's progress on `count` copies, after `before` of all `copies`, as progress over all of
 * them: its units per copy (VJP items, path points) are read from its own total.
 */
function groupProgress(
  onProgress: ProgressCallback,
  before: number,
  count: number,
  copies: number,
): ProgressCallback {
  return ({ done, total, stage }) => {
    const perCopy = total / count;
    onProgress({ done: Math.round(before * perCopy + done), total: Math.round(copies * perCopy), stage });
  };
}

/** A per-image baseline tensor goes with its image (a single one, or a named baseline, serves every image). */
function baselineOfImage(baseline: unknown, n: number, images: number): unknown {
  if (typeof baseline === 'object' && baseline !== null && 'dims' in baseline) {
    const t = baseline as TensorData;
    if (t.dims[0] === images && images > 1) return sliceItems(t, n, 1);
  }
  return baseline;
}
