import { describe, expect, it } from 'vitest';
import { ortMatrixProducts } from '../../src/node/gemm-products.js';
import { pca, pcaWithProducts } from '../../src/projection/pca.js';
import type { DataProducts, MatrixProducts } from '../../src/projection/randomized-pca.js';
import { lowRankData } from './low-rank-data.js';

/** Products in plain double loops, in another order than the solver's own: checks the request protocol. */
const plainProducts: MatrixProducts = (a, n, dim) => {
  const product = (
    left: (i: number, t: number) => number,
    rows: number,
    inner: number,
    right: (t: number, j: number) => number,
    cols: number,
  ) => {
    const out = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let t = 0; t < inner; t++) s += left(i, t) * right(t, j);
        out[i * cols + j] = s;
      }
    }
    return out;
  };
  const host: DataProducts = {
    times: async (m, l) =>
      product(
        (i, t) => a[i * dim + t],
        n,
        dim,
        (t, j) => m[t * l + j],
        l,
      ),
    transposedTimes: async (y, l) =>
      product(
        (c, i) => a[i * dim + c],
        dim,
        n,
        (i, j) => y[i * l + j],
        l,
      ),
    gram: async (y, rows, l) =>
      product(
        (p, i) => y[i * l + p],
        l,
        rows,
        (i, q) => y[i * l + q],
        l,
      ),
    multiply: async (y, rows, l, s, c) =>
      product(
        (i, t) => y[i * l + t],
        rows,
        l,
        (t, j) => s[t * c + j],
        c,
      ),
    release: async () => {},
  };
  return Promise.resolve(host);
};

describe('randomised PCA with host products', () => {
  const n = 1200;
  const dim = 120;
  const k = 4;
  // A rank-4 signal (standard deviations 6, 4, 3, 2) around a non-zero mean, plus noise.
  const x = lowRankData(n, dim, { scales: [6, 4, 3, 2], noise: 0.2, seed: 3 });
  const reference = pca(x, n, dim, { numDimensions: k, solver: 'randomized' });

  it('gives the JavaScript solver its own results when the host computes the same products', async () => {
    const hosted = await pcaWithProducts(plainProducts, x, n, dim, {
      numDimensions: k,
      solver: 'randomized',
    });
    // Only the summation order differs: double rounding over sums of at most n terms.
    for (let c = 0; c < k; c++) {
      expect(Math.abs(hosted.explainedVariance[c] - reference.explainedVariance[c])).toBeLessThan(1e-12);
    }
    let worst = 0;
    for (let t = 0; t < n * k; t++)
      worst = Math.max(worst, Math.abs(hosted.embedding[t] - reference.embedding[t]));
    expect(worst).toBeLessThan(1e-5); // the embedding is float32
  });

  it('agrees with the JavaScript solver when ONNX Runtime computes them (float32 products)', async () => {
    const ort = await pcaWithProducts(ortMatrixProducts(1), x, n, dim, { numDimensions: k });
    // Float32 products carry a relative error of about √dim · 2⁻²⁴ ≈ 7e-7 of |row| · |column|; the rows hold a
    // mean of 0.5 per feature (|row| ≈ 6 against signal deviations of 2 to 6): allow 1e-5 on the variances, 1e-6
    // on the components' cosines (second order in the direction error) and 1e-4 of the largest score.
    for (let c = 0; c < k; c++) {
      expect(Math.abs(ort.explainedVariance[c] / reference.explainedVariance[c] - 1)).toBeLessThan(1e-5);
      let dot = 0;
      for (let r = 0; r < dim; r++) dot += ort.components[r * k + c] * reference.components[r * k + c];
      expect(dot).toBeGreaterThan(1 - 1e-6);
    }
    let worst = 0;
    let scale = 0;
    for (let t = 0; t < n * k; t++) {
      worst = Math.max(worst, Math.abs(ort.embedding[t] - reference.embedding[t]));
      scale = Math.max(scale, Math.abs(reference.embedding[t]));
    }
    expect(worst / scale).toBeLessThan(1e-4);
  });

  it('stops with a typed error when the host returns a product of the wrong size', async () => {
    const broken: MatrixProducts = async (a, rows, dim) => {
      const host = await plainProducts(a, rows, dim);
      return { ...host, gram: async () => new Float64Array(3) };
    };
    await expect(
      pcaWithProducts(broken, x, n, dim, { numDimensions: k, solver: 'randomized' }),
    ).rejects.toThrow(/matrix product returned 3 values/);
  });
});
