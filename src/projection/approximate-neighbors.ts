/**
 * Approximate k nearest neighbours under the euclidean distance, for data sets where the exact search costs
 * O(n²) distance evaluations (70 000 points: minutes). Two classic steps:
 *
 * 1. A random-projection forest (as Annoy, Dasgupta & Freund 2008): each tree splits its points by the
 *    hyperplane halfway between two random points of the node until a leaf holds at most `leafSize` points; every
 *    pair within a leaf is measured. Points that are close tend to share leaves in some of the trees.
 * 2. NN-descent (Dong, Moses & Li 2011): "a neighbour of a neighbour is likely a neighbour". Each round joins, for
 *    every point, the neighbours it gained in the last round with each other and with its older neighbours
 *    (forward and reverse lists, sampled to `maxCandidates`), until a round improves almost nothing.
 *
 * All randomness comes from the seeded generator, so the result is reproducible.
 */
import type { SeededRandom } from './random.js';

export interface ApproximateSearchOptions {
  /** Random-projection trees (default 6). */
  trees?: number;
  /** Most points in a leaf (default max(k + 1, 48)). */
  leafSize?: number;
  /** NN-descent rounds at most (default 6). */
  maxRounds?: number;
  /** Candidates sampled per point and round (default 12). */
  maxCandidates?: number;
  /** Stop when a round changes fewer than this share of all n·k entries (default 0.002). */
  delta?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ApproximateNeighbours {
  k: number;
  /** n × k neighbour indices, nearest first. */
  indices: Int32Array;
  /** n × k euclidean distances matching `indices`. */
  distances: Float64Array;
}

/**
 * Bounded max-heaps of squared distances, one per point, whose entries carry a "new" flag (joined in the next
 * NN-descent round) and refuse duplicates.
 */
class FlaggedHeaps {
  readonly distances: Float64Array;
  readonly indices: Int32Array;
  readonly isNew: Uint8Array;

  constructor(
    readonly rows: number,
    readonly k: number,
  ) {
    this.distances = new Float64Array(rows * k).fill(Infinity);
    this.indices = new Int32Array(rows * k).fill(-1);
    this.isNew = new Uint8Array(rows * k);
  }

  worst(row: number): number {
    return this.distances[row * this.k];
  }

  /** Keeps (distance, index) when it beats the row's worst entry and is not there yet; returns whether it did. */
  offer(row: number, distance: number, index: number): boolean {
    const k = this.k;
    const base = row * k;
    const d = this.distances;
    const ix = this.indices;
    if (distance >= d[base]) return false;
    for (let t = base; t < base + k; t++) if (ix[t] === index) return false;
    const flags = this.isNew;
    let c = 0;
    for (;;) {
      let child = 2 * c + 1;
      if (child >= k) break;
      if (child + 1 < k && d[base + child + 1] > d[base + child]) child++;
      if (d[base + child] <= distance) break;
      d[base + c] = d[base + child];
      ix[base + c] = ix[base + child];
      flags[base + c] = flags[base + child];
      c = child;
    }
    d[base + c] = distance;
    ix[base + c] = index;
    flags[base + c] = 1;
    return true;
  }
}

/** Squared euclidean distance between rows i and j of x (n × dim). */
function squaredDistance(x: Float64Array, dim: number, i: number, j: number): number {
  const a = i * dim;
  const b = j * dim;
  let sum = 0;
  for (let c = 0; c < dim; c++) {
    const diff = x[a + c] - x[b + c];
    sum += diff * diff;
  }
  return sum;
}

export function approximateNeighbors(
  values: Float32Array | Float64Array,
  n: number,
  dim: number,
  k: number,
  random: SeededRandom,
  options: ApproximateSearchOptions = {},
): ApproximateNeighbours {
  const x = values instanceof Float64Array ? values : Float64Array.from(values);
  const heaps = new FlaggedHeaps(n, k);
  const trees = options.trees ?? 6;
  const leafSize = Math.max(options.leafSize ?? Math.max(k + 1, 48), 2);
  const maxRounds = options.maxRounds ?? 6;
  const total = trees + maxRounds;
  for (let t = 0; t < trees; t++) {
    projectionTree(x, n, dim, leafSize, heaps, random);
    options.onProgress?.(t + 1, total);
  }
  nnDescent(x, n, dim, heaps, random, {
    maxRounds,
    maxCandidates: options.maxCandidates ?? 12,
    delta: options.delta ?? 0.002,
    onRound: (round) => options.onProgress?.(trees + round, total),
  });
  fillShortRows(x, n, dim, heaps);
  options.onProgress?.(total, total);
  return sortedLists(heaps);
}

/** A row that still holds fewer than k points (possible only in tiny or degenerate data) is searched exhaustively. */
function fillShortRows(x: Float64Array, n: number, dim: number, heaps: FlaggedHeaps): void {
  const k = heaps.k;
  for (let i = 0; i < n; i++) {
    if (heaps.worst(i) < Infinity) continue;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const d = squaredDistance(x, dim, i, j);
      if (d < heaps.worst(i)) heaps.offer(i, d, j);
    }
    if (heaps.indices[i * k] < 0)
      throw new RangeError(`approximate neighbours: k = ${k} is not below n = ${n}`);
  }
}

