/**
 * The tasks of the approximate neighbour search (approximate-neighbors.ts), on one thread or several sharing the
 * arrays. Phases:
 *
 * - TREE (one task per tree): a random-projection tree with its own seed; writes the tree's point order and the
 *   bounds of the leaf at each position.
 * - LEAF_JOIN / JOIN (one task per share of a block of sources): distances of candidate pairs — the pairs within a
 *   leaf, or NN-descent's local join of a point's new and old candidates — with the heaps only read; every pair
 *   that could enter either point's heap is written to the source's own slots of the update buffer.
 * - APPLY (one task per range of rows): each task walks the updates that concern its own rows — chained per
 *   (share, range of rows) as they were written — in source order, and offers them to their heaps. A heap is
 *   written by one task only, and sees the same offers in the same order whatever the number of threads.
 * - CANDIDATES (one task per range of rows): NN-descent's sampled candidates of each row — forward (its own
 *   entries) and reverse (rows listing it), split by the entries' "new" flag — keeping the `capacity` entries of
 *   lowest hash priority, a pseudo-random sample that depends on the round's seed alone.
 * Between TREE and the joins the points are renumbered in the first tree's order (`pointAt`, `rowOf`), so that
 * points near each other mostly sit at nearby rows and the joins' reads of rows and heaps mostly hit the cache.
 *
 * - FINISH (one task per range of rows, in the caller's numbering): rows sorted nearest first, square roots taken, and when a perplexity is
 *   given the Gaussian conditionals p(j|i) fitted to it (perplexity.ts).
 */
import { fitRow } from './perplexity.js';
import { seededRandom } from './random.js';

export const NEIGHBOUR_PHASE = {
  tree: 0,
  leafJoin: 1,
  apply: 2,
  candidates: 3,
  join: 4,
  finish: 5,
} as const;

/** Ranges of rows of the APPLY, CANDIDATES and FINISH phases. */
export const ROW_CHUNKS = 8;
/** Shares of a block of sources in the LEAF_JOIN and JOIN phases. */
export const SOURCE_CHUNKS = 8;

/** Slots of `params`, written by the coordinating thread before a phase. */
export const NEIGHBOUR_PARAM = { tree: 0, blockStart: 1, blockSize: 2, roundSeed: 3, length: 4 } as const;

export interface NeighbourBuffers {
  n: number;
  dim: number;
  k: number;
  trees: number;
  leafSize: number;
  /** Candidates per row and round, new and old each. */
  capacity: number;
  /** Sources (tree positions or points) per block of updates. */
  block: number;
  /** Update slots per source. */
  slotsPerSource: number;
  /** Perplexity of the conditionals FINISH fits (0: none). */
  perplexity: number;
  /** Caller's index of the point at each row, and the row of each caller's index (identity until renumbered). */
  pointAt: Int32Array;
  rowOf: Int32Array;
  /** n × dim points (single precision: half the memory traffic of the random row reads; sums in double). */
  x: Float32Array;
  /** n × k bounded max-heaps of squared distances; index -1 and Infinity where empty. */
  heapDistances: Float64Array;
  heapIndices: Int32Array;
  /** Entry joined in the next round; `wasNew` is its copy at the start of the round's CANDIDATES phase. */
  isNew: Uint8Array;
  wasNew: Uint8Array;
  treeSeeds: Int32Array;
  /** trees × n: points in each tree's order, and the [start, end) positions of the leaf at each position. */
  treeOrder: Int32Array;
  leafStart: Int32Array;
  leafEnd: Int32Array;
  /** Reverse lists: the heap slots (row × k + entry) that list each point, in compressed rows. */
  reversePtr: Int32Array;
  reverseSlots: Int32Array;
  /** n × capacity sampled candidates. */
  newItems: Int32Array;
  newCounts: Int32Array;
  oldItems: Int32Array;
  oldCounts: Int32Array;
  /** block × slotsPerSource updates (p, q, squared distance). */
  updateP: Int32Array;
  updateQ: Int32Array;
  updateD: Float64Array;
  /**
   * Chains of the updates per (share, range of rows): the next update of p's range after this one, and of q's
   * range (when it differs from p's); -1 ends a chain. First and last update of each chain, SOURCE_CHUNKS ×
   * ROW_CHUNKS.
   */
  nextForP: Int32Array;
  nextForQ: Int32Array;
  chainHead: Int32Array;
  chainTail: Int32Array;
  /** Range of rows (APPLY task) of each point. */
  rowChunk: Uint8Array;
  /** Offers kept by each APPLY task. */
  accepted: Int32Array;
  params: Float64Array;
  /** n × k results of FINISH: nearest first, euclidean distances, conditionals (when perplexity > 0). */
  outIndices: Int32Array;
  outDistances: Float64Array;
  conditional: Float64Array;
}

