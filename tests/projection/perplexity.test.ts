import { describe, expect, it } from 'vitest';
import { conditionalProbabilities, fitRow, rowPerplexity } from '../../src/projection/perplexity.js';
import { seededRandom } from '../../src/projection/random.js';

describe('perplexity search', () => {
  it('reaches the requested perplexity on rows of random squared distances', () => {
    const random = seededRandom(7);
    const rows = 50;
    const k = 90;
    const distSq = new Float64Array(rows * k);
    // Distances at very different scales per row, including large ones that would underflow exp() unshifted.
    for (let i = 0; i < rows; i++) {
      const scale = 10 ** (4 * random.uniform() - 1);
      for (let t = 0; t < k; t++) distSq[i * k + t] = scale * (1000 + 50 * random.uniform());
    }
    for (const perplexity of [5, 30]) {
      const p = conditionalProbabilities(distSq, rows, k, perplexity);
      for (let i = 0; i < rows; i++) {
        const row = p.subarray(i * k, (i + 1) * k);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        expect(Math.abs(rowPerplexity(row) - perplexity) / perplexity).toBeLessThan(1e-4);
      }
    }
  });

  it('gives equal weights to equidistant neighbours and none to left-out pairs (Infinity)', () => {
    const out = new Float64Array(4);
    fitRow([Infinity, 3, 3, 3], 0, 4, 2, out, 0);
    expect(out[0]).toBe(0);
    for (let t = 1; t < 4; t++) expect(out[t]).toBeCloseTo(1 / 3, 12);
  });

  it('makes closer neighbours more probable, with p ∝ exp(-β d²)', () => {
    const out = new Float64Array(3);
    const beta = fitRow([1, 2, 4], 0, 3, 2, out, 0);
    expect(out[0]).toBeGreaterThan(out[1]);
    expect(out[1]).toBeGreaterThan(out[2]);
    expect(out[0] / out[1]).toBeCloseTo(Math.exp(beta), 10);
    expect(out[1] / out[2]).toBeCloseTo(Math.exp(2 * beta), 10);
  });
});