/** One random-projection tree over all points; each leaf's pairs are offered to both points' heaps. */
function projectionTree(
  x: Float64Array,
  n: number,
  dim: number,
  leafSize: number,
  heaps: FlaggedHeaps,
  random: SeededRandom,
): void {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const side = new Float64Array(n);
  const normal = new Float64Array(dim);
  const stack: number[] = [0, n];
  while (stack.length > 0) {
    const end = stack.pop() as number;
    const start = stack.pop() as number;
    const size = end - start;
    if (size <= leafSize) {
      joinLeaf(x, dim, order, start, end, heaps);
      continue;
    }
    // Hyperplane halfway between two distinct random points of the node.
    const a = order[start + random.integer(size)];
    let b = order[start + random.integer(size)];
    for (let tries = 0; b === a && tries < 8; tries++) b = order[start + random.integer(size)];
    let offset = 0;
    for (let c = 0; c < dim; c++) {
      normal[c] = x[a * dim + c] - x[b * dim + c];
      offset += normal[c] * 0.5 * (x[a * dim + c] + x[b * dim + c]);
    }
    for (let t = start; t < end; t++) {
      const i = order[t];
      let dot = -offset;
      for (let c = 0; c < dim; c++) dot += normal[c] * x[i * dim + c];
      side[i] = dot;
    }
    // Partition in place: negative side first.
    let lo = start;
    let hi = end - 1;
    while (lo <= hi) {
      if (side[order[lo]] < 0) lo++;
      else {
        const swap = order[lo];
        order[lo] = order[hi];
        order[hi--] = swap;
      }
    }
    let middle = lo;
    // Duplicates (or a degenerate pair) put everything on one side: split the node in halves instead.
    if (middle - start < 1 || end - middle < 1) middle = start + (size >> 1);
    stack.push(start, middle, middle, end);
  }
}

function joinLeaf(
  x: Float64Array,
  dim: number,
  order: Int32Array,
  start: number,
  end: number,
  heaps: FlaggedHeaps,
): void {
  for (let s = start; s < end; s++) {
    const i = order[s];
    for (let t = s + 1; t < end; t++) {
      const j = order[t];
      const d = squaredDistance(x, dim, i, j);
      if (d < heaps.worst(i)) heaps.offer(i, d, j);
      if (d < heaps.worst(j)) heaps.offer(j, d, i);
    }
  }
}

interface DescentOptions {
  maxRounds: number;
  maxCandidates: number;
  delta: number;
  onRound: (round: number) => void;
}

/**
 * Candidate lists with at most `capacity` entries per point; when full, a new entry replaces a random one with
 * probability capacity / offers (reservoir sampling), so every offer has the same chance to be kept.
 */
