/**
 * The tasks of one UMAP epoch (umap-layout.ts), on one thread or several sharing the arrays. The points are cut
 * into LAYOUT_CHUNKS fixed ranges; the edges are held by head, so each range owns the edges that start in it.
 *
 * - EPOCH (one task per range): umap-learn's epoch over the range's edges. A task reads and moves its own points
 *   live; other ranges' points it reads from the snapshot taken before the epoch, and the pulls on them (the
 *   edge's tail) it adds to its own delta array. Each range draws its negative samples from its own generator.
 * - MERGE (one task per range): the ranges' deltas added to the range's points in range order, then cleared.
 *
 * Nothing a task reads is written by another task in the same phase, so the layout is the same to the last bit
 * on any number of threads.
 */
import { chunkBounds } from './neighbour-kernels.js';

export const LAYOUT_CHUNKS = 4;
export const LAYOUT_PHASE = { epoch: 0, merge: 1 } as const;
export const LAYOUT_PARAM = { alpha: 0, epoch: 1, a: 2, b: 3, gamma: 4, length: 5 } as const;

export interface LayoutBuffers {
  n: number;
  dims: number;
  /** n × dims positions (live), and their copy from before the epoch. */
  y: Float64Array;
  snapshot: Float64Array;
  /** Range of each point. */
  pointChunk: Uint8Array;
  /** LAYOUT_CHUNKS + 1 bounds of each range's edges (edges sorted by head). */
  edgeStart: Int32Array;
  head: Int32Array;
  tail: Int32Array;
  /** Epochs between samples of each edge, and between its negative samples; the epoch of the next of each. */
  period: Float64Array;
  nextSample: Float64Array;
  negativePeriod: Float64Array;
  nextNegative: Float64Array;
  /** LAYOUT_CHUNKS × n × dims pulls on other ranges' points. */
  deltas: Float64Array;
  /** mulberry32 state of each range's negative samples. */
  randomStates: Int32Array;
  params: Float64Array;
}

const CLIP = 4;

function clip(v: number): number {
  return v > CLIP ? CLIP : v < -CLIP ? -CLIP : v;
}

/*
 * d^(2b) is computed as exp(b·log d²): the same value up to rounding, at well under half the cost of Math.pow,
 * which the epochs would otherwise spend most of their time in.
 */

export class LayoutRunner {
  constructor(private readonly b: LayoutBuffers) {}

  run(phase: number, task: number): void {
    if (phase === LAYOUT_PHASE.epoch) {
      if (this.b.dims === 2) this.epoch2(task);
      else this.epochAny(task);
    } else if (phase === LAYOUT_PHASE.merge) this.merge(task);
    else throw new RangeError(`unknown layout phase ${phase}`);
  }

