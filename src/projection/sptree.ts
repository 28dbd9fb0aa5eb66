/**
 * Space-partitioning tree (quadtree in 2-D, octree in 3-D) over the embedding, for the Barnes–Hut approximation
 * of t-SNE's repulsive forces. Everything lives in flat typed arrays that are reused from one iteration to the
 * next: per node its cell (centre, half width), the points' centre of mass and count, its children (a contiguous
 * block) and its range in `order`, the point indices in tree order, so that a leaf's points are contiguous.
 */

import { OptionError } from '../errors.js';

/** Cells stop splitting at this depth, so coincident points end up sharing a leaf instead of recursing forever. */
const MAX_DEPTH = 40;

export class SpaceTree {
  readonly dims: number;
  readonly leafSize: number;
  nodeCount = 0;
  private capacity = 0;
  center = new Float64Array(0);
  half = new Float64Array(0);
  com = new Float64Array(0);
  count = new Int32Array(0);
  firstChild = new Int32Array(0);
  childCount = new Uint8Array(0);
  start = new Int32Array(0);
  /** Point indices in tree order. */
  order: Int32Array;
  /** Positions in tree order (n × dims), so leaf scans read contiguous memory. */
  sorted: Float64Array;
  private quadrant: Uint8Array;
  private scratch: Int32Array;
  private stack: Int32Array;
  private groupStack: Int32Array;
  private boxLow: Float64Array;
  private boxHigh: Float64Array;
  /** Per-depth bucket offsets for the counting sort (cells + 1 entries per level), so building allocates nothing. */
  private buckets: Int32Array;

  constructor(
    readonly n: number,
    dims: number,
    leafSize = 1,
  ) {
    if (dims !== 2 && dims !== 3) {
      throw new OptionError('INVALID_OPTION', `the Barnes–Hut tree supports 2 or 3 dimensions, got ${dims}`);
    }
    this.dims = dims;
    this.leafSize = Math.max(1, leafSize);
    this.order = new Int32Array(n);
    this.sorted = new Float64Array(n * dims);
    this.quadrant = new Uint8Array(n);
    this.scratch = new Int32Array(n);
    this.stack = new Int32Array(64 * (1 << dims));
    this.groupStack = new Int32Array(64 * (1 << dims));
    this.boxLow = new Float64Array(dims);
    this.boxHigh = new Float64Array(dims);
    this.buckets = new Int32Array((MAX_DEPTH + 1) * 2 * ((1 << dims) + 1));
    this.grow(Math.max(16, 2 * n));
  }

  private grow(capacity: number): void {
    const d = this.dims;
    const copy = <T extends Float64Array | Int32Array | Uint8Array>(old: T, fresh: T): T => {
      fresh.set(old.subarray(0, Math.min(old.length, fresh.length)));
      return fresh;
    };
    this.center = copy(this.center, new Float64Array(capacity * d));
    this.half = copy(this.half, new Float64Array(capacity));
    this.com = copy(this.com, new Float64Array(capacity * d));
    this.count = copy(this.count, new Int32Array(capacity));
    this.firstChild = copy(this.firstChild, new Int32Array(capacity));
    this.childCount = copy(this.childCount, new Uint8Array(capacity));
    this.start = copy(this.start, new Int32Array(capacity));
    this.capacity = capacity;
  }

