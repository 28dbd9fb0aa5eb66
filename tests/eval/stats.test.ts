/** Statistics and map similarity used by the trust metrics, against hand-computed values. */
import { describe, expect, it } from 'vitest';
import { hogSimilarity, mapSimilarity, mapSsim } from '../../src/eval/similarity.js';
import { areaUnderCurve, bootstrapMean, pearson, ranks, spearman } from '../../src/eval/stats.js';
import { lcgValues } from '../methods/linear-models.js';

describe('statistics', () => {
  it('ranks average ties; Spearman is Pearson of ranks and invariant to monotone maps', () => {
    expect([...ranks([3, 1, 3, 2])]).toEqual([3.5, 1, 3.5, 2]);
    const a = [0.1, 0.5, 0.2, 0.9, 0.3];
    expect(
      spearman(
        a,
        a.map((v) => Math.exp(5 * v)),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      spearman(
        a,
        a.map((v) => -v),
      ),
    ).toBeCloseTo(-1, 12);
    // Hand value: ranks [1,2,3,4] vs [2,1,4,3] → 1 − 6·Σd²/(n(n²−1)) = 1 − 6·4/60 = 0.6.
    expect(spearman([1, 2, 3, 4], [2, 1, 4, 3])).toBeCloseTo(0.6, 12);
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(0.9933992677987828, 12);
    expect(Number.isNaN(pearson([1, 1, 1], [1, 2, 3]))).toBe(true);
  });

  it('bootstrap interval brackets the mean, narrows with more data and repeats with the seed', () => {
    const small = Array.from(lcgValues(10, 1));
    const large = Array.from(lcgValues(1000, 1));
    const s = bootstrapMean(small, { seed: 3 });
    const l = bootstrapMean(large, { seed: 3 });
    expect(s.low).toBeLessThanOrEqual(s.mean);
    expect(s.high).toBeGreaterThanOrEqual(s.mean);
    expect(l.high - l.low).toBeLessThan(s.high - s.low);
    // The standard error of a uniform(−1, 1) mean over 1000 values is 0.0183: the 95 % interval ≈ ±0.036.
    expect(l.high - l.low).toBeGreaterThan(2 * 1.96 * 0.0183 * 0.8);
    expect(l.high - l.low).toBeLessThan(2 * 1.96 * 0.0183 * 1.2);
    expect(bootstrapMean(small, { seed: 3 })).toEqual(s);
    expect(bootstrapMean([NaN, 2, 4]).mean).toBe(3);
    expect(areaUnderCurve([0, 1, 1])).toBeCloseTo(0.75, 12);
  });
});

describe('map similarity', () => {
  const H = 24;
  const W = 20;
  const blob = Float32Array.from({ length: H * W }, (_, p) => {
    const y = Math.floor(p / W);
    const x = p % W;
    return Math.exp(-((y - 8) ** 2 + (x - 12) ** 2) / 20);
  });
  it('is 1 for the same map (and its negation), low for unrelated noise', () => {
    const same = mapSimilarity(
      blob,
      blob.map((v) => -2 * v),
      H,
      W,
    );
    expect(same.spearman).toBeCloseTo(1, 12);
    expect(same.ssim).toBeGreaterThan(0.999);
    expect(same.hog).toBeCloseTo(1, 9);
    const noise = mapSimilarity(blob, lcgValues(H * W, 8, 0, 1), H, W);
    expect(Math.abs(noise.spearman)).toBeLessThan(0.2);
    expect(noise.ssim).toBeLessThan(0.2);
    expect(Math.abs(noise.hog)).toBeLessThan(0.3);
  });

  it('HOG follows structure: a shifted blob keeps more of it than a blob elsewhere with another shape', () => {
    const at = (cy: number, cx: number, sy: number, sx: number) =>
      Float32Array.from({ length: H * W }, (_, p) => {
        const y = Math.floor(p / W);
        const x = p % W;
        return Math.exp(-((y - cy) ** 2) / sy - (x - cx) ** 2 / sx);
      });
    const shifted = at(8, 13, 20, 20);
    const elongated = at(16, 6, 2, 60);
    expect(hogSimilarity(blob, shifted, H, W)).toBeGreaterThan(hogSimilarity(blob, elongated, H, W));
    expect(mapSsim(blob, shifted, H, W)).toBeGreaterThan(mapSsim(blob, elongated, H, W));
  });
});
