/**
 * k nearest neighbours of every point. A vantage-point tree is tried first when the distance is a metric; in high
 * intrinsic dimension no tree can prune (every query ends up measuring nearly every point), so when a probe of
 * the first queries shows that, the search switches to brute force over all pairs, each pair measured once.
 * Distances that are not metrics (no triangle inequality, so no safe pruning) always use brute force.
 * Large euclidean data sets (APPROXIMATE_MIN_POINTS points and more) are searched approximately instead
 * (random-projection forest + NN-descent, approximate-neighbors.ts), unless the exact search is asked for.
 */
import { OptionError } from '../errors.js';
import { approximateNeighbors } from './approximate-neighbors.js';
import type { PreparedDistance } from './distances.js';
import { NeighbourHeaps } from './knn-heap.js';
import type { SeededRandom } from './random.js';
import type { PhaseExecutor } from './tasks.js';
import { buildVpTree, searchVpTree, VpSearchStack } from './vptree.js';

export interface NeighbourLists {
  k: number;
  /** n × k neighbour indices, nearest first. */
  indices: Int32Array;
  /** n × k distances matching `indices`. */
  distances: Float64Array;
  /** How they were found. */
  method: 'vptree' | 'brute-force' | 'approximate' | 'matrix-product';
  /** n × k conditionals p(j|i) matching `indices`, when the search fitted them (approximate search only). */
  conditional?: { perplexity: number; values: Float64Array };
}

export interface NeighbourSearchExtras {
  /** Runner of the approximate search's tasks (e.g. worker threads); created only when that search runs. */
  executor?: () => PhaseExecutor;
  /** Fit the conditionals p(j|i) to this perplexity alongside (approximate search only; sparseAffinities uses them). */
  perplexity?: number;
}

/**
 * An exact euclidean search supplied by the host: in Node, `ortNeighbourSearch()` finds the neighbours with
 * ONNX Runtime's matrix products (n² · dim work at matrix-kernel speed). Returns n × k lists, nearest first,
 * the point itself excluded.
 */
export type EuclideanNeighbourSearch = (
  values: Float32Array | Float64Array,
  n: number,
  dim: number,
  k: number,
  onProgress?: (done: number, total: number) => void,
) => Promise<{ k: number; indices: Int32Array; distances: Float64Array }>;

/** 'auto': approximate for euclidean data from APPROXIMATE_MIN_POINTS points on, exact otherwise. */
export type NeighbourSearch = 'auto' | 'exact' | 'approximate';

/**
 * Below this the exact search costs seconds at most (brute force over 50 features: about n² / 4·10⁸ s); above it
 * the approximate search is several times faster; it finds most neighbours where the data's intrinsic dimension is
 * low, and about two thirds on the 50-D Gaussian mixture of the bench (the KL t-SNE reaches barely moves).
 */
export const APPROXIMATE_MIN_POINTS = 20_000;

/** Queries that decide whether the tree pays off. */
const PROBE_QUERIES = 32;
/** Give up on the tree when a query measures more than this share of all points. */
const PRUNING_TOO_WEAK = 0.4;

export function nearestNeighbors(
  distance: PreparedDistance,
  n: number,
  k: number,
  random: SeededRandom,
  onProgress?: (done: number, total: number) => void,
  search: NeighbourSearch = 'auto',
  extras: NeighbourSearchExtras = {},
): NeighbourLists {
  if (search === 'approximate' && !distance.euclideanRows) {
    throw new OptionError(
      'INVALID_OPTION',
      `approximate neighbour search needs the euclidean distance, got '${distance.name}'`,
    );
  }
  const rows = distance.euclideanRows;
  if (rows && (search === 'approximate' || (search === 'auto' && n >= APPROXIMATE_MIN_POINTS))) {
    const found = approximateNeighbors(rows.values, n, rows.dim, k, random, {
      onProgress,
      perplexity: extras.perplexity,
      executor: extras.executor?.(),
    });
    return { ...found, method: 'approximate' };
  }
  let heaps = new NeighbourHeaps(n, k);
  let method: NeighbourLists['method'] = 'brute-force';
  if (distance.isMetric && treeSearch(distance, n, heaps, random, onProgress)) {
    method = 'vptree';
  } else {
    heaps = new NeighbourHeaps(n, k);
    if (distance.euclideanRows) {
      bruteForceEuclidean(distance.euclideanRows.values, distance.euclideanRows.dim, n, heaps, onProgress);
    } else {
      bruteForce(distance, n, heaps, onProgress);
    }
  }
  heaps.sortRows();
  return { k, indices: heaps.indices, distances: heaps.distances, method };
}

