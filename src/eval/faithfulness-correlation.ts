/**
 * Faithfulness correlation (Bhatt et al., "Evaluating and Aggregating Feature-based Model Explanations",
 * 2020): replace random subsets of pixels with the replacement image and correlate (Pearson) the map's sum
 * over each subset with the score drop it causes. 1 means the map predicts every drop's size.
 */
import type { Model, TensorData } from '../types.js';
import { createRandom } from '../util/random.js';
import { OptionError } from '../errors.js';
import {
  evalContext,
  imageOf,
  mapOf,
  sampleCount,
  scoreCopies,
  writeMixed,
  type MapBatch,
  type MetricOptions,
} from './context.js';
import { replacementImages, type ReplacementOptions } from './replacement.js';
import { pearson } from './stats.js';

export interface FaithfulnessCorrelationOptions extends MetricOptions, ReplacementOptions {
  /** Random subsets per image (default 32). */
  numSamples?: number;
  /** Pixels per subset (default: a sixteenth of the image). */
  subsetSize?: number;
}

export async function faithfulnessCorrelation(
  model: Model,
  input: TensorData,
  batch: MapBatch,
  options: FaithfulnessCorrelationOptions = {},
): Promise<number[]> {
  const ctx = evalContext(model, input, batch);
  const samples = sampleCount(options.numSamples, 32, 2);
  const subset = options.subsetSize ?? Math.max(1, Math.round(ctx.pixels / 16));
  if (!Number.isInteger(subset) || subset < 1 || subset > ctx.pixels) {
    throw new OptionError(
      'INVALID_OPTION',
      `subsetSize must be an integer in 1..${ctx.pixels}, got ${subset}`,
    );
  }
  const replaced = replacementImages(ctx, { ...options, replacement: options.replacement ?? 'mean' });
  const random = createRandom(options.seed ?? 0);
  const n = ctx.geo.batch;
  const per = samples + 1;
  // Subsets drawn up front (partial Fisher–Yates), so the numbers do not depend on the batching.
  const subsets: Int32Array[] = [];
  const pool = Int32Array.from({ length: ctx.pixels }, (_, p) => p);
  for (let s = 0; s < n * samples; s++) {
    for (let k = 0; k < subset; k++) {
      const j = k + random.nextInt(ctx.pixels - k);
      [pool[k], pool[j]] = [pool[j], pool[k]];
    }
    subsets.push(pool.slice(0, subset));
  }
  const size = ctx.geo.size;
  const scores = await scoreCopies(
    ctx,
    n * per,
    (item) => Math.floor(item / per),
    (buffer, offset, item) => {
      const i = Math.floor(item / per);
      const s = (item % per) - 1;
      const chosen = s < 0 ? new Int32Array(0) : subsets[i * samples + s];
      writeMixed(
        ctx,
        buffer,
        offset,
        imageOf(ctx, i),
        replaced.subarray(i * size, (i + 1) * size),
        chosen,
        chosen.length,
      );
    },
    options,
  );
  return Array.from({ length: n }, (_, i) => {
    const map = mapOf(ctx, i);
    const sums: number[] = [];
    const drops: number[] = [];
    for (let s = 0; s < samples; s++) {
      let sum = 0;
      for (const p of subsets[i * samples + s]) sum += map[p];
      sums.push(sum);
      drops.push(scores[i * per] - scores[i * per + 1 + s]);
    }
    return pearson(sums, drops);
  });
}
