/**
 * UMAP behind the same interface as t-SNE, with two engines over the same neighbours (this module's own search:
 * vantage-point tree, brute force, or approximate for large euclidean sets, on worker threads when an `executor`
 * is given), so every distance of `distances.ts` works and all randomness comes from the seeded generator:
 *
 * - 'typed' (umap-graph.ts, umap-curve.ts, umap-layout.ts): the fuzzy simplicial set, a PCA start scaled to ±10
 *   (umap-learn's `init='pca'`) and umap-learn's epochs, all in typed arrays.
 * - 'umap-js': the `umap-js` package (random start in ±10, its own graph and epochs over arrays of arrays).
 *
 * 'auto' (default) takes 'typed' from TYPED_MIN_POINTS points on and 'umap-js' below.
 */
import { UMAP } from 'umap-js';
import { OptionError } from '../errors.js';
import type { ProgressCallback } from '../types.js';
import { prepareDistance, type Distance } from './distances.js';
import { nearestNeighbors, type NeighbourLists } from './neighbors.js';
import { pca } from './pca.js';
import { seededRandom, type SeededRandom } from './random.js';
import type { PhaseExecutor } from './tasks.js';
import { fitUmapCurve } from './umap-curve.js';
import { fuzzySimplicialSet } from './umap-graph.js';
import { optimizeLayout } from './umap-layout.js';

export type UmapEngine = 'auto' | 'typed' | 'umap-js';

/**
 * From this many points on, 'auto' takes the typed-array engine: umap-js's epochs cost about three times as
 * much (212 s of CPU at 70 000 points); below, umap-js keeps the layouts small sets have always had.
 */
export const TYPED_MIN_POINTS = 10_000;

export interface UmapOptions {
  /** Dimension of the embedding (default 2). */
  numDimensions?: number;
  /** Size of the local neighbourhood, the point itself included (default 15, as umap-js). */
  nNeighbors?: number;
  /** Smallest distance between embedded points (default 0.1). */
  minDist?: number;
  /** Scale of the embedded points (default 1). */
  spread?: number;
  /** Optimisation epochs (default: umap-js's choice from n, 200–500). */
  nEpochs?: number;
  /** Default 'euclidean'. */
  distance?: Distance;
  /** Exponent of the 'minkowski' distance (default 2). */
  exponent?: number;
  seed?: number;
  /** 'auto' (default), 'typed' or 'umap-js' (see above). */
  engine?: UmapEngine;
  /**
   * Runner of the tasks of the approximate neighbour search (either engine) and of the typed engine's epochs, e.g.
   * `tsneThreads()` in Node; the embedding is the same on any number of threads.
   */
  executor?: () => PhaseExecutor;
  onProgress?: ProgressCallback;
}

export interface UmapResult {
  /** n × numDimensions, row-major. */
  embedding: Float32Array;
  n: number;
  numDimensions: number;
  epochs: number;
  /** The engine that ran. */
  engine: Exclude<UmapEngine, 'auto'>;
}

const YIELD_EVERY_MS = 100;

export async function umap(
  data: Float32Array,
  n: number,
  dim: number,
  options: UmapOptions = {},
): Promise<UmapResult> {
  const numDimensions = options.numDimensions ?? 2;
  const nNeighbors = options.nNeighbors ?? 15;
  if (!Number.isInteger(numDimensions) || numDimensions < 1) {
    throw new OptionError(
      'INVALID_OPTION',
      `UMAP numDimensions must be a positive integer, got ${numDimensions}`,
    );
  }
  if (!Number.isInteger(nNeighbors) || nNeighbors < 2 || nNeighbors >= n) {
    throw new OptionError(
      'INVALID_OPTION',
      `UMAP nNeighbors must be an integer in [2, ${n - 1}] (below the number of points), got ${nNeighbors}`,
    );
  }
  const engine = options.engine ?? 'auto';
  if (engine !== 'auto' && engine !== 'typed' && engine !== 'umap-js') {
    throw new OptionError(
      'INVALID_OPTION',
      `UMAP engine must be 'auto', 'typed' or 'umap-js', got '${String(engine)}'`,
    );
  }
  const minDist = options.minDist ?? 0.1;
  const spread = options.spread ?? 1;
  if (!(spread > 0) || !(minDist >= 0) || !(minDist <= spread)) {
    throw new OptionError(
      'INVALID_OPTION',
      `UMAP needs spread > 0 and 0 <= minDist <= spread, got spread ${spread}, minDist ${minDist}`,
    );
  }
  const nEpochs = options.nEpochs ?? defaultEpochs(n);
  if (!Number.isInteger(nEpochs) || nEpochs < 1) {
    throw new OptionError('INVALID_OPTION', `UMAP nEpochs must be a positive integer, got ${nEpochs}`);
  }
  const random = seededRandom(options.seed ?? 0);
  const distance = prepareDistance(data, n, dim, options.distance ?? 'euclidean', {
    exponent: options.exponent,
  });
  // The point itself counts as its first neighbour (at distance 0) in nNeighbors, and is not searched for.
  const found = nearestNeighbors(
    distance,
    n,
    nNeighbors - 1,
    random,
    (done, total) => options.onProgress?.({ done, total, stage: 'neighbours' }),
    'auto',
    { executor: options.executor },
  );
  const typed = engine === 'typed' || (engine === 'auto' && n >= TYPED_MIN_POINTS);
  const run = { data, n, dim, numDimensions, nNeighbors, minDist, spread, nEpochs, random };
  const embedding = typed ? await typedUmap(found, run, options) : await umapJs(found, run, options);
  return { embedding, n, numDimensions, epochs: nEpochs, engine: typed ? 'typed' : 'umap-js' };
}