/** Returns false (leaving `heaps` partly filled) when the probe shows that the tree does not prune. */
function treeSearch(
  distance: PreparedDistance,
  n: number,
  heaps: NeighbourHeaps,
  random: SeededRandom,
  onProgress?: (done: number, total: number) => void,
): boolean {
  const tree = buildVpTree(n, distance.between, random);
  const stack = new VpSearchStack(n);
  const probe = Math.min(n, PROBE_QUERIES);
  let evaluations = 0;
  const report = Math.max(1, Math.floor(n / 20));
  for (let i = 0; i < n; i++) {
    evaluations += searchVpTree(tree, i, heaps, stack);
    if (i + 1 === probe && n > 4 * PROBE_QUERIES && evaluations > PRUNING_TOO_WEAK * n * probe) return false;
    if (onProgress && ((i + 1) % report === 0 || i + 1 === n)) onProgress(i + 1, n);
  }
  return true;
}

function bruteForce(
  distance: PreparedDistance,
  n: number,
  heaps: NeighbourHeaps,
  onProgress?: (done: number, total: number) => void,
): void {
  const between = distance.between;
  const report = Math.max(1, Math.floor(n / 20));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = between(i, j);
      if (d < heaps.worst(i)) heaps.offer(i, d, j);
      if (d < heaps.worst(j)) heaps.offer(j, d, i);
    }
    if (onProgress && ((i + 1) % report === 0 || i + 1 === n)) onProgress(i + 1, n);
  }
}

/** Rows per cache tile of the brute-force euclidean search. */
const TILE = 64;

/**
 * All pairs, in tiles of rows that stay in cache, as |a|² + |b|² - 2 a·b with four rows of a tile against one
 * row at a time (each loaded value of b feeds four products). Squared distances go into the heaps (same order)
 * and square roots are taken at the end.
 */
function bruteForceEuclidean(
  values: Float32Array | Float64Array,
  dim: number,
  n: number,
  heaps: NeighbourHeaps,
  onProgress?: (done: number, total: number) => void,
): void {
  const x = values instanceof Float64Array ? values : Float64Array.from(values);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < dim; c++) sum += x[i * dim + c] * x[i * dim + c];
    norms[i] = sum;
  }
  const offer = (i: number, j: number, dot: number) => {
    // Rounding can take the difference of nearly equal terms slightly below 0.
    const d = Math.max(0, norms[i] + norms[j] - 2 * dot);
    if (d < heaps.worst(i)) heaps.offer(i, d, j);
    if (d < heaps.worst(j)) heaps.offer(j, d, i);
  };
  for (let ti = 0; ti < n; ti += TILE) {
    const iEnd = Math.min(n, ti + TILE);
    for (let tj = ti; tj < n; tj += TILE) {
      const jEnd = Math.min(n, tj + TILE);
      for (let i = ti; i < iEnd; i += 4) {
        const rows = Math.min(4, iEnd - i);
        // Missing rows of a short group reuse row i; their products are computed and ignored.
        const a0 = i * dim;
        const a1 = rows > 1 ? a0 + dim : a0;
        const a2 = rows > 2 ? a0 + 2 * dim : a0;
        const a3 = rows > 3 ? a0 + 3 * dim : a0;
        // Within one tile, row i + r pairs only with later rows (j > i + r); each pair is visited once.
        for (let j = tj === ti ? i + 1 : tj; j < jEnd; j++) {
          const b = j * dim;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let c = 0; c < dim; c++) {
            const v = x[b + c];
            s0 += x[a0 + c] * v;
            s1 += x[a1 + c] * v;
            s2 += x[a2 + c] * v;
            s3 += x[a3 + c] * v;
          }
          offer(i, j, s0);
          if (rows > 1 && j > i + 1) offer(i + 1, j, s1);
          if (rows > 2 && j > i + 2) offer(i + 2, j, s2);
          if (rows > 3 && j > i + 3) offer(i + 3, j, s3);
        }
      }
    }
    if (onProgress) onProgress(iEnd, n);
  }
  const d = heaps.distances;
  for (let t = 0; t < d.length; t++) d[t] = Math.sqrt(d[t]);
}