  private epoch2(chunk: number): void {
    const b = this.b;
    const { n, y, snapshot, pointChunk, head, tail, period, nextSample, negativePeriod, nextNegative } = b;
    const { params } = b;
    const alpha = params[LAYOUT_PARAM.alpha];
    const epoch = params[LAYOUT_PARAM.epoch];
    const a = params[LAYOUT_PARAM.a];
    const power = params[LAYOUT_PARAM.b];
    const twoAb = 2 * a * power;
    const twoGammaB = 2 * params[LAYOUT_PARAM.gamma] * power;
    const deltas = b.deltas.subarray(chunk * 2 * n, (chunk + 1) * 2 * n);
    let state = b.randomStates[chunk];
    for (let e = b.edgeStart[chunk]; e < b.edgeStart[chunk + 1]; e++) {
      if (nextSample[e] > epoch) continue;
      const j = 2 * head[e];
      const k = 2 * tail[e];
      const own = pointChunk[tail[e]] === chunk;
      const from = own ? y : snapshot;
      let dx = y[j] - from[k];
      let dy = y[j + 1] - from[k + 1];
      let d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        const pd = Math.exp(power * Math.log(d2));
        const coefficient = (-twoAb * (pd / d2)) / (a * pd + 1);
        const gx = clip(coefficient * dx) * alpha;
        const gy = clip(coefficient * dy) * alpha;
        y[j] += gx;
        y[j + 1] += gy;
        if (own) {
          y[k] -= gx;
          y[k + 1] -= gy;
        } else {
          deltas[k] -= gx;
          deltas[k + 1] -= gy;
        }
      }
      nextSample[e] += period[e];

      const negatives = Math.floor((epoch - nextNegative[e]) / negativePeriod[e]);
      for (let t = 0; t < negatives; t++) {
        // mulberry32 (random.ts), inlined: the negative samples draw billions of numbers at 70 000 points.
        state = (state + 0x6d2b79f5) | 0;
        let r = Math.imul(state ^ (state >>> 15), state | 1);
        r = (r + Math.imul(r ^ (r >>> 7), r | 61)) ^ r;
        const point = Math.floor((((r ^ (r >>> 14)) >>> 0) / 4294967296) * n);
        const m = 2 * point;
        if (m === j) continue;
        const other = pointChunk[point] === chunk ? y : snapshot;
        dx = y[j] - other[m];
        dy = y[j + 1] - other[m + 1];
        d2 = dx * dx + dy * dy;
        if (d2 <= 0) continue;
        const coefficient = twoGammaB / ((0.001 + d2) * (a * Math.exp(power * Math.log(d2)) + 1));
        y[j] += clip(coefficient * dx) * alpha;
        y[j + 1] += clip(coefficient * dy) * alpha;
      }
      nextNegative[e] += negatives * negativePeriod[e];
    }
    b.randomStates[chunk] = state;
  }

  private epochAny(chunk: number): void {
    const b = this.b;
    const { n, dims, y, snapshot, pointChunk, head, tail, period, nextSample, negativePeriod, nextNegative } =
      b;
    const { params } = b;
    const alpha = params[LAYOUT_PARAM.alpha];
    const epoch = params[LAYOUT_PARAM.epoch];
    const a = params[LAYOUT_PARAM.a];
    const power = params[LAYOUT_PARAM.b];
    const twoAb = 2 * a * power;
    const twoGammaB = 2 * params[LAYOUT_PARAM.gamma] * power;
    const deltas = b.deltas.subarray(chunk * dims * n, (chunk + 1) * dims * n);
    const delta = new Float64Array(dims);
    let state = b.randomStates[chunk];
    for (let e = b.edgeStart[chunk]; e < b.edgeStart[chunk + 1]; e++) {
      if (nextSample[e] > epoch) continue;
      const jb = head[e] * dims;
      const kb = tail[e] * dims;
      const own = pointChunk[tail[e]] === chunk;
      const from = own ? y : snapshot;
      let d2 = 0;
      for (let c = 0; c < dims; c++) {
        delta[c] = y[jb + c] - from[kb + c];
        d2 += delta[c] * delta[c];
      }
      if (d2 > 0) {
        const pd = Math.exp(power * Math.log(d2));
        const coefficient = (-twoAb * (pd / d2)) / (a * pd + 1);
        for (let c = 0; c < dims; c++) {
          const g = clip(coefficient * delta[c]) * alpha;
          y[jb + c] += g;
          if (own) y[kb + c] -= g;
          else deltas[kb + c] -= g;
        }
      }
      nextSample[e] += period[e];

      const negatives = Math.floor((epoch - nextNegative[e]) / negativePeriod[e]);
      for (let t = 0; t < negatives; t++) {
        state = (state + 0x6d2b79f5) | 0;
        let r = Math.imul(state ^ (state >>> 15), state | 1);
        r = (r + Math.imul(r ^ (r >>> 7), r | 61)) ^ r;
        const point = Math.floor((((r ^ (r >>> 14)) >>> 0) / 4294967296) * n);
        const mb = point * dims;
        if (mb === jb) continue;
        const other = pointChunk[point] === chunk ? y : snapshot;
        d2 = 0;
        for (let c = 0; c < dims; c++) {
          delta[c] = y[jb + c] - other[mb + c];
          d2 += delta[c] * delta[c];
        }
        if (d2 <= 0) continue;
        const coefficient = twoGammaB / ((0.001 + d2) * (a * Math.exp(power * Math.log(d2)) + 1));
        for (let c = 0; c < dims; c++) y[jb + c] += clip(coefficient * delta[c]) * alpha;
      }
      nextNegative[e] += negatives * negativePeriod[e];
    }
    b.randomStates[chunk] = state;
  }

  private merge(chunk: number): void {
    const { n, dims, y, deltas } = this.b;
    const [start, end] = chunkBounds(n, LAYOUT_CHUNKS, chunk);
    for (let c = 0; c < LAYOUT_CHUNKS; c++) {
      const base = c * n * dims;
      for (let t = start * dims; t < end * dims; t++) {
        y[t] += deltas[base + t];
        deltas[base + t] = 0;
      }
    }
  }
}