/** umap-js's epoch count: 500 up to 2 500 points, 400 up to 5 000, 300 up to 7 500, 200 beyond. */
function defaultEpochs(n: number): number {
  return n <= 2500 ? 500 : n <= 5000 ? 400 : n <= 7500 ? 300 : 200;
}

interface UmapRun {
  data: Float32Array;
  n: number;
  dim: number;
  numDimensions: number;
  nNeighbors: number;
  minDist: number;
  spread: number;
  nEpochs: number;
  random: SeededRandom;
}

async function typedUmap(found: NeighbourLists, run: UmapRun, options: UmapOptions): Promise<Float32Array> {
  const { data, n, dim, numDimensions, nNeighbors, random } = run;
  const graph = fuzzySimplicialSet(found, n, nNeighbors);
  const { a, b } = fitUmapCurve(run.spread, run.minDist);
  // PCA start scaled so the largest coordinate is 10, plus a little noise (umap-learn's init='pca').
  const start = new Float64Array(n * numDimensions);
  if (numDimensions <= dim) {
    start.set(pca(data, n, dim, { numDimensions, seed: 0 }).embedding);
  } else {
    for (let t = 0; t < start.length; t++) start[t] = random.normal();
  }
  let largest = 0;
  for (const v of start) largest = Math.max(largest, Math.abs(v));
  const scale = largest > 0 ? 10 / largest : 1;
  for (let t = 0; t < start.length; t++) start[t] = start[t] * scale + 1e-4 * random.normal();
  await optimizeLayout(start, numDimensions, graph, random, {
    epochs: run.nEpochs,
    a,
    b,
    executor: options.executor?.(),
    onProgress: options.onProgress,
  });
  return Float32Array.from(start);
}

async function umapJs(found: NeighbourLists, run: UmapRun, options: UmapOptions): Promise<Float32Array> {
  const { data, n, dim, numDimensions, nNeighbors, random } = run;
  const knnIndices: number[][] = [];
  const knnDistances: number[][] = [];
  for (let i = 0; i < n; i++) {
    const base = i * (nNeighbors - 1);
    knnIndices.push([i, ...found.indices.subarray(base, base + nNeighbors - 1)]);
    knnDistances.push([0, ...found.distances.subarray(base, base + nNeighbors - 1)]);
  }

  const model = new UMAP({
    nComponents: numDimensions,
    nNeighbors,
    minDist: run.minDist,
    spread: run.spread,
    nEpochs: run.nEpochs,
    random: random.uniform,
  });
  model.setPrecomputedKNN(knnIndices, knnDistances);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from(data.subarray(i * dim, (i + 1) * dim)));
  const epochs = model.initializeFit(rows);
  let lastYield = Date.now();
  for (let epoch = 0; epoch < epochs; epoch++) {
    model.step();
    if (Date.now() - lastYield > YIELD_EVERY_MS) {
      options.onProgress?.({ done: epoch + 1, total: epochs, stage: 'epochs' });
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      lastYield = Date.now();
    }
  }
  options.onProgress?.({ done: epochs, total: epochs, stage: 'epochs' });
  const result = model.getEmbedding();
  const embedding = new Float32Array(n * numDimensions);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < numDimensions; c++) embedding[i * numDimensions + c] = result[i][c];
  return embedding;
}
