import { describe, expect, it } from 'vitest';
import {
  denseAffinities,
  entropyTerm,
  squaredDistanceMatrix,
  type SparseAffinities,
} from '../../src/projection/affinities.js';
import { prepareDistance } from '../../src/projection/distances.js';
import { ExactGradient } from '../../src/projection/exact.js';
import { GridConvolution } from '../../src/projection/fft-convolution.js';
import { gaussianMixture } from '../../src/projection/gaussian-mixture.js';
import { InterpolationGradient } from '../../src/projection/interpolation.js';
import { neighbourLabelAgreement } from '../../src/projection/quality.js';
import { seededRandom } from '../../src/projection/random.js';
import { tsne } from '../../src/projection/tsne.js';

function randomData(n: number, dim: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n * dim }, () => random.normal());
}

/** The dense P as a sparse matrix holding every off-diagonal pair. */
function allPairs(p: Float64Array, n: number): SparseAffinities {
  const indptr = new Int32Array(n + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      indices.push(j);
      values.push(p[i * n + j]);
    }
    indptr[i + 1] = indices.length;
  }
  return { n, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
}

function relativeError(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  let diff = 0;
  for (let t = 0; t < a.length; t++) {
    scale = Math.max(scale, Math.abs(b[t]));
    diff = Math.max(diff, Math.abs(a[t] - b[t]));
  }
  return diff / scale;
}

/** ‖a - b‖₂ / ‖b‖₂. */
function normRelativeError(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  let diff = 0;
  for (let t = 0; t < a.length; t++) {
    scale += b[t] * b[t];
    diff += (a[t] - b[t]) ** 2;
  }
  return Math.sqrt(diff / scale);
}

describe('FFT convolution on a grid', () => {
  it('equals the direct double sum of a field against an even kernel', () => {
    const m = 7;
    const kernel = (a: number, b: number) => 1 / (1 + 0.3 * (a * a + b * b));
    const random = seededRandom(4);
    const first = Float64Array.from({ length: m * m }, () => random.normal());
    const second = Float64Array.from({ length: m * m }, () => random.normal());
    const direct = (field: Float64Array) => {
      const out = new Float64Array(m * m);
      for (let r = 0; r < m; r++)
        for (let c = 0; c < m; c++)
          for (let s = 0; s < m; s++)
            for (let t = 0; t < m; t++) out[r * m + c] += kernel(r - s, c - t) * field[s * m + t];
      return out;
    };
    const expectedFirst = direct(first);
    const expectedSecond = direct(second);
    const convolution = new GridConvolution(16, m);
    convolution.setKernel(kernel);
    convolution.convolvePair(first, second);
    expect(relativeError(first, expectedFirst)).toBeLessThan(1e-12);
    expect(relativeError(second, expectedSecond)).toBeLessThan(1e-12);
  });
});

describe('interpolation (FIt-SNE) gradient', () => {
  const n = 250;
  const p = denseAffinities(
    squaredDistanceMatrix(prepareDistance(randomData(n, 5, 1), n, 5, 'euclidean'), n),
    n,
    20,
  );
  const sparse = allPairs(p, n);
  const embedding = (scale: number) => {
    const random = seededRandom(7);
    return Float64Array.from({ length: n * 2 }, () => scale * random.normal());
  };
  const exactGradient = (y: Float64Array, exaggeration: number) => {
    const grad = new Float64Array(n * 2);
    const kl = new ExactGradient(p, n, 2).evaluate(y, exaggeration, grad, true) as number;
    return { grad, kl };
  };

  // Embeddings from tight (one box holds every point) to spread (250 points over about 20 × 20 units).
  for (const scale of [0.05, 3]) {
    it(`with the default grid matches the exact gradient and KL within 1e-2 (embedding scale ${scale})`, () => {
      const y = embedding(scale);
      const interpolation = new InterpolationGradient(sparse, entropyTerm(sparse.values));
      for (const exaggeration of [1, 12]) {
        const expected = exactGradient(y, exaggeration);
        const got = new Float64Array(n * 2);
        const kl = interpolation.evaluate(y, exaggeration, got, true) as number;
        expect(relativeError(got, expected.grad)).toBeLessThan(1e-2);
        expect(Math.abs(kl - expected.kl)).toBeLessThan(1e-2 * Math.abs(expected.kl));
      }
      expect(interpolation.lastGrid.boxWidth).toBeLessThanOrEqual(1);
    });
  }

  it('converges at third order as the boxes shrink (three Lagrange nodes per box)', () => {
    // Sparse, wide embedding (about 150 units): isolated points make the near field, where a box is widest
    // relative to the kernel, dominate the error.
    const y = embedding(25);
    const expected = exactGradient(y, 1).grad;
    const errors = [1, 0.5].map((maxBoxWidth) => {
      const got = new Float64Array(n * 2);
      const settings = { maxBoxWidth, maxFftSize: 2048 };
      const interpolation = new InterpolationGradient(sparse, entropyTerm(sparse.values), settings);
      interpolation.evaluate(y, 1, got, false);
      expect(interpolation.lastGrid.boxWidth).toBeLessThanOrEqual(maxBoxWidth);
      return normRelativeError(got, expected);
    });
    // Halving the box divides an O(h³) error by about 8; 4 leaves room for the rounding of the box widths.
    expect(errors[1]).toBeLessThan(errors[0] / 4);
    expect(errors[1]).toBeLessThan(2e-2);
  });

  it('t-SNE with it lowers the KL divergence and separates clusters, reproducibly', async () => {
    const { data, labels, dim } = gaussianMixture({ n: 600, dim: 10, clusters: 4, centerScale: 4, seed: 3 });
    const options = { algorithm: 'fft' as const, perplexity: 20, maxIterations: 200, numPrint: 10, seed: 2 };
    const result = await tsne(data, 600, dim, options);
    expect(result.algorithm).toBe('fft');
    expect(result.kl[result.kl.length - 1]).toBeLessThan(result.kl[0]);
    // After early exaggeration (99 iterations) every recorded KL is below the one at iteration 100.
    const after = result.klIterations.indexOf(100);
    for (let t = after + 1; t < result.kl.length; t++) expect(result.kl[t]).toBeLessThan(result.kl[after]);
    expect(neighbourLabelAgreement(result.embedding, 600, 2, labels, 10)).toBeGreaterThan(0.95);
    const short = { ...options, maxIterations: 20 };
    const first = await tsne(data, 600, dim, short);
    const again = await tsne(data, 600, dim, short);
    expect(again.embedding).toEqual(first.embedding);
  });
});
