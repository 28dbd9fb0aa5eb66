/**
 * UMAP's layout optimisation (umap-learn's `optimize_layout_euclidean`): stochastic gradient descent on the fuzzy
 * set cross-entropy, one epoch at a time. Each edge is sampled in proportion to its weight (every
 * max(w) / w epochs); each sample pulls both ends together with the attractive gradient of
 * 1 / (1 + a·d^(2b)) and pushes the head away from `negativeSampleRate` random points; gradients are clipped to
 * ±4 and the learning rate falls linearly to 0. Typed arrays throughout; the random points come from the seeded
 * generator, so a seed fixes the layout.
 */
import type { ProgressCallback } from '../types.js';
import type { SeededRandom } from './random.js';
import type { FuzzyGraph } from './umap-graph.js';

export interface LayoutOptions {
  epochs: number;
  a: number;
  b: number;
  /** Negative samples per positive sample (default 5). */
  negativeSampleRate?: number;
  /** Weight of the repulsion (default 1). */
  repulsionStrength?: number;
  /** Initial learning rate (default 1). */
  learningRate?: number;
  onProgress?: ProgressCallback;
}

const CLIP = 4;
const YIELD_EVERY_MS = 100;

function clip(v: number): number {
  return v > CLIP ? CLIP : v < -CLIP ? -CLIP : v;
}

/** Optimises `embedding` (n × dims, row-major) in place. */
export async function optimizeLayout(
  embedding: Float64Array,
  dims: number,
  graph: FuzzyGraph,
  random: SeededRandom,
  options: LayoutOptions,
): Promise<void> {
  const { n, indptr, indices, weights } = graph;
  const { epochs, a, b } = options;
  const negativeRate = options.negativeSampleRate ?? 5;
  const gamma = options.repulsionStrength ?? 1;
  const initialAlpha = options.learningRate ?? 1;
  // Edges too weak to be sampled even once in all the epochs are dropped, as umap-learn does.
  let largest = 0;
  for (const w of weights) largest = Math.max(largest, w);
  const heads: number[] = [];
  const tails: number[] = [];
  const periods: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let e = indptr[i]; e < indptr[i + 1]; e++) {
      if (weights[e] < largest / epochs) continue;
      heads.push(i);
      tails.push(indices[e]);
      periods.push(largest / weights[e]);
    }
  }
  const head = Int32Array.from(heads);
  const tail = Int32Array.from(tails);
  const period = Float64Array.from(periods);
  const nextSample = Float64Array.from(periods);
  const negativePeriod = period.map((p) => p / negativeRate);
  const nextNegative = Float64Array.from(negativePeriod);
  const twoAb = 2 * a * b;
  const twoGammaB = 2 * gamma * b;
  const delta = new Float64Array(dims);
  const step = dims === 2 ? epoch2 : epochAny;
  const state: EpochState = {
    embedding,
    dims,
    n,
    head,
    tail,
    period,
    nextSample,
    negativePeriod,
    nextNegative,
    a,
    b,
    twoAb,
    twoGammaB,
    delta,
    random,
    randomState: random.integer(0x7fffffff),
    alpha: 0,
    epoch: 0,
  };

  let lastYield = Date.now();
  for (let epoch = 0; epoch < epochs; epoch++) {
    state.alpha = initialAlpha * (1 - epoch / epochs);
    state.epoch = epoch;
    step(state);
    if (Date.now() - lastYield > YIELD_EVERY_MS) {
      options.onProgress?.({ done: epoch + 1, total: epochs, stage: 'epochs' });
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      lastYield = Date.now();
    }
  }
  options.onProgress?.({ done: epochs, total: epochs, stage: 'epochs' });
}

interface EpochState {
  embedding: Float64Array;
  dims: number;
  n: number;
  head: Int32Array;
  tail: Int32Array;
  period: Float64Array;
  nextSample: Float64Array;
  negativePeriod: Float64Array;
  nextNegative: Float64Array;
  a: number;
  b: number;
  twoAb: number;
  twoGammaB: number;
  delta: Float64Array;
  random: SeededRandom;
  /** State of the 2-D epochs' inlined generator, seeded from `random`. */
  randomState: number;
  alpha: number;
  epoch: number;
}

