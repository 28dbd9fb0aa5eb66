/**
 * Integrated gradients (Sundararajan et al., 2017): the gradient averaged along the straight path from a
 * baseline x' to the input x, times (x − x'):
 *   attr = (x − x') ⊙ Σ_i w_i ∇f(x' + α_i (x − x')),
 * with the quadrature (α_i, w_i) of `method` over `numSteps` points. Path points of all images go through
 * the VJP in batches of `miniBatchSize`. f is the target's linear functional <tensor, seed> with the seed
 * fixed on the input, so completeness Σ attr = f(x) − f(x') holds up to the quadrature error; the result
 * reports that error as `delta` = f(x) − f(x') − Σ attr.
 */
import type { Model, TensorData } from '../../types.js';
import { checkChoice, checkPositiveInt } from '../batch.js';
import { runDerivedGradients } from './gradient-batches.js';
import { makeBaseline, type Baseline } from './baselines.js';
import {
  channelReduction,
  prepareAttribution,
  reduceChannels,
  targetFields,
  type AttributionOptions,
  type AttributionResult,
} from './common.js';
import { INTEGRATION_METHODS, quadrature, type IntegrationMethod } from './quadrature.js';

export interface IntegratedGradientsOptions extends AttributionOptions {
  /** Default 'black'. */
  baseline?: Baseline;
  /** Path points (default 50). */
  numSteps?: number;
  /** Quadrature rule (default 'gaussLegendre'). */
  method?: IntegrationMethod;
  /** Sigma in pixels of the 'blurred' baseline. */
  blurSigma?: number;
  /** Seed of the 'uniform' baseline. */
  seed?: number;
}

export interface IntegratedGradientsResult extends AttributionResult {
  baseline: TensorData;
  /** f(x') per item. */
  baselineScores: number[];
  /** f(x) − f(x') − Σ attr per item. */
  delta: number[];
  numSteps: number;
  integration: IntegrationMethod;
}

export async function integratedGradients(
  model: Model,
  input: TensorData,
  options: IntegratedGradientsOptions = {},
): Promise<IntegratedGradientsResult> {
  const how = channelReduction(options, 'sum');
  const steps = checkPositiveInt('numSteps', options.numSteps, 50);
  const method = checkChoice('method', options.method, INTEGRATION_METHODS, 'gaussLegendre');
  const { points, weights } = quadrature(method, steps);
  const prepared = await prepareAttribution(model, input, options);
  const { geometry: geo, target } = prepared;
  const baseline = makeBaseline(options.baseline ?? 'black', input, geo, model.inputSpec, options);
  const k = target.perImage;
  const items = geo.batch * k;
  const size = geo.size;
  const seedSize = target.seeds.data.length / items;

  // f(x') with the same seeds.
  const baseValue = (await model.run(baseline, [target.tensor], { miniBatchSize: options.miniBatchSize }))[
    target.tensor
  ];
  const baselineScores: number[] = [];
  for (let item = 0; item < items; item++) {
    const n = Math.floor(item / k);
    let s = 0;
    for (let j = 0; j < seedSize; j++)
      s += baseValue.data[n * seedSize + j] * target.seeds.data[item * seedSize + j];
    baselineScores.push(s);
  }

  const summed = new Float64Array(items * size);
  const vjp = await model.vjp({ output: target.tensor, wrt: [model.inputName] });
  // Job = item · steps + step: the path points of one item are consecutive.
  await runDerivedGradients({
    vjp,
    total: items * steps,
    itemDims: input.dims.slice(1),
    seedDims: target.seeds.dims.slice(1),
    miniBatchSize: options.miniBatchSize ?? 128,
    write: (buffer, offset, job) => {
      const item = Math.floor(job / steps);
      const n = Math.floor(item / k);
      const alpha = points[job - item * steps];
      const x = n * size;
      for (let i = 0; i < size; i++) {
        const b = baseline.data[x + i];
        buffer[offset + i] = b + alpha * (input.data[x + i] - b);
      }
    },
    seed: (buffer, offset, job) => {
      const item = Math.floor(job / steps);
      buffer.set(target.seeds.data.subarray(item * seedSize, (item + 1) * seedSize), offset);
    },
    collect: (grads, _output, first, count) => {
      for (let j = 0; j < count; j++) {
        const job = first + j;
        const item = Math.floor(job / steps);
        const w = weights[job - item * steps];
        const dst = item * size;
        const src = j * size;
        for (let i = 0; i < size; i++) summed[dst + i] += w * grads.data[src + i];
      }
    },
    onProgress: options.onProgress,
  });

  const attribution = new Float32Array(items * size);
  const delta: number[] = [];
  for (let item = 0; item < items; item++) {
    const n = Math.floor(item / k);
    let total = 0;
    for (let i = 0; i < size; i++) {
      const a = (input.data[n * size + i] - baseline.data[n * size + i]) * summed[item * size + i];
      attribution[item * size + i] = a;
      total += a;
    }
    delta.push(target.scores[item] - baselineScores[item] - total);
  }
  const attr = { data: attribution, dims: [items, ...input.dims.slice(1)] };
  return {
    method: 'integratedGradients',
    attribution: attr,
    map: reduceChannels(attr, geo, k, how),
    channelReduction: how,
    rule: 'gradient',
    ...targetFields(prepared),
    cost: { forwardPasses: prepared.forwardPasses + geo.batch, vjpItems: items * steps },
    baseline,
    baselineScores,
    delta,
    numSteps: steps,
    integration: method,
  };
}
