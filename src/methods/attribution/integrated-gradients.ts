/**
 * Integrated gradients (Sundararajan et al., 2017): the gradient averaged along the straight path from a
 * baseline x' to the input x, times (x − x'):
 *   attr = (x − x') ⊙ Σ_i w_i ∇f(x' + α_i (x − x')),
 * with the quadrature (α_i, w_i) of `method` over `numSteps` points. Path points of all images go through
 * the VJP in batches of `miniBatchSize`. f is the target's linear functional <tensor, seed> with the seed
 * fixed on the input, so completeness Σ attr = f(x) − f(x') holds up to the quadrature error; the result
 * reports that error as `delta` = f(x) − f(x') − Σ attr. With `tolerance`, the path is integrated adaptively
 * instead (adaptive-path.ts): panels are refined where the completeness check says they are wrong, until
 * |delta| ≤ tolerance·|f(x) − f(x')| or `maxSteps`.
 */
import { OptionError } from '../../errors.js';
import type { Model, TensorData } from '../../types.js';
import { checkChoice, checkPositiveInt } from '../batch.js';
import { checkAdaptiveSteps, integratePathAdaptively, type PathJob } from './adaptive-path.js';
import { runDerivedGradients } from './gradient-batches.js';
import { makeBaseline, type Baseline } from './baselines.js';
import {
  channelReduction,
  prepareAttribution,
  attributionMap,
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
  /**
   * Completeness target |delta| / |f(x) − f(x')|. When set, `numSteps` is the starting number of points
   * (2-point Gauss–Legendre panels) and panels are halved where the check fails, up to `maxSteps`.
   */
  tolerance?: number;
  /** Gradient evaluations per item at most with `tolerance` (default 16 × numSteps). */
  maxSteps?: number;
}

export interface IntegratedGradientsResult extends AttributionResult {
  baseline: TensorData;
  /** f(x') per item. */
  baselineScores: number[];
  /** f(x) − f(x') − Σ attr per item. */
  delta: number[];
  numSteps: number;
  integration: IntegrationMethod | 'adaptiveGaussLegendre';
  /** Gradient evaluations per item (all `numSteps` for a fixed rule). */
  stepsUsed: number[];
  /** Per item: whether |delta| met `tolerance` (undefined without a tolerance). */
  converged?: boolean[];
}

export async function integratedGradients(
  model: Model,
  input: TensorData,
  options: IntegratedGradientsOptions = {},
): Promise<IntegratedGradientsResult> {
  const how = channelReduction(options, 'sum');
  const steps = checkPositiveInt('numSteps', options.numSteps, 50);
  const method = checkChoice('method', options.method, INTEGRATION_METHODS, 'gaussLegendre');
  const adaptive = options.tolerance !== undefined;
  if (adaptive) {
    if (method !== 'gaussLegendre') {
      throw new OptionError(
        'INVALID_OPTION',
        `tolerance integrates with Gauss–Legendre panels; method ${method} cannot be adaptive`,
      );
    }
    checkAdaptiveSteps(steps, options.maxSteps ?? 16 * steps, options.tolerance!);
  } else if (options.maxSteps !== undefined) {
    throw new OptionError('INVALID_OPTION', 'maxSteps applies only with tolerance');
  }
  const prepared = await prepareAttribution(model, input, options);
  const { geometry: geo, target } = prepared;
  const baseline = makeBaseline(options.baseline ?? 'black', input, geo, model.inputSpec, options);
  const path: PathSetup = {
    model,
    input,
    baseline,
    tensor: target.tensor,
    seeds: target.seeds,
    perImage: target.perImage,
    items: geo.batch * target.perImage,
    size: geo.size,
    miniBatchSize: options.miniBatchSize ?? 128,
  };
  const baselineScores = await pathValues(
    path,
    Array.from({ length: path.items }, (_, item) => ({ item, alpha: 0 })),
  );

  let summed: Float64Array;
  let stepsUsed: number[];
  let converged: boolean[] | undefined;
  let forwardPasses = prepared.forwardPasses + path.items;
  if (adaptive) {
    const progress: PathProgress = { done: 0, rounds: 0 };
    const directions = new Map<number, Float32Array>();
    const r = await integratePathAdaptively({
      items: path.items,
      size: path.size,
      startValues: baselineScores,
      endValues: target.scores,
      direction: (item) => {
        let d = directions.get(item);
        if (!d) directions.set(item, (d = pathDirection(path, item)));
        return d;
      },
      gradients: (jobs, collect) => pathGradients(path, jobs, collect, options, progress),
      values: (jobs) => pathValues(path, jobs),
      initialSteps: steps,
      maxSteps: options.maxSteps ?? 16 * steps,
      tolerance: options.tolerance!,
    });
    summed = r.gradientSums;
    stepsUsed = r.stepsUsed;
    converged = r.converged;
    forwardPasses += r.valueEvaluations;
  } else {
    const { points, weights } = quadrature(method, steps);
    summed = new Float64Array(path.items * path.size);
    const jobs: PathJob[] = [];
    for (let item = 0; item < path.items; item++) for (const alpha of points) jobs.push({ item, alpha });
    await pathGradients(
      path,
      jobs,
      (j, grad) => {
        const item = Math.floor(j / steps);
        const w = weights[j - item * steps];
        const sums = summed.subarray(item * path.size, (item + 1) * path.size);
        for (let i = 0; i < sums.length; i++) sums[i] += w * grad[i];
      },
      options,
    );
    stepsUsed = new Array<number>(path.items).fill(steps);
  }

  const { size } = path;
  const k = target.perImage;
  const attribution = new Float32Array(path.items * size);
  const delta: number[] = [];
  for (let item = 0; item < path.items; item++) {
    const n = Math.floor(item / k);
    let total = 0;
    for (let i = 0; i < size; i++) {
      const a = (input.data[n * size + i] - baseline.data[n * size + i]) * summed[item * size + i];
      attribution[item * size + i] = a;
      total += a;
    }
    delta.push(target.scores[item] - baselineScores[item] - total);
  }
  const attr = { data: attribution, dims: [path.items, ...input.dims.slice(1)] };
  return {
    method: 'integratedGradients',
    attribution: attr,
    map: attributionMap(attr, geo, k, how, options),
    channelReduction: how,
    rule: 'gradient',
    ...targetFields(prepared),
    cost: { forwardPasses, vjpItems: stepsUsed.reduce((a, b) => a + b, 0) },
    baseline,
    baselineScores,
    delta,
    numSteps: steps,
    integration: adaptive ? 'adaptiveGaussLegendre' : method,
    stepsUsed,
    ...(converged ? { converged } : {}),
  };
}