class CandidateLists {
  readonly items: Int32Array;
  readonly counts: Int32Array;
  private readonly offers: Int32Array;

  constructor(
    rows: number,
    readonly capacity: number,
    private readonly random: SeededRandom,
  ) {
    this.items = new Int32Array(rows * capacity);
    this.counts = new Int32Array(rows);
    this.offers = new Int32Array(rows);
  }

  add(row: number, item: number): void {
    const seen = ++this.offers[row];
    const count = this.counts[row];
    const base = row * this.capacity;
    if (count < this.capacity) {
      this.items[base + count] = item;
      this.counts[row] = count + 1;
      return;
    }
    const slot = this.random.integer(seen);
    if (slot < this.capacity) this.items[base + slot] = item;
  }

  clear(): void {
    this.counts.fill(0);
    this.offers.fill(0);
  }
}

function nnDescent(
  x: Float64Array,
  n: number,
  dim: number,
  heaps: FlaggedHeaps,
  random: SeededRandom,
  options: DescentOptions,
): void {
  const k = heaps.k;
  const capacity = options.maxCandidates;
  const fresh = new CandidateLists(n, capacity, random);
  const old = new CandidateLists(n, capacity, random);
  for (let round = 1; round <= options.maxRounds; round++) {
    fresh.clear();
    old.clear();
    // Forward and reverse candidates: entries flagged new go into the new lists (and lose the flag once sampled).
    for (let i = 0; i < n; i++) {
      for (let t = i * k; t < (i + 1) * k; t++) {
        const j = heaps.indices[t];
        if (j < 0) continue;
        if (heaps.isNew[t]) {
          fresh.add(i, j);
          fresh.add(j, i);
        } else {
          old.add(i, j);
          old.add(j, i);
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const base = i * capacity;
      const count = fresh.counts[i];
      for (let s = 0; s < count; s++) {
        const j = fresh.items[base + s];
        for (let t = i * k; t < (i + 1) * k; t++) if (heaps.indices[t] === j) heaps.isNew[t] = 0;
      }
    }

    let updates = 0;
    for (let v = 0; v < n; v++) {
      const newBase = v * capacity;
      const newCount = fresh.counts[v];
      const oldCount = old.counts[v];
      for (let s = 0; s < newCount; s++) {
        const p = fresh.items[newBase + s];
        for (let t = s + 1; t < newCount; t++) {
          const q = fresh.items[newBase + t];
          if (p === q) continue;
          const d = squaredDistance(x, dim, p, q);
          if (d < heaps.worst(p) && heaps.offer(p, d, q)) updates++;
          if (d < heaps.worst(q) && heaps.offer(q, d, p)) updates++;
        }
        for (let t = 0; t < oldCount; t++) {
          const q = old.items[newBase + t];
          if (p === q) continue;
          const d = squaredDistance(x, dim, p, q);
          if (d < heaps.worst(p) && heaps.offer(p, d, q)) updates++;
          if (d < heaps.worst(q) && heaps.offer(q, d, p)) updates++;
        }
      }
    }
    options.onRound(round);
    if (updates < options.delta * n * k) break;
  }
}

/** Each row sorted by distance (square roots taken); rows that found fewer than k points cannot occur for k < n. */
function sortedLists(heaps: FlaggedHeaps): ApproximateNeighbours {
  const { rows, k } = heaps;
  const indices = new Int32Array(rows * k);
  const distances = new Float64Array(rows * k);
  const order = new Int32Array(k);
  for (let i = 0; i < rows; i++) {
    const base = i * k;
    for (let t = 0; t < k; t++) order[t] = t;
    order.sort((a, b) => heaps.distances[base + a] - heaps.distances[base + b]);
    for (let t = 0; t < k; t++) {
      indices[base + t] = heaps.indices[base + order[t]];
      distances[base + t] = Math.sqrt(heaps.distances[base + order[t]]);
    }
  }
  return { k, indices, distances };
}