/*
 * d^(2b) is computed as exp(b·log d²): the same value up to rounding, at well under half the cost of Math.pow,
 * which the epochs would otherwise spend most of their time in.
 */

/** One epoch in 2-D, with the coordinates in locals. */
function epoch2(s: EpochState): void {
  const { embedding: y, n, head, tail, period, nextSample, negativePeriod, nextNegative, a, b } = s;
  const { twoAb, twoGammaB, alpha, epoch } = s;
  let state = s.randomState;
  const edges = head.length;
  for (let e = 0; e < edges; e++) {
    if (nextSample[e] > epoch) continue;
    const j = 2 * head[e];
    const k = 2 * tail[e];
    let dx = y[j] - y[k];
    let dy = y[j + 1] - y[k + 1];
    let d2 = dx * dx + dy * dy;
    if (d2 > 0) {
      const pd = Math.exp(b * Math.log(d2));
      const coefficient = (-twoAb * (pd / d2)) / (a * pd + 1);
      const gx = clip(coefficient * dx) * alpha;
      const gy = clip(coefficient * dy) * alpha;
      y[j] += gx;
      y[j + 1] += gy;
      y[k] -= gx;
      y[k + 1] -= gy;
    }
    nextSample[e] += period[e];

    const negatives = Math.floor((epoch - nextNegative[e]) / negativePeriod[e]);
    for (let t = 0; t < negatives; t++) {
      // mulberry32 (random.ts), inlined: the negative samples draw billions of numbers at 70 000 points.
      state = (state + 0x6d2b79f5) | 0;
      let r = Math.imul(state ^ (state >>> 15), state | 1);
      r = (r + Math.imul(r ^ (r >>> 7), r | 61)) ^ r;
      const m = 2 * Math.floor((((r ^ (r >>> 14)) >>> 0) / 4294967296) * n);
      if (m === j) continue;
      dx = y[j] - y[m];
      dy = y[j + 1] - y[m + 1];
      d2 = dx * dx + dy * dy;
      if (d2 <= 0) continue;
      const coefficient = twoGammaB / ((0.001 + d2) * (a * Math.exp(b * Math.log(d2)) + 1));
      y[j] += clip(coefficient * dx) * alpha;
      y[j + 1] += clip(coefficient * dy) * alpha;
    }
    nextNegative[e] += negatives * negativePeriod[e];
  }
  s.randomState = state;
}

function epochAny(s: EpochState): void {
  const { embedding, dims, n, head, tail, period, nextSample, negativePeriod, nextNegative, a, b } = s;
  const { twoAb, twoGammaB, delta, random, alpha, epoch } = s;
  const edges = head.length;
  for (let e = 0; e < edges; e++) {
    if (nextSample[e] > epoch) continue;
    const j = head[e];
    const jb = j * dims;
    let kb = tail[e] * dims;
    let d2 = 0;
    for (let c = 0; c < dims; c++) {
      delta[c] = embedding[jb + c] - embedding[kb + c];
      d2 += delta[c] * delta[c];
    }
    if (d2 > 0) {
      const pd = Math.exp(b * Math.log(d2));
      const coefficient = (-twoAb * (pd / d2)) / (a * pd + 1);
      for (let c = 0; c < dims; c++) {
        const g = clip(coefficient * delta[c]) * alpha;
        embedding[jb + c] += g;
        embedding[kb + c] -= g;
      }
    }
    nextSample[e] += period[e];

    const negatives = Math.floor((epoch - nextNegative[e]) / negativePeriod[e]);
    for (let t = 0; t < negatives; t++) {
      const k = random.integer(n);
      if (k === j) continue;
      kb = k * dims;
      d2 = 0;
      for (let c = 0; c < dims; c++) {
        delta[c] = embedding[jb + c] - embedding[kb + c];
        d2 += delta[c] * delta[c];
      }
      if (d2 <= 0) continue;
      const coefficient = twoGammaB / ((0.001 + d2) * (a * Math.exp(b * Math.log(d2)) + 1));
      for (let c = 0; c < dims; c++) embedding[jb + c] += clip(coefficient * delta[c]) * alpha;
    }
    nextNegative[e] += negatives * negativePeriod[e];
  }
}
