/**
 * Small statistics the trust metrics share: ranks with averaged ties, Pearson and Spearman correlation,
 * and the percentile bootstrap of a mean.
 */
import { OptionError } from '../errors.js';
import { createRandom } from '../util/random.js';

/** 1-based ranks, ties given the mean of the ranks they span. */
export function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
  const out = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k]] = rank;
    i = j + 1;
  }
  return out;
}

/** Pearson correlation; NaN when either side is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new OptionError('INVALID_OPTION', `correlation of ${n} and ${b.length} values`);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/** Spearman rank correlation (Pearson correlation of the tie-averaged ranks). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

export interface Interval {
  mean: number;
  /** Bounds of the percentile bootstrap interval of the mean. */
  low: number;
  high: number;
  /** Values that entered (non-finite ones are left out). */
  count: number;
}

export interface BootstrapOptions {
  seed?: number;
  /** Resamples (default 1000). */
  resamples?: number;
  /** Coverage (default 0.95). */
  level?: number;
}

/** Mean with a percentile bootstrap interval over the finite values (NaN bounds when there are none). */
export function bootstrapMean(values: readonly number[], options: BootstrapOptions = {}): Interval {
  const finite = values.filter(Number.isFinite);
  const n = finite.length;
  if (n === 0) return { mean: NaN, low: NaN, high: NaN, count: 0 };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const random = createRandom(options.seed ?? 0);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += finite[random.nextInt(n)];
    means[r] = s / n;
  }
  means.sort();
  const at = (q: number) => means[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))];
  return { mean, low: at((1 - level) / 2), high: at(1 - (1 - level) / 2), count: n };
}

/** Trapezoidal area under y sampled at equally spaced x from 0 to 1. */
export function areaUnderCurve(y: readonly number[]): number {
  if (y.length < 2) return NaN;
  let s = 0;
  for (let i = 1; i < y.length; i++) s += (y[i - 1] + y[i]) / 2;
  return s / (y.length - 1);
}
