/**
 * t-distributed stochastic neighbour embedding with the options, names and defaults of MATLAB's `tsne`
 * (camelCase): exact O(n²), Barnes–Hut O(n log n) or FFT-accelerated interpolation O(n) (2-D, FIt-SNE)
 * optimisation of KL(P‖Q). Without an explicit `algorithm`, 2-D embeddings of at least FFT_MIN_POINTS points use
 * the interpolation gradient and smaller ones Barnes–Hut.
 *
 * Pipeline: check the data → optional standardisation → optional PCA → input affinities P (all pairs for 'exact';
 * for 'barneshut' the 3·perplexity nearest neighbours, found with a vantage-point tree when the distance is a
 * metric and the tree prunes, by brute force otherwise; see neighbors.ts) → gradient descent from a small random
 * start (see gradient-descent.ts), with the repulsion approximated on a quad/octree (see sptree.ts) or by
 * interpolation on a grid (see interpolation.ts). From APPROXIMATE_MIN_POINTS points on, euclidean neighbours are
 * found approximately (random-projection forest + NN-descent, see approximate-neighbors.ts).
 *
 * Differences from MATLAB worth knowing: the KL recorded per reported iteration is always the true KL of the
 * current embedding (MATLAB's output function reports it with the exaggerated P during early exaggeration);
 * `learnRate: 'auto'` is scikit-learn's max(n / exaggeration / 4, 50); rows with NaN are an error rather than
 * silently dropped, so the embedding always has one row per input row.
 */
import { OptionError } from '../errors.js';
import type { ProgressCallback } from '../types.js';
import { denseAffinities, entropyTerm, sparseAffinities, squaredDistanceMatrix } from './affinities.js';
import { BarnesHutGradient } from './barnes-hut.js';
import { prepareDistance, type Distance } from './distances.js';
import { ExactGradient } from './exact.js';
import { gradientDescent, type GradientEvaluator } from './gradient-descent.js';
import { InterpolationGradient, type InterpolationSettings } from './interpolation.js';
import {
  nearestNeighbors,
  type EuclideanNeighbourSearch,
  type NeighbourLists,
  type NeighbourSearch,
} from './neighbors.js';
import { pca, standardizeColumns } from './pca.js';
import { seededRandom } from './random.js';
import type { PhaseExecutor } from './tasks.js';

export type TsneAlgorithm = 'barneshut' | 'exact' | 'fft';

