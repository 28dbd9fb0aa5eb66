/**
 * Infidelity (Yeh et al., "On the (In)fidelity and Sensitivity of Explanations", 2019) with Gaussian
 * perturbations I: how far Iᵀφ misses the score change f(x) − f(x − I). A pixel map has one value per
 * pixel, so each perturbation moves every channel of a pixel by the same amount.
 *
 * Maps come on arbitrary scales (Grad-CAM is normalised, saliency is not), so φ is first scaled by the
 * best β (as Captum's `normalize`), and the error is divided by E[Δ²]: 0 means the map predicts every
 * change exactly, 1 means it predicts nothing.
 */
import type { Model, TensorData } from '../types.js';
import { createRandom } from '../util/random.js';
import {
  evalContext,
  imageOf,
  mapOf,
  sampleCount,
  scoreCopies,
  valueSpread,
  type MapBatch,
  type MetricOptions,
} from './context.js';

export interface InfidelityOptions extends MetricOptions {
  /** Perturbations per image (default 32). */
  numSamples?: number;
  /** Perturbation standard deviation as a fraction of the image's value range (default 0.05). */
  noise?: number;
}

export async function infidelity(
  model: Model,
  input: TensorData,
  batch: MapBatch,
  options: InfidelityOptions = {},
): Promise<number[]> {
  const ctx = evalContext(model, input, batch);
  const samples = sampleCount(options.numSamples, 32);
  const noise = options.noise ?? 0.05;
  const random = createRandom(options.seed ?? 0);
  const n = ctx.geo.batch;
  const per = samples + 1;
  const { channels, channelStride, pixelStride } = ctx.geo;
  const perturbations: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const sigma = noise * valueSpread(imageOf(ctx, i));
    for (let s = 0; s < samples; s++) {
      perturbations.push(Float32Array.from({ length: ctx.pixels }, () => random.normal(0, sigma)));
    }
  }
  const scores = await scoreCopies(
    ctx,
    n * per,
    (item) => Math.floor(item / per),
    (buffer, offset, item) => {
      const i = Math.floor(item / per);
      const s = (item % per) - 1;
      buffer.set(imageOf(ctx, i), offset);
      if (s < 0) return;
      const I = perturbations[i * samples + s];
      for (let p = 0; p < ctx.pixels; p++) {
        for (let c = 0; c < channels; c++) buffer[offset + p * pixelStride + c * channelStride] -= I[p];
      }
    },
    options,
  );
  return Array.from({ length: n }, (_, i) => {
    const map = mapOf(ctx, i);
    let pp = 0;
    let pd = 0;
    let dd = 0;
    const projections: number[] = [];
    const deltas: number[] = [];
    for (let s = 0; s < samples; s++) {
      const I = perturbations[i * samples + s];
      let proj = 0;
      for (let p = 0; p < ctx.pixels; p++) proj += I[p] * map[p];
      const delta = scores[i * per] - scores[i * per + 1 + s];
      projections.push(proj);
      deltas.push(delta);
      pp += proj * proj;
      pd += proj * delta;
      dd += delta * delta;
    }
    if (!(dd > 0)) return NaN;
    const beta = pp > 0 ? pd / pp : 0;
    let err = 0;
    for (let s = 0; s < samples; s++) err += (beta * projections[s] - deltas[s]) ** 2;
    return err / dd;
  });
}