/** What the path points need: images, baselines and the target's seeds (one item per image and target). */
interface PathSetup {
  model: Model;
  input: TensorData;
  baseline: TensorData;
  tensor: string;
  seeds: TensorData;
  perImage: number;
  items: number;
  size: number;
  miniBatchSize: number;
}

function pathDirection(path: PathSetup, item: number): Float32Array {
  const n = Math.floor(item / path.perImage);
  const out = new Float32Array(path.size);
  for (let i = 0; i < path.size; i++) {
    out[i] = path.input.data[n * path.size + i] - path.baseline.data[n * path.size + i];
  }
  return out;
}

function writePathPoint(path: PathSetup, buffer: Float32Array, offset: number, job: PathJob): void {
  const x = Math.floor(job.item / path.perImage) * path.size;
  // Locals, not property reads per element: this runs once per path point on every pixel.
  const { size } = path;
  const { alpha } = job;
  const baseline = path.baseline.data.subarray(x, x + size);
  const input = path.input.data.subarray(x, x + size);
  const out = buffer.subarray(offset, offset + size);
  for (let i = 0; i < size; i++) out[i] = baseline[i] + alpha * (input[i] - baseline[i]);
}

/** f (the seed's linear functional of the target tensor) at path points, in chunks of miniBatchSize. */
async function pathValues(path: PathSetup, jobs: readonly PathJob[]): Promise<number[]> {
  const seedSize = path.seeds.data.length / path.items;
  const values: number[] = [];
  for (let first = 0; first < jobs.length; first += path.miniBatchSize) {
    const chunk = jobs.slice(first, first + path.miniBatchSize);
    const data = new Float32Array(chunk.length * path.size);
    chunk.forEach((job, j) => writePathPoint(path, data, j * path.size, job));
    const out = (
      await path.model.run({ data, dims: [chunk.length, ...path.input.dims.slice(1)] }, [path.tensor], {
        miniBatchSize: path.miniBatchSize,
      })
    )[path.tensor];
    chunk.forEach((job, j) => {
      let s = 0;
      for (let i = 0; i < seedSize; i++) {
        s += out.data[j * seedSize + i] * path.seeds.data[job.item * seedSize + i];
      }
      values.push(s);
    });
  }
  return values;
}

/** Gradient evaluations so far, for progress over several rounds of one call. */
interface PathProgress {
  done: number;
  rounds: number;
}

async function pathGradients(
  path: PathSetup,
  jobs: readonly PathJob[],
  collect: (job: number, grad: Float32Array) => void,
  options: IntegratedGradientsOptions,
  progress: PathProgress = { done: 0, rounds: 0 },
): Promise<void> {
  const seedSize = path.seeds.data.length / path.items;
  const vjp = await path.model.vjp({ output: path.tensor, wrt: [path.model.inputName] });
  await runDerivedGradients({
    vjp,
    total: jobs.length,
    itemDims: path.input.dims.slice(1),
    seedDims: path.seeds.dims.slice(1),
    miniBatchSize: path.miniBatchSize,
    write: (buffer, offset, j) => writePathPoint(path, buffer, offset, jobs[j]),
    seed: (buffer, offset, j) => {
      const item = jobs[j].item;
      buffer.set(path.seeds.data.subarray(item * seedSize, (item + 1) * seedSize), offset);
    },
    collect: (grads, _output, first, count) => {
      for (let j = 0; j < count; j++) {
        collect(first + j, grads.data.subarray(j * path.size, (j + 1) * path.size));
      }
    },
    onProgress: options.onProgress,
    // Adaptive rounds extend the total as they come: later rounds show as refinement.
    progressOffset: progress.done,
    progressTotal: progress.done + jobs.length,
    stage: progress.rounds === 0 ? 'gradients' : `refining the path (round ${progress.rounds})`,
  });
  progress.done += jobs.length;
  progress.rounds += 1;
}
