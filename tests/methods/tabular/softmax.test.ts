import { describe, expect, it } from 'vitest';
import { addRowScores, expNonPositive } from '../../../src/methods/tabular/scorer.js';

describe('the table softmax', () => {
  it('expNonPositive follows Math.exp to 2e-14 (relative) over the whole range a softmax uses', () => {
    // The table step ln2/32 is rounded to a double (relative error 2^-53); times |j| <= 4 802 that bounds the
    // reduced argument's error by ~1.2e-14, plus a few ulps of rounding in the polynomial.
    let worst = 0;
    for (let i = 0; i <= 200_000; i++) {
      const d = -104 * (i / 200_000) ** 1.5;
      worst = Math.max(worst, Math.abs(expNonPositive(d) - Math.exp(d)) / Math.exp(d));
    }
    expect(worst).toBeLessThan(2e-14);
    expect(expNonPositive(0)).toBe(1);
    expect(expNonPositive(-0)).toBe(1);
    expect(expNonPositive(-1e-300)).toBe(1);
    // Below -104 float32 rounds e^d to 0, and so does the function.
    expect(Math.fround(Math.exp(-104.5))).toBe(0);
    expect(expNonPositive(-104.5)).toBe(0);
    expect(expNonPositive(-Infinity)).toBe(0);
    expect(expNonPositive(Number.NaN)).toBeNaN();
  });

  it('the fused row means equal the mean of the per-row softmax in float64 (any class count)', () => {
    for (const k of [2, 3, 5]) {
      const rows = 37;
      const raw = Float32Array.from({ length: rows * k }, (_, i) => Math.sin(i * 1.7) * 9 + (i % k));
      const sums = new Float64Array(k);
      addRowScores(raw, 0, rows, k, true, sums, 0);
      const expected = new Float64Array(k);
      for (let r = 0; r < rows; r++) {
        const row = Array.from(raw.subarray(r * k, (r + 1) * k));
        const max = Math.max(...row);
        const e = row.map((x) => Math.exp(x - max));
        const total = e.reduce((a, b) => a + b, 0);
        e.forEach((v, o) => (expected[o] += v / total));
      }
      // Each probability is rounded to float32 (relative 2^-24) before it is summed.
      for (let o = 0; o < k; o++) expect(Math.abs(sums[o] - expected[o])).toBeLessThan(rows * 6e-8);
      expect(sums.reduce((a, b) => a + b, 0)).toBeCloseTo(rows, 5);
    }
  });

  it('plain sums (regressions, logits) are the float64 sums of the rows, for 1, 3 and 4 columns', () => {
    for (const k of [1, 3, 4]) {
      const rows = 29;
      const raw = Float32Array.from({ length: rows * k }, (_, i) => Math.cos(i * 0.37) * 5);
      const sums = new Float64Array(k + 2).fill(0.25);
      addRowScores(raw, 3, rows, k, false, sums, 1);
      for (let o = 0; o < k; o++) {
        let expected = 0.25;
        for (let r = 3; r < rows; r++) expected += raw[r * k + o];
        expect(sums[1 + o]).toBe(expected);
      }
      expect([sums[0], sums[k + 1]]).toEqual([0.25, 0.25]);
    }
  });
});
