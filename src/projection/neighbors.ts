/**
 * k nearest neighbours of every point. A vantage-point tree is tried first when the distance is a metric; in high
 * intrinsic dimension no tree can prune (every query ends up measuring nearly every point), so when a probe of
 * the first queries shows that, the search switches to brute force over all pairs, each pair measured once.
 * Distances that are not metrics (no triangle inequality, so no safe pruning) always use brute force.
 */
import type { PreparedDistance } from './distances.js';
import { NeighbourHeaps } from './knn-heap.js';
import type { SeededRandom } from './random.js';
import { buildVpTree, searchVpTree, VpSearchStack } from './vptree.js';

export interface NeighbourLists {
  k: number;
  /** n × k neighbour indices, nearest first. */
  indices: Int32Array;
  /** n × k distances matching `indices`. */
  distances: Float64Array;
  /** How they were found. */
  method: 'vptree' | 'brute-force';
}

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
): NeighbourLists {
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
 * All pairs, in tiles of rows so that both tiles stay in cache, with squared distances in the heaps (same order)
 * and square roots taken at the end.
 */
function bruteForceEuclidean(
  values: Float32Array | Float64Array,
  dim: number,
  n: number,
  heaps: NeighbourHeaps,
  onProgress?: (done: number, total: number) => void,
): void {
  const x = values instanceof Float64Array ? values : Float64Array.from(values);
  const tiles = Math.ceil(n / TILE);
  for (let ti = 0; ti < tiles; ti++) {
    const iStart = ti * TILE;
    const iEnd = Math.min(n, iStart + TILE);
    for (let tj = ti; tj < tiles; tj++) {
      const jEnd = Math.min(n, (tj + 1) * TILE);
      for (let i = iStart; i < iEnd; i++) {
        const a = i * dim;
        let worstI = heaps.worst(i);
        for (let j = tj === ti ? i + 1 : tj * TILE; j < jEnd; j++) {
          const b = j * dim;
          let sum = 0;
          let c = 0;
          for (; c + 3 < dim; c += 4) {
            const d0 = x[a + c] - x[b + c];
            const d1 = x[a + c + 1] - x[b + c + 1];
            const d2 = x[a + c + 2] - x[b + c + 2];
            const d3 = x[a + c + 3] - x[b + c + 3];
            sum += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3;
          }
          for (; c < dim; c++) {
            const diff = x[a + c] - x[b + c];
            sum += diff * diff;
          }
          if (sum < worstI) {
            heaps.offer(i, sum, j);
            worstI = heaps.worst(i);
          }
          if (sum < heaps.worst(j)) heaps.offer(j, sum, i);
        }
      }
    }
    if (onProgress) onProgress(iEnd, n);
  }
  const d = heaps.distances;
  for (let t = 0; t < d.length; t++) d[t] = Math.sqrt(d[t]);
}
