import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { prepareDistance, rankRow, type Distance } from '../../src/projection/distances.js';

/** Two rows, a = [1, 0, 2, -1] and b = [3, 1, 0, 1]; a - b = [-2, -1, 2, -2]. */
const pair = new Float32Array([1, 0, 2, -1, 3, 1, 0, 1]);

function between(
  data: Float32Array,
  dim: number,
  distance: Distance,
  i = 0,
  j = 1,
  exponent?: number,
): number {
  return prepareDistance(data, data.length / dim, dim, distance, { exponent }).between(i, j);
}

describe('distances (hand-computed values)', () => {
  it('euclidean: sqrt(4 + 1 + 4 + 4)', () => {
    expect(between(pair, 4, 'euclidean')).toBeCloseTo(Math.sqrt(13), 12);
  });

  it('cityblock: 2 + 1 + 2 + 2', () => {
    expect(between(pair, 4, 'cityblock')).toBe(7);
  });

  it('chebychev: largest |difference|', () => {
    expect(between(pair, 4, 'chebychev')).toBe(2);
  });

  it('minkowski with exponent 3: (8 + 1 + 8 + 8)^(1/3); exponent 1 is cityblock', () => {
    expect(between(pair, 4, 'minkowski', 0, 1, 3)).toBeCloseTo(Math.cbrt(25), 12);
    expect(between(pair, 4, 'minkowski', 0, 1, 1)).toBeCloseTo(7, 12);
    expect(between(pair, 4, 'minkowski')).toBeCloseTo(Math.sqrt(13), 12);
  });

  it('cosine: 1 - a·b / (|a||b|) = 1 - 2 / sqrt(6 · 11)', () => {
    expect(between(pair, 4, 'cosine')).toBeCloseTo(1 - 2 / Math.sqrt(66), 12);
  });

  it('correlation: 1 - Pearson r; centred rows [.5 -.5 1.5 -1.5] and [1.75 -.25 -1.25 -.25]', () => {
    expect(between(pair, 4, 'correlation')).toBeCloseTo(1 + 0.5 / Math.sqrt(5 * 4.75), 12);
  });

  it('spearman: ranks [3 2 4 1] and [4 2.5 1 2.5] (tie averaged), 1 - their correlation', () => {
    expect(Array.from(rankRow(new Float64Array([3, 1, 0, 1])))).toEqual([4, 2.5, 1, 2.5]);
    expect(between(pair, 4, 'spearman')).toBeCloseTo(1 + 1.5 / Math.sqrt(5 * 4.5), 12);
  });

  it('hamming and jaccard: [1 0 2 0] vs [1 3 0 0] differ at 2 of 4 coordinates, 2 of the 3 nonzero ones', () => {
    const data = new Float32Array([1, 0, 2, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(between(data, 4, 'hamming')).toBe(0.5);
    expect(between(data, 4, 'jaccard')).toBeCloseTo(2 / 3, 12);
    // Two all-zero rows share nothing and differ in nothing.
    expect(between(data, 4, 'jaccard', 2, 3)).toBe(0);
  });

  it('seuclidean divides by the per-feature standard deviation (2 and sqrt 7 here)', () => {
    const data = new Float32Array([0, 0, 2, 1, 4, 5]);
    expect(between(data, 2, 'seuclidean')).toBeCloseTo(Math.sqrt(1 + 1 / 7), 12);
  });

  it('mahalanobis uses the inverse sample covariance, C = [[8, 10], [10, 14]] / 3 here', () => {
    const data = new Float32Array([0, 0, 2, 1, 4, 5, 2, 2]);
    expect(between(data, 2, 'mahalanobis', 0, 1)).toBeCloseTo(Math.sqrt(6), 10);
    expect(between(data, 2, 'mahalanobis', 0, 3)).toBeCloseTo(Math.sqrt(2), 10);
  });

  it('mahalanobis on a singular covariance is a typed error', () => {
    const collinear = new Float32Array([0, 0, 1, 2, 2, 4, 3, 6]);
    expect(() => prepareDistance(collinear, 4, 2, 'mahalanobis')).toThrow(OptionError);
    expect(() => prepareDistance(collinear, 4, 2, 'mahalanobis')).toThrow(/singular/);
  });

  it('a user function gets the two rows and must return a finite value >= 0', () => {
    const firstFeature = (a: Float32Array, b: Float32Array) => Math.abs(a[0] - b[0]);
    expect(between(pair, 4, firstFeature)).toBe(2);
    expect(prepareDistance(pair, 2, 4, firstFeature).isMetric).toBe(false);
    const broken = prepareDistance(pair, 2, 4, () => -1);
    expect(() => broken.between(0, 1)).toThrow(OptionError);
  });

  it('cosine and correlation reject rows they are undefined for', () => {
    const zeros = new Float32Array([0, 0, 0, 1, 2, 3]);
    expect(() => prepareDistance(zeros, 2, 3, 'cosine')).toThrow(/row 0/);
    const constant = new Float32Array([1, 2, 3, 5, 5, 5]);
    expect(() => prepareDistance(constant, 2, 3, 'correlation')).toThrow(/row 1/);
  });

  it('unknown names and bad exponents are typed errors', () => {
    expect(() => prepareDistance(pair, 2, 4, 'manhattan' as Distance)).toThrow(OptionError);
    expect(() => prepareDistance(pair, 2, 4, 'minkowski', { exponent: 0 })).toThrow(OptionError);
  });

  it('every distance is symmetric and zero on the diagonal', () => {
    const data = new Float32Array([1, 0, 2, -1, 3, 1, 0, 1, 0.5, 2, -1, 4]);
    const names: Distance[] = ['euclidean', 'seuclidean', 'cityblock', 'chebychev', 'minkowski', 'cosine'];
    names.push('correlation', 'spearman', 'hamming', 'jaccard');
    for (const name of names) {
      const d = prepareDistance(data, 3, 4, name);
      for (let i = 0; i < 3; i++) {
        expect(d.between(i, i)).toBeCloseTo(0, 12);
        for (let j = 0; j < 3; j++) expect(d.between(i, j)).toBeCloseTo(d.between(j, i), 12);
      }
    }
  });
});
