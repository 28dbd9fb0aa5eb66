/**
 * Max- and average-sensitivity (Yeh et al. 2019; Bhatt et al. 2020): how much the map moves when the
 * input moves a little. The input gets uniform noise in an L∞ ball; the change is the relative L2 distance
 * ‖φ(x + δ) − φ(x)‖ / ‖φ(x)‖. Lower is more robust.
 */
import type { Model, TensorData } from '../types.js';
import { createRandom } from '../util/random.js';
import type { ExplainFunction } from './explain-fn.js';
import { evalContext, imageOf, mapOf, sampleCount, valueSpread, type MapBatch } from './context.js';

export interface SensitivityOptions {
  /** Noisy copies per image (default 8). */
  numSamples?: number;
  /** Ball radius as a fraction of the image's value range (default 0.02). */
  radius?: number;
  seed?: number;
}

export interface SensitivityResult {
  max: number[];
  average: number[];
}

export async function sensitivity(
  model: Model,
  input: TensorData,
  batch: MapBatch,
  explain: ExplainFunction,
  options: SensitivityOptions = {},
): Promise<SensitivityResult> {
  const ctx = evalContext(model, input, batch);
  const samples = sampleCount(options.numSamples, 8);
  const radius = options.radius ?? 0.02;
  const random = createRandom(options.seed ?? 0);
  const n = ctx.geo.batch;
  const size = ctx.geo.size;
  const noisy = new Float32Array(n * samples * size);
  const classes: number[] = [];
  for (let i = 0; i < n; i++) {
    const image = imageOf(ctx, i);
    const r = radius * valueSpread(image);
    for (let s = 0; s < samples; s++) {
      const base = (i * samples + s) * size;
      for (let e = 0; e < size; e++) noisy[base + e] = image[e] + r * (2 * random.next() - 1);
      classes.push(ctx.classes[i]);
    }
  }
  const maps = await explain(model, { data: noisy, dims: [n * samples, ...input.dims.slice(1)] }, classes);
  const max: number[] = [];
  const average: number[] = [];
  for (let i = 0; i < n; i++) {
    const reference = mapOf(ctx, i);
    let norm = 0;
    for (const v of reference) norm += v * v;
    norm = Math.sqrt(norm);
    const changes: number[] = [];
    for (let s = 0; s < samples; s++) {
      const other = maps.data.subarray((i * samples + s) * ctx.pixels, (i * samples + s + 1) * ctx.pixels);
      let d = 0;
      for (let p = 0; p < ctx.pixels; p++) d += (other[p] - reference[p]) ** 2;
      changes.push(norm > 0 ? Math.sqrt(d) / norm : NaN);
    }
    max.push(Math.max(...changes));
    average.push(changes.reduce((a, b) => a + b, 0) / samples);
  }
  return { max, average };
}