export interface TsneOptions {
  /**
   * 'barneshut' (as MATLAB), 'exact' (O(n²) time and memory; up to EXACT_MAX_POINTS points) or 'fft'
   * (FFT-accelerated interpolation, 2-D only). Default: 'fft' for 2-D embeddings of at least FFT_MIN_POINTS
   * points, 'barneshut' otherwise.
   */
  algorithm?: TsneAlgorithm;
  /**
   * Neighbour search for the sparse affinities: 'exact' (vantage-point tree or brute force), 'approximate'
   * (euclidean distance only) or 'auto' (default: approximate from APPROXIMATE_MIN_POINTS euclidean points on).
   */
  neighborSearch?: NeighbourSearch;
  /**
   * Exact euclidean search used in place of the built-in ones whenever the distance is euclidean and
   * `neighborSearch` is not 'approximate' (Node: `ortNeighbourSearch()`, which `netlens embed` passes). On
   * 50-dimensional data the approximate search misses a share of the true neighbours (about 30 % on the
   * 70 000-point benchmark mixture), which changes P.
   */
  euclideanNeighbours?: EuclideanNeighbourSearch;
  /** Distance between input rows (default 'euclidean'); p(j|i) ∝ exp(-d(x_i, x_j)² / 2σ_i²). */
  distance?: Distance;
  /** Exponent of the 'minkowski' distance (default 2). */
  exponent?: number;
  /** Dimension of the embedding: 2 (default) or 3; 'exact' accepts any positive integer. */
  numDimensions?: number;
  /** Reduce the data to this many principal components first; 0 (default) keeps all features. */
  numPCAComponents?: number;
  /** Effective number of neighbours of each point (default 30); must be below the number of points. */
  perplexity?: number;
  /** Factor on P during early exaggeration (default 4, >= 1). */
  exaggeration?: number;
  /**
   * Iterations with exaggerated P, momentum 0.5 (default 99: MATLAB applies the exaggeration "during the first 99
   * iterations"; scikit-learn and the original Barnes–Hut code use 250).
   */
  exaggerationIterations?: number;
  /** Step size (default 500), or 'auto' = max(n / exaggeration / 4, 50) as scikit-learn >= 1.2. */
  learnRate?: number | 'auto';
  /** Barnes–Hut accuracy/speed trade-off in [0, 1] (default 0.5); 0 computes the exact repulsion. */
  theta?: number;
  /** Grid of the 'fft' algorithm: nodes per box, widest box, FFT sides (defaults: see InterpolationSettings). */
  interpolation?: InterpolationSettings;
  /** Centre the features and divide them by their standard deviation first (default false). */
  standardize?: boolean;
  /** Gradient steps (default 1000, MATLAB's Options.MaxIter). */
  maxIterations?: number;
  /** Stop when the gradient norm falls below this (default 1e-10, MATLAB's Options.TolFun). */
  tolerance?: number;
  /** Record the KL divergence every this many iterations (default 20, MATLAB's NumPrint). */
  numPrint?: number;
  /** Start positions, n × numDimensions (default: 1e-4 × standard normal, as MATLAB). */
  initialY?: Float32Array;
  /** Seed of the random start and of the neighbour tree (default 0). */
  seed?: number;
  /**
   * Creates the runner of one job's tasks — the approximate neighbour search with the perplexity calibration, and
   * the interpolation gradient ('fft') — called once per job (default: every task on the calling thread). In
   * Node, `tsneThreads()` runs them on worker threads; the embedding is the same to the last bit on any number of
   * threads.
   */
  executor?: () => PhaseExecutor;
  /** Progress per stage: 'neighbours' (rows searched), 'affinities', 'iterations'. */
  onProgress?: ProgressCallback;
}

export interface TsneResult {
  /** n × numDimensions, row-major. */
  embedding: Float32Array;
  n: number;
  numDimensions: number;
  /**
   * KL(P‖Q) at each recorded iteration, the last entry being the final embedding's. 'exact': the exact KL.
   * 'barneshut': as scikit-learn reports it, a sum over the sparse P with the tree's approximation of the normaliser.
   */
  kl: number[];
  /** Iteration number of each `kl` entry. */
  klIterations: number[];
  /** Gradient steps taken. */
  iterations: number;
  stoppedBy: 'maxIterations' | 'tolerance';
  algorithm: TsneAlgorithm;
  /** The learning rate used (resolves 'auto'). */
  learnRate: number;
  /**
   * Wall time of each stage in milliseconds: neighbours (the search, with the perplexity calibration when the
   * approximate search ran it on the executor's threads), affinities (the rest of P), optimization.
   */
  timings: { preprocessing: number; neighbours: number; affinities: number; optimization: number };
  /** Threads of the executor that ran the jobs (1: the calling thread). */
  threads: number;
}

/** The exact algorithm keeps an n × n matrix; beyond this it needs gigabytes and minutes per run. */
export const EXACT_MAX_POINTS = 10_000;
/**
 * From this many points on, a 2-D embedding uses the interpolation gradient unless told otherwise. Its cost per
 * iteration is O(n) plus FFTs whose size follows the embedding's extent; Barnes–Hut's is O(n log n). At 20 000
 * points (scikit-learn's settings, 1 000 iterations) they cost about the same (interpolation 45 s of CPU,
 * Barnes–Hut 50 s) and Barnes–Hut reaches the lower KL (exact KL against the same P: 3.401 against the
 * interpolation's 3.430; the interpolation's near field is coarser, see docs/dataset-views.md), so the switch
 * comes later.
 */
export const FFT_MIN_POINTS = 30_000;

interface ResolvedOptions {
  algorithm: TsneAlgorithm;
  neighborSearch: NeighbourSearch;
  distance: Distance;
  numDimensions: number;
  numPCAComponents: number;
  perplexity: number;
  exaggeration: number;
  exaggerationIterations: number;
  learnRate: number;
  theta: number;
  maxIterations: number;
  tolerance: number;
  numPrint: number;
  seed: number;
}

