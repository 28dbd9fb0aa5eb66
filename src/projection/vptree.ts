/**
 * Vantage-point tree for k-nearest-neighbour search under any metric (it prunes with the triangle inequality).
 * The tree lives in two flat arrays: `items` holds point indices in tree order and `radius` the split distance of
 * the node rooted at each position. A node spanning items[lo, hi) has its vantage point at lo, the points closer
 * than radius[lo] in [lo + 1, mid) and the others in [mid, hi), with mid = (lo + 1 + hi) >>> 1.
 */
import type { NeighbourHeaps } from './knn-heap.js';
import type { SeededRandom } from './random.js';

export type PairDistance = (i: number, j: number) => number;

export interface VpTree {
  items: Int32Array;
  radius: Float64Array;
  distance: PairDistance;
}

export function buildVpTree(n: number, distance: PairDistance, random: SeededRandom): VpTree {
  const items = new Int32Array(n);
  for (let i = 0; i < n; i++) items[i] = i;
  const radius = new Float64Array(n);
  const scratch = new Float64Array(n);
  // Explicit stack of [lo, hi) ranges: deep recursion is avoided for large n.
  const stack: number[] = [0, n];
  while (stack.length > 0) {
    const hi = stack.pop() as number;
    const lo = stack.pop() as number;
    if (hi - lo <= 1) continue;
    const pick = lo + random.integer(hi - lo);
    swap(items, lo, pick);
    const vantage = items[lo];
    for (let t = lo + 1; t < hi; t++) scratch[t] = distance(vantage, items[t]);
    const mid = (lo + 1 + hi) >>> 1;
    selectNth(items, scratch, lo + 1, hi, mid);
    radius[lo] = scratch[mid];
    stack.push(lo + 1, mid, mid, hi);
  }
  return { items, radius, distance };
}

function swap(items: Int32Array, a: number, b: number): void {
  const t = items[a];
  items[a] = items[b];
  items[b] = t;
}

/** Reorder items[lo, hi) (with their keys) so that position nth holds the nth smallest key (Hoare quickselect). */
function selectNth(items: Int32Array, keys: Float64Array, lo: number, hi: number, nth: number): void {
  let left = lo;
  let right = hi - 1;
  while (right > left) {
    const pivot = keys[(left + right) >>> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (keys[i] < pivot) i++;
      while (keys[j] > pivot) j--;
      if (i <= j) {
        const k = keys[i];
        keys[i] = keys[j];
        keys[j] = k;
        swap(items, i, j);
        i++;
        j--;
      }
    }
    if (nth <= j) right = j;
    else if (nth >= i) left = i;
    else return;
  }
}

/** Scratch space for `searchVpTree`, reusable across queries. */
export class VpSearchStack {
  readonly ranges: Int32Array;
  readonly bounds: Float64Array;
  constructor(n: number) {
    // Median splits keep the depth near log2(n); each level leaves at most one pending range behind.
    const depth = 2 * Math.ceil(Math.log2(n + 2)) + 8;
    this.ranges = new Int32Array(4 * depth);
    this.bounds = new Float64Array(2 * depth);
  }
}

/**
 * Offer to row `query` of `heaps` the items that can be among its k nearest (itself excluded). Returns the number
 * of distances computed, a measure of how well the tree prunes.
 */
export function searchVpTree(
  tree: VpTree,
  query: number,
  heaps: NeighbourHeaps,
  stack: VpSearchStack,
): number {
  const { items, radius, distance } = tree;
  const ranges = stack.ranges;
  // bounds[t] is a lower bound on the distance from the query to any point of pending range t.
  const bounds = stack.bounds;
  let evaluations = 0;
  let top = 0;
  ranges[0] = 0;
  ranges[1] = items.length;
  bounds[0] = 0;
  top = 1;
  while (top > 0) {
    top--;
    const lo = ranges[2 * top];
    const hi = ranges[2 * top + 1];
    const bound = bounds[top];
    if (lo >= hi || bound > heaps.worst(query)) continue;
    const vantage = items[lo];
    const d = distance(query, vantage);
    evaluations++;
    if (vantage !== query) heaps.offer(query, d, vantage);
    if (hi - lo === 1) continue;
    const mid = (lo + 1 + hi) >>> 1;
    const r = radius[lo];
    // Inside points x have d(v, x) <= r, outside ones d(v, x) >= r; the triangle inequality bounds d(q, x) below.
    // The far side is pushed first so the near side is searched first and tightens the heap's bound.
    if (d < r) {
      ranges[2 * top] = mid;
      ranges[2 * top + 1] = hi;
      bounds[top++] = Math.max(bound, r - d);
      ranges[2 * top] = lo + 1;
      ranges[2 * top + 1] = mid;
      bounds[top++] = bound;
    } else {
      ranges[2 * top] = lo + 1;
      ranges[2 * top + 1] = mid;
      bounds[top++] = Math.max(bound, d - r);
      ranges[2 * top] = mid;
      ranges[2 * top + 1] = hi;
      bounds[top++] = bound;
    }
  }
  return evaluations;
}