/** [start, end) of chunk c of `count` items cut into `chunks`. */
export function chunkBounds(count: number, chunks: number, c: number): [number, number] {
  return [Math.floor((count * c) / chunks), Math.floor((count * (c + 1)) / chunks)];
}

/** 32-bit hash priority of `item` in `row`'s candidates for a round. */
function priority(seed: number, row: number, item: number): number {
  let h = Math.imul(seed ^ Math.imul(row, 0x9e3779b1), 0x85ebca6b);
  h = Math.imul(h ^ item ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}

export class NeighbourRunner {
  private side: Float64Array | undefined;
  private readonly normal: Float64Array;
  /** Selection scratch of CANDIDATES: priorities, items and heap slots (-1: reverse) of the kept entries. */
  private readonly pickPriority: Float64Array;
  private readonly pickItem: Int32Array;
  private readonly pickSlot: Int32Array;
  private readonly sortOrder: Int32Array;

  constructor(private readonly b: NeighbourBuffers) {
    this.normal = new Float64Array(b.dim);
    this.pickPriority = new Float64Array(b.capacity);
    this.pickItem = new Int32Array(b.capacity);
    this.pickSlot = new Int32Array(b.capacity);
    this.sortOrder = new Int32Array(b.k);
  }

  run(phase: number, task: number): void {
    switch (phase) {
      case NEIGHBOUR_PHASE.tree:
        return this.tree(task);
      case NEIGHBOUR_PHASE.leafJoin:
        return this.leafJoin(task);
      case NEIGHBOUR_PHASE.apply:
        return this.apply(task);
      case NEIGHBOUR_PHASE.candidates:
        return this.candidates(task);
      case NEIGHBOUR_PHASE.join:
        return this.join(task);
      case NEIGHBOUR_PHASE.finish:
        return this.finish(task);
      default:
        throw new RangeError(`unknown neighbour phase ${phase}`);
    }
  }

  /** Squared euclidean distance of rows i and j; four partial sums, so the additions need not wait on each other. */
  private distance(i: number, j: number): number {
    const { x, dim } = this.b;
    const a = i * dim;
    const c = j * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let t = 0;
    for (; t + 3 < dim; t += 4) {
      const d0 = x[a + t] - x[c + t];
      const d1 = x[a + t + 1] - x[c + t + 1];
      const d2 = x[a + t + 2] - x[c + t + 2];
      const d3 = x[a + t + 3] - x[c + t + 3];
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (; t < dim; t++) {
      const d0 = x[a + t] - x[c + t];
      s0 += d0 * d0;
    }
    return s0 + s1 + (s2 + s3);
  }

  /** Keeps (d, q) in row p's heap when it beats the worst entry and is not there yet; returns whether it did. */
  private offer(p: number, d: number, q: number): boolean {
    const { k, heapDistances: hd, heapIndices: hi, isNew } = this.b;
    const base = p * k;
    if (d >= hd[base]) return false;
    for (let t = base; t < base + k; t++) if (hi[t] === q) return false;
    let c = 0;
    for (;;) {
      let child = 2 * c + 1;
      if (child >= k) break;
      if (child + 1 < k && hd[base + child + 1] > hd[base + child]) child++;
      if (hd[base + child] <= d) break;
      hd[base + c] = hd[base + child];
      hi[base + c] = hi[base + child];
      isNew[base + c] = isNew[base + child];
      c = child;
    }
    hd[base + c] = d;
    hi[base + c] = q;
    isNew[base + c] = 1;
    return true;
  }

  private tree(t: number): void {
    const { n, dim, x, leafSize, treeSeeds } = this.b;
    const random = seededRandom(treeSeeds[t]);
    const order = this.b.treeOrder.subarray(t * n, (t + 1) * n);
    const leafStart = this.b.leafStart.subarray(t * n, (t + 1) * n);
    const leafEnd = this.b.leafEnd.subarray(t * n, (t + 1) * n);
    for (let i = 0; i < n; i++) order[i] = i;
    this.side ??= new Float64Array(n);
    const side = this.side;
    const normal = this.normal;
    const stack: number[] = [0, n];
    while (stack.length > 0) {
      const end = stack.pop() as number;
      const start = stack.pop() as number;
      const size = end - start;
      if (size <= leafSize) {
        leafStart.fill(start, start, end);
        leafEnd.fill(end, start, end);
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
      for (let s = start; s < end; s++) {
        const i = order[s];
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

  /** Sources [from, to) of the block: this task's share. */
  private share(task: number): [number, number] {
    const params = this.b.params;
    const blockStart = params[NEIGHBOUR_PARAM.blockStart];
    const [a, c] = chunkBounds(params[NEIGHBOUR_PARAM.blockSize], SOURCE_CHUNKS, task);
    return [blockStart + a, blockStart + c];
  }

  private resetChains(share: number): void {
    const first = share * ROW_CHUNKS;
    this.b.chainHead.fill(-1, first, first + ROW_CHUNKS);
    this.b.chainTail.fill(-1, first, first + ROW_CHUNKS);
  }

  /** Writes update (p, q, d) to slot e and appends it to the chains of p's and q's ranges of rows. */
  private record(share: number, e: number, p: number, q: number, d: number): void {
    const { updateP, updateQ, updateD, nextForP, nextForQ, chainHead, chainTail, rowChunk } = this.b;
    updateP[e] = p;
    updateQ[e] = q;
    updateD[e] = d;
    nextForP[e] = -1;
    nextForQ[e] = -1;
    const cp = rowChunk[p];
    const cq = rowChunk[q];
    for (let side = 0; side < 2; side++) {
      const c = side === 0 ? cp : cq;
      if (side === 1 && c === cp) break;
      const chain = share * ROW_CHUNKS + c;
      const tail = chainTail[chain];
      if (tail < 0) chainHead[chain] = e;
      // The previous update of this chain continues through whichever of its points lies in range c.
      else if (rowChunk[updateP[tail]] === c) nextForP[tail] = e;
      else nextForQ[tail] = e;
      chainTail[chain] = e;
    }
  }

  private leafJoin(task: number): void {
    const b = this.b;
    const { n, k, heapDistances: hd, slotsPerSource } = b;
    const t = b.params[NEIGHBOUR_PARAM.tree];
    const blockStart = b.params[NEIGHBOUR_PARAM.blockStart];
    const order = b.treeOrder.subarray(t * n, (t + 1) * n);
    const leafEnd = b.leafEnd.subarray(t * n, (t + 1) * n);
    const [from, to] = this.share(task);
    this.resetChains(task);
    for (let s = from; s < to; s++) {
      const i = order[s];
      let out = (s - blockStart) * slotsPerSource;
      for (let u = s + 1; u < leafEnd[s]; u++) {
        const j = order[u];
        const d = this.distance(i, j);
        if (d < hd[i * k] || d < hd[j * k]) this.record(task, out++, i, j, d);
      }
    }
  }

  private apply(task: number): void {
    const b = this.b;
    const { updateP, updateQ, updateD, nextForP, nextForQ, chainHead, rowChunk } = b;
    let accepted = 0;
    for (let share = 0; share < SOURCE_CHUNKS; share++) {
      let e = chainHead[share * ROW_CHUNKS + task];
      while (e >= 0) {
        const p = updateP[e];
        const q = updateQ[e];
        const inP = rowChunk[p] === task;
        if (inP && this.offer(p, updateD[e], q)) accepted++;
        if (rowChunk[q] === task && this.offer(q, updateD[e], p)) accepted++;
        e = inP ? nextForP[e] : nextForQ[e];
      }
    }
    b.accepted[task] += accepted;
  }

  /**
   * Adds (priority, item, slot) to the selection of `count` entries, kept sorted by priority, if it is among
   * the `capacity` lowest and not there yet; returns the new count.
   */
  private pick(count: number, rank: number, item: number, slot: number): number {
    const { pickPriority: pp, pickItem: pi, pickSlot: ps } = this;
    const capacity = this.b.capacity;
    if (count === capacity && rank >= pp[count - 1]) return count;
    let at = count;
    while (at > 0 && pp[at - 1] >= rank) {
      // The same item reached twice (forward and reverse) has the same priority.
      if (pp[at - 1] === rank && pi[at - 1] === item) return count;
      at--;
    }
    const last = Math.min(count, capacity - 1);
    for (let s = last; s > at; s--) {
      pp[s] = pp[s - 1];
      pi[s] = pi[s - 1];
      ps[s] = ps[s - 1];
    }
    pp[at] = rank;
    pi[at] = item;
    ps[at] = slot;
    return Math.min(count + 1, capacity);
  }

  private candidates(task: number): void {
    const b = this.b;
    const { k, capacity, heapIndices: hi, wasNew, isNew, reversePtr, reverseSlots } = b;
    const seed = b.params[NEIGHBOUR_PARAM.roundSeed];
    const [rowStart, rowEnd] = chunkBounds(b.n, ROW_CHUNKS, task);
    for (let r = rowStart; r < rowEnd; r++) {
      for (let fresh = 1; fresh >= 0; fresh--) {
        let count = 0;
        for (let slot = r * k; slot < (r + 1) * k; slot++) {
          const item = hi[slot];
          if (item < 0 || wasNew[slot] !== fresh) continue;
          count = this.pick(count, priority(seed, r, item), item, slot);
        }
        for (let e = reversePtr[r]; e < reversePtr[r + 1]; e++) {
          const slot = reverseSlots[e];
          if (wasNew[slot] !== fresh) continue;
          const item = (slot / k) | 0;
          count = this.pick(count, priority(seed, r, item), item, -1);
        }
        const items = fresh ? b.newItems : b.oldItems;
        (fresh ? b.newCounts : b.oldCounts)[r] = count;
        for (let s = 0; s < count; s++) {
          items[r * capacity + s] = this.pickItem[s];
          // A new entry sampled for the join is old from now on.
          if (fresh && this.pickSlot[s] >= 0) isNew[this.pickSlot[s]] = 0;
        }
      }
    }
  }

  private join(task: number): void {
    const b = this.b;
    const { k, capacity, heapDistances: hd, newItems, newCounts, oldItems, oldCounts, slotsPerSource } = b;
    const blockStart = b.params[NEIGHBOUR_PARAM.blockStart];
    const [from, to] = this.share(task);
    this.resetChains(task);
    for (let v = from; v < to; v++) {
      let out = (v - blockStart) * slotsPerSource;
      const base = v * capacity;
      const newCount = newCounts[v];
      const oldCount = oldCounts[v];
      for (let s = 0; s < newCount; s++) {
        const p = newItems[base + s];
        const worstP = hd[p * k];
        for (let t = s + 1; t < newCount; t++) {
          const q = newItems[base + t];
          if (p === q) continue;
          const d = this.distance(p, q);
          if (d < worstP || d < hd[q * k]) this.record(task, out++, p, q, d);
        }
        for (let t = 0; t < oldCount; t++) {
          const q = oldItems[base + t];
          if (p === q) continue;
          const d = this.distance(p, q);
          if (d < worstP || d < hd[q * k]) this.record(task, out++, p, q, d);
        }
      }
    }
  }

  private finish(task: number): void {
    const b = this.b;
    const { k, heapDistances: hd, heapIndices: hi, outIndices, outDistances, conditional } = b;
    const order = this.sortOrder;
    const [rowStart, rowEnd] = chunkBounds(b.n, ROW_CHUNKS, task);
    for (let i = rowStart; i < rowEnd; i++) {
      const base = b.rowOf[i] * k;
      const outBase = i * k;
      // Insertion sort of the row by (distance, index): rows are short and the order is total.
      for (let t = 0; t < k; t++) {
        const d = hd[base + t];
        const j = hi[base + t];
        let s = t - 1;
        while (s >= 0) {
          const o = order[s];
          const od = hd[base + o];
          if (od < d || (od === d && hi[base + o] < j)) break;
          order[s + 1] = o;
          s--;
        }
        order[s + 1] = t;
      }
      for (let t = 0; t < k; t++) {
        outIndices[outBase + t] = b.pointAt[hi[base + order[t]]];
        outDistances[outBase + t] = hd[base + order[t]];
      }
      if (b.perplexity > 0) fitRow(outDistances, outBase, k, b.perplexity, conditional, outBase);
      for (let t = outBase; t < outBase + k; t++) outDistances[t] = Math.sqrt(outDistances[t]);
    }
  }
}