function fail(message: string): never {
  throw new OptionError('INVALID_OPTION', message);
}

function resolveOptions(options: TsneOptions, n: number, dim: number): ResolvedOptions {
  const numDimensions = options.numDimensions ?? 2;
  if (!Number.isInteger(numDimensions) || numDimensions < 1) {
    fail(`tsne numDimensions must be a positive integer, got ${numDimensions}`);
  }
  const algorithm = options.algorithm ?? (numDimensions === 2 && n >= FFT_MIN_POINTS ? 'fft' : 'barneshut');
  if (algorithm !== 'barneshut' && algorithm !== 'exact' && algorithm !== 'fft') {
    fail(`tsne algorithm must be 'barneshut', 'exact' or 'fft', got '${String(algorithm)}'`);
  }
  if (algorithm === 'fft' && numDimensions !== 2) {
    fail(`tsne numDimensions must be 2 with the 'fft' algorithm, got ${numDimensions}`);
  }
  const neighborSearch = options.neighborSearch ?? 'auto';
  if (neighborSearch !== 'auto' && neighborSearch !== 'exact' && neighborSearch !== 'approximate') {
    fail(`tsne neighborSearch must be 'auto', 'exact' or 'approximate', got '${String(neighborSearch)}'`);
  }
  if (algorithm === 'barneshut' && numDimensions !== 2 && numDimensions !== 3) {
    fail(`tsne numDimensions must be 2 or 3 with the Barnes–Hut algorithm, got ${numDimensions}`);
  }
  const numPCAComponents = options.numPCAComponents ?? 0;
  if (!Number.isInteger(numPCAComponents) || numPCAComponents < 0 || numPCAComponents > dim) {
    fail(`tsne numPCAComponents must be an integer in [0, ${dim}] (0 = no PCA), got ${numPCAComponents}`);
  }
  const perplexity = options.perplexity ?? 30;
  if (!(perplexity > 0) || !(perplexity < n)) {
    fail(`tsne perplexity must be positive and below the number of points (${n}), got ${perplexity}`);
  }
  const exaggeration = options.exaggeration ?? 4;
  if (!(exaggeration >= 1) || !Number.isFinite(exaggeration)) {
    fail(`tsne exaggeration must be a finite number >= 1, got ${exaggeration}`);
  }
  const exaggerationIterations = options.exaggerationIterations ?? 99;
  if (!Number.isInteger(exaggerationIterations) || exaggerationIterations < 0) {
    fail(`tsne exaggerationIterations must be a nonnegative integer, got ${exaggerationIterations}`);
  }
  const rate = options.learnRate ?? 500;
  const learnRate = rate === 'auto' ? Math.max(n / exaggeration / 4, 50) : rate;
  if (!(learnRate > 0) || !Number.isFinite(learnRate)) {
    fail(`tsne learnRate must be a positive number or 'auto', got ${String(rate)}`);
  }
  const theta = options.theta ?? 0.5;
  if (!(theta >= 0 && theta <= 1)) fail(`tsne theta must be in [0, 1], got ${theta}`);
  const maxIterations = options.maxIterations ?? 1000;
  if (!Number.isInteger(maxIterations) || maxIterations < 0) {
    fail(`tsne maxIterations must be a nonnegative integer, got ${maxIterations}`);
  }
  const tolerance = options.tolerance ?? 1e-10;
  if (!(tolerance >= 0)) fail(`tsne tolerance must be >= 0, got ${tolerance}`);
  const numPrint = options.numPrint ?? 20;
  if (!Number.isInteger(numPrint) || numPrint < 1)
    fail(`tsne numPrint must be a positive integer, got ${numPrint}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) fail(`tsne seed must be an integer, got ${seed}`);
  checkInterpolation(options.interpolation ?? {});
  if (algorithm === 'exact' && n > EXACT_MAX_POINTS) {
    fail(
      `tsne 'exact' keeps an n × n matrix and is limited to ${EXACT_MAX_POINTS} points (got ${n}); use 'barneshut'`,
    );
  }
  return {
    algorithm,
    neighborSearch,
    distance: options.distance ?? 'euclidean',
    numDimensions,
    numPCAComponents,
    perplexity,
    exaggeration,
    exaggerationIterations,
    learnRate,
    theta,
    maxIterations,
    tolerance,
    numPrint,
    seed,
  };
}

function checkInterpolation(grid: InterpolationSettings): void {
  const { nodesPerBox, maxBoxWidth, minFftSize, maxFftSize, denseFftSize } = grid;
  const { nearFieldRadius, nearFieldFrom, nearFieldCandidates, nearFieldEvery, gridEvery } = grid;
  if (nodesPerBox !== undefined && !(Number.isInteger(nodesPerBox) && nodesPerBox >= 2 && nodesPerBox <= 8)) {
    fail(`tsne interpolation.nodesPerBox must be an integer in [2, 8], got ${nodesPerBox}`);
  }
  if (maxBoxWidth !== undefined && !(maxBoxWidth > 0 && Number.isFinite(maxBoxWidth))) {
    fail(`tsne interpolation.maxBoxWidth must be a positive number, got ${maxBoxWidth}`);
  }
  const { denseBoxWidth } = grid;
  if (denseBoxWidth !== undefined && !(denseBoxWidth > 0 && Number.isFinite(denseBoxWidth))) {
    fail(`tsne interpolation.denseBoxWidth must be a positive number, got ${denseBoxWidth}`);
  }
  // Radii of more than 16 node spacings cost far more pairs than they buy accuracy.
  if (nearFieldRadius !== undefined && !(nearFieldRadius >= 0 && nearFieldRadius <= 16)) {
    fail(
      `tsne interpolation.nearFieldRadius must be a number in [0, 16] (node spacings), got ${nearFieldRadius}`,
    );
  }
  if (nearFieldFrom !== undefined && !(nearFieldFrom >= 0 && Number.isFinite(nearFieldFrom))) {
    fail(`tsne interpolation.nearFieldFrom must be a finite number >= 0, got ${nearFieldFrom}`);
  }
  if (
    nearFieldCandidates !== undefined &&
    !(nearFieldCandidates >= 0 && Number.isFinite(nearFieldCandidates))
  ) {
    fail(`tsne interpolation.nearFieldCandidates must be a finite number >= 0, got ${nearFieldCandidates}`);
  }
  if (nearFieldEvery !== undefined && !(Number.isInteger(nearFieldEvery) && nearFieldEvery >= 1)) {
    fail(`tsne interpolation.nearFieldEvery must be a positive integer (evaluations), got ${nearFieldEvery}`);
  }
  if (gridEvery !== undefined && !(Number.isInteger(gridEvery) && gridEvery >= 1)) {
    fail(`tsne interpolation.gridEvery must be a positive integer (evaluations), got ${gridEvery}`);
  }
  for (const [name, size] of [
    ['minFftSize', minFftSize],
    ['maxFftSize', maxFftSize],
    ['denseFftSize', denseFftSize],
  ] as const) {
    // fft.js transforms powers of two only; 4096² complex doubles already take 256 MiB per buffer.
    if (
      size !== undefined &&
      !(Number.isInteger(size) && size >= 16 && size <= 4096 && (size & (size - 1)) === 0)
    ) {
      fail(`tsne interpolation.${name} must be a power of two in [16, 4096], got ${size}`);
    }
  }
}

function checkData(data: Float32Array, n: number, dim: number): void {
  if (!Number.isInteger(n) || n < 2 || !Number.isInteger(dim) || dim < 1) {
    throw new OptionError(
      'INVALID_INPUT',
      `tsne needs at least 2 points and 1 feature, got n=${n}, dim=${dim}`,
    );
  }
  if (data.length !== n * dim) {
    throw new OptionError(
      'INVALID_INPUT',
      `data has ${data.length} values, expected n × dim = ${n} × ${dim}`,
    );
  }
  for (let t = 0; t < data.length; t++) {
    if (!Number.isFinite(data[t])) {
      const row = Math.floor(t / dim);
      throw new OptionError(
        'INVALID_INPUT',
        `tsne data row ${row} has a non-finite value (${data[t]}) at feature ${t % dim}`,
      );
    }
  }
}

/** Embed the n rows of `data` (n × dim, row-major). */
export async function tsne(
  data: Float32Array,
  n: number,
  dim: number,
  options: TsneOptions = {},
): Promise<TsneResult> {
  checkData(data, n, dim);
  const o = resolveOptions(options, n, dim);
  const d = o.numDimensions;
  const random = seededRandom(o.seed);
  const onProgress = options.onProgress;
  const now = () => Date.now();

  // Start positions first, so that they depend on the seed alone.
  const y = new Float64Array(n * d);
  if (options.initialY) {
    if (options.initialY.length !== n * d) {
      fail(`tsne initialY must have n × numDimensions = ${n * d} values, got ${options.initialY.length}`);
    }
    y.set(options.initialY);
    if (!y.every(Number.isFinite)) fail('tsne initialY must hold finite numbers only');
  } else {
    for (let t = 0; t < y.length; t++) y[t] = 1e-4 * random.normal();
  }

  let start = now();
  let features = data;
  let width = dim;
  if (options.standardize) features = standardizeColumns(features, n, width);
  if (o.numPCAComponents > 0) {
    features = pca(features, n, width, { numDimensions: o.numPCAComponents }).embedding;
    width = o.numPCAComponents;
  }
  const distance = prepareDistance(features, n, width, o.distance, { exponent: options.exponent });
  const preprocessing = now() - start;

  start = now();
  let neighboursTime = 0;
  let threads = 1;
  const executor = options.executor
    ? () => {
        const created = (options.executor as () => PhaseExecutor)();
        threads = created.threads;
        return created;
      }
    : undefined;
  let evaluator: GradientEvaluator;
  if (o.algorithm === 'exact') {
    const p = denseAffinities(squaredDistanceMatrix(distance, n), n, o.perplexity);
    evaluator = new ExactGradient(p, n, d);
  } else {
    const k = Math.max(1, Math.min(n - 1, Math.floor(3 * o.perplexity)));
    const progress = (done: number, total: number) => onProgress?.({ done, total, stage: 'neighbours' });
    const rows = distance.euclideanRows;
    const neighbours: NeighbourLists =
      options.euclideanNeighbours && rows && o.neighborSearch !== 'approximate'
        ? {
            ...(await options.euclideanNeighbours(rows.values, n, rows.dim, k, progress)),
            method: 'matrix-product',
          }
        : nearestNeighbors(distance, n, k, random, progress, o.neighborSearch, {
            executor,
            perplexity: o.perplexity,
          });
    neighboursTime = now() - start;
    const p = sparseAffinities(neighbours, n, o.perplexity);
    evaluator =
      o.algorithm === 'fft'
        ? new InterpolationGradient(p, entropyTerm(p.values), options.interpolation, executor?.())
        : new BarnesHutGradient(p, d, o.theta, entropyTerm(p.values));
  }
  onProgress?.({ done: 1, total: 1, stage: 'affinities' });
  const affinities = now() - start - neighboursTime;

  start = now();
  let descent;
  try {
    descent = await gradientDescent(evaluator, y, {
      maxIterations: o.maxIterations,
      exaggeration: o.exaggeration,
      exaggerationIterations: o.exaggerationIterations,
      learnRate: o.learnRate,
      tolerance: o.tolerance,
      reportEvery: o.numPrint,
      onReport: onProgress
        ? (iteration) => onProgress({ done: iteration, total: o.maxIterations, stage: 'iterations' })
        : undefined,
    });
  } finally {
    if (evaluator instanceof InterpolationGradient) evaluator.close();
  }
  const optimization = now() - start;

  return {
    embedding: Float32Array.from(y),
    n,
    numDimensions: d,
    kl: descent.kl,
    klIterations: descent.klIterations,
    iterations: descent.iterations,
    stoppedBy: descent.stoppedBy,
    algorithm: o.algorithm,
    learnRate: o.learnRate,
    timings: { preprocessing, neighbours: neighboursTime, affinities, optimization },
    threads,
  };
}