  /** Rebuild over positions `y` (n × dims). */
  build(y: Float64Array): void {
    const { n, dims: d } = this;
    const lowest = new Float64Array(d).fill(Infinity);
    const highest = new Float64Array(d).fill(-Infinity);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < d; c++) {
        const v = y[i * d + c];
        if (v < lowest[c]) lowest[c] = v;
        if (v > highest[c]) highest[c] = v;
      }
    }
    let extent = 0;
    for (let c = 0; c < d; c++) extent = Math.max(extent, highest[c] - lowest[c]);
    // A little slack keeps points on the upper boundary strictly inside the root cell.
    const half = extent / 2 + Math.max(extent * 1e-5, 1e-12);
    for (let i = 0; i < n; i++) this.order[i] = i;
    this.nodeCount = 1;
    for (let c = 0; c < d; c++) this.center[c] = (lowest[c] + highest[c]) / 2;
    this.half[0] = half;
    this.buildNode(0, 0, n, 0, y);
    for (let t = 0; t < n; t++) {
      const i = this.order[t];
      for (let c = 0; c < d; c++) this.sorted[t * d + c] = y[i * d + c];
    }
  }

  private buildNode(node: number, from: number, to: number, depth: number, y: Float64Array): void {
    const d = this.dims;
    const order = this.order;
    const count = to - from;
    this.count[node] = count;
    this.start[node] = from;
    for (let c = 0; c < d; c++) {
      let sum = 0;
      for (let t = from; t < to; t++) sum += y[order[t] * d + c];
      this.com[node * d + c] = sum / count;
    }
    if (count <= this.leafSize || depth >= MAX_DEPTH) {
      this.firstChild[node] = -1;
      this.childCount[node] = 0;
      return;
    }
    // Counting sort of the range by child cell (bit c set when the point is above the centre on axis c).
    const cells = 1 << d;
    const quadrant = this.quadrant;
    // buckets[b + q] .. buckets[b + q + 1] become child q's range (relative to `from`); buckets[nx + q] fill it.
    const buckets = this.buckets;
    const b = depth * 2 * (cells + 1);
    const nx = b + cells + 1;
    for (let q = 0; q <= cells; q++) buckets[b + q] = 0;
    for (let t = from; t < to; t++) {
      const p = order[t] * d;
      let q = 0;
      for (let c = 0; c < d; c++) if (y[p + c] >= this.center[node * d + c]) q |= 1 << c;
      quadrant[t] = q;
      buckets[b + q + 1]++;
    }
    for (let q = 0; q < cells; q++) buckets[b + q + 1] += buckets[b + q];
    for (let q = 0; q < cells; q++) buckets[nx + q] = buckets[b + q];
    const scratch = this.scratch;
    for (let t = from; t < to; t++) scratch[from + buckets[nx + quadrant[t]]++] = order[t];
    for (let t = from; t < to; t++) order[t] = scratch[t];

    let children = 0;
    for (let q = 0; q < cells; q++) if (buckets[b + q + 1] > buckets[b + q]) children++;
    if (this.nodeCount + children > this.capacity) this.grow(2 * (this.nodeCount + children));
    const first = this.nodeCount;
    this.nodeCount += children;
    this.firstChild[node] = first;
    this.childCount[node] = children;
    const childHalf = this.half[node] / 2;
    let child = first;
    for (let q = 0; q < cells; q++) {
      if (buckets[b + q + 1] === buckets[b + q]) continue;
      for (let c = 0; c < d; c++) {
        this.center[child * d + c] = this.center[node * d + c] + ((q >> c) & 1 ? childHalf : -childHalf);
      }
      this.half[child] = childHalf;
      child++;
    }
    child = first;
    for (let q = 0; q < cells; q++) {
      if (buckets[b + q + 1] === buckets[b + q]) continue;
      this.buildNode(child, from + buckets[b + q], from + buckets[b + q + 1], depth + 1, y);
      child++;
    }
  }

  /**
   * Repulsive part of the t-SNE gradient: for every point i, Σ_j w_ij² (y_i - y_j) into `force` (n × dims) with
   * w_ij = 1 / (1 + |y_i - y_j|²), and the return value Z = Σ_{i≠j} w_ij.
   *
   * Barnes–Hut with one tree walk per group of nearby points instead of one per point: the walk for a target
   * group (the largest subtrees holding at most `groupSize` points) yields one interaction list (cells summarised
   * by their centre of mass and count, and leaves taken point by point) that each point of the group then sums in
   * a tight loop. A cell is summarised when its full width is below theta × the distance from its centre of mass
   * to the group's bounding box, a stricter test than the per-point one (so at least as accurate), and never when
   * it contains the group. theta = 0 gives the exact sums.
   */
  repulsion(theta: number, force: Float64Array, groupSize = 4 * this.leafSize): number {
    const { firstChild, childCount, count, start } = this;
    const stack = this.groupStack;
    let z = 0;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top];
      if (count[node] <= groupSize || firstChild[node] < 0) {
        this.collectInteractions(node, theta);
        const from = start[node];
        const to = from + count[node];
        z +=
          this.dims === 2 ? this.sumInteractions2(from, to, force) : this.sumInteractions3(from, to, force);
      } else {
        const first = firstChild[node];
        for (let c = first; c < first + childCount[node]; c++) stack[top++] = c;
      }
    }
    return z;
  }

  /** Summarised cells of the current interaction list: centre of mass (dims values) and count, per entry. */
  private cellList = new Float64Array(0);
  private cellEntries = 0;
  /** Leaf ranges of the current interaction list, [start, end) pairs in tree order. */
  private rangeList = new Int32Array(0);
  private rangeEntries = 0;

  private collectInteractions(group: number, theta: number): void {
    const { dims: d, sorted, half, com, count, firstChild, childCount, start } = this;
    const stack = this.stack;
    const theta2 = theta * theta;
    const groupStart = start[group];
    const groupEnd = groupStart + count[group];
    // Bounding box of the group's points.
    const low = this.boxLow;
    const high = this.boxHigh;
    low.fill(Infinity);
    high.fill(-Infinity);
    for (let t = groupStart; t < groupEnd; t++) {
      for (let c = 0; c < d; c++) {
        const v = sorted[t * d + c];
        if (v < low[c]) low[c] = v;
        if (v > high[c]) high[c] = v;
      }
    }
    const low0 = low[0];
    const low1 = low[1];
    const high0 = high[0];
    const high1 = high[1];
    this.cellEntries = 0;
    this.rangeEntries = 0;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top];
      const nodeStart = start[node];
      const nodeEnd = nodeStart + count[node];
      // Ancestors of the group (tree-order ranges nest) must be opened; so must cells inside the group's box.
      const containsGroup = nodeStart <= groupStart && groupEnd <= nodeEnd;
      let summarise = false;
      if (!containsGroup) {
        let gap2 = 0;
        if (d === 2) {
          const m0 = com[2 * node];
          const m1 = com[2 * node + 1];
          const g0 = m0 < low0 ? low0 - m0 : m0 > high0 ? m0 - high0 : 0;
          const g1 = m1 < low1 ? low1 - m1 : m1 > high1 ? m1 - high1 : 0;
          gap2 = g0 * g0 + g1 * g1;
        } else {
          for (let c = 0; c < d; c++) {
            const m = com[node * d + c];
            const gap = m < low[c] ? low[c] - m : m > high[c] ? m - high[c] : 0;
            gap2 += gap * gap;
          }
        }
        const h = half[node];
        summarise = 4 * h * h < theta2 * gap2;
      }
      if (summarise) {
        this.pushCell(node);
      } else if (firstChild[node] < 0) {
        this.pushRange(nodeStart, nodeEnd);
      } else {
        const first = firstChild[node];
        const last = first + childCount[node];
        for (let c = first; c < last; c++) stack[top++] = c;
      }
    }
  }

  private pushCell(node: number): void {
    const d = this.dims;
    const stride = d + 1;
    if ((this.cellEntries + 1) * stride > this.cellList.length) {
      const grown = new Float64Array(Math.max(64, 2 * this.cellList.length) * stride);
      grown.set(this.cellList);
      this.cellList = grown;
    }
    const base = this.cellEntries * stride;
    for (let c = 0; c < d; c++) this.cellList[base + c] = this.com[node * d + c];
    this.cellList[base + d] = this.count[node];
    this.cellEntries++;
  }

  private pushRange(from: number, to: number): void {
    if (2 * (this.rangeEntries + 1) > this.rangeList.length) {
      const grown = new Int32Array(Math.max(64, 2 * this.rangeList.length));
      grown.set(this.rangeList);
      this.rangeList = grown;
    }
    this.rangeList[2 * this.rangeEntries] = from;
    this.rangeList[2 * this.rangeEntries + 1] = to;
    this.rangeEntries++;
  }

  private sumInteractions2(from: number, to: number, force: Float64Array): number {
    const { sorted, order, cellList, cellEntries, rangeList, rangeEntries } = this;
    let z = 0;
    for (let t = from; t < to; t++) {
      const x = sorted[2 * t];
      const y = sorted[2 * t + 1];
      let fx = 0;
      let fy = 0;
      let sum = 0;
      for (let e = 0; e < cellEntries; e++) {
        const dx = x - cellList[3 * e];
        const dy = y - cellList[3 * e + 1];
        const w = 1 / (1 + dx * dx + dy * dy);
        const m = cellList[3 * e + 2] * w;
        sum += m;
        fx += m * w * dx;
        fy += m * w * dy;
      }
      for (let r = 0; r < rangeEntries; r++) {
        const end = rangeList[2 * r + 1];
        for (let s = rangeList[2 * r]; s < end; s++) {
          const dx = x - sorted[2 * s];
          const dy = y - sorted[2 * s + 1];
          // The point itself (dx = dy = 0 at s = t) would add w = 1 and no force; it is subtracted below.
          const w = 1 / (1 + dx * dx + dy * dy);
          sum += w;
          fx += w * w * dx;
          fy += w * w * dy;
        }
      }
      const i = order[t];
      force[2 * i] = fx;
      force[2 * i + 1] = fy;
      z += sum - 1;
    }
    return z;
  }

  private sumInteractions3(from: number, to: number, force: Float64Array): number {
    const { sorted, order, cellList, cellEntries, rangeList, rangeEntries } = this;
    let z = 0;
    for (let t = from; t < to; t++) {
      const x = sorted[3 * t];
      const y = sorted[3 * t + 1];
      const v = sorted[3 * t + 2];
      let fx = 0;
      let fy = 0;
      let fv = 0;
      let sum = 0;
      for (let e = 0; e < cellEntries; e++) {
        const dx = x - cellList[4 * e];
        const dy = y - cellList[4 * e + 1];
        const dv = v - cellList[4 * e + 2];
        const w = 1 / (1 + dx * dx + dy * dy + dv * dv);
        const m = cellList[4 * e + 3] * w;
        sum += m;
        fx += m * w * dx;
        fy += m * w * dy;
        fv += m * w * dv;
      }
      for (let r = 0; r < rangeEntries; r++) {
        const end = rangeList[2 * r + 1];
        for (let s = rangeList[2 * r]; s < end; s++) {
          const dx = x - sorted[3 * s];
          const dy = y - sorted[3 * s + 1];
          const dv = v - sorted[3 * s + 2];
          const w = 1 / (1 + dx * dx + dy * dy + dv * dv);
          sum += w;
          fx += w * w * dx;
          fy += w * w * dy;
          fv += w * w * dv;
        }
      }
      const i = order[t];
      force[3 * i] = fx;
      force[3 * i + 1] = fy;
      force[3 * i + 2] = fv;
      z += sum - 1;
    }
    return z;
  }
}
