import { describe, expect, it } from 'vitest';
import { pca } from '../../src/projection/pca.js';
import { lowRankData } from './low-rank-data.js';

describe('randomised PCA', () => {
  const n = 1500;
  const dim = 160;
  const k = 5;
  // A rank-5 signal with standard deviations 5, 4, 3, 2, 1.5, plus noise.
  const data = lowRankData(n, dim, { scales: [5, 4, 3, 2, 1.5], noise: 0.2, seed: 11 });
  const full = pca(data, n, dim, { numDimensions: k, solver: 'full' });

  it('finds the same components, scores and explained variance as the full eigendecomposition', () => {
    const randomized = pca(data, n, dim, { numDimensions: k, solver: 'randomized' });
    for (let c = 0; c < k; c++) {
      let dot = 0;
      for (let r = 0; r < dim; r++) dot += full.components[r * k + c] * randomized.components[r * k + c];
      // Same sign convention, so the same unit vector: cosine 1 up to the noise's pull on the subspace.
      expect(dot).toBeGreaterThan(1 - 1e-6);
      expect(randomized.explainedVariance[c]).toBeCloseTo(full.explainedVariance[c], 6);
    }
    let worst = 0;
    let scale = 0;
    for (let t = 0; t < n * k; t++) {
      worst = Math.max(worst, Math.abs(randomized.embedding[t] - full.embedding[t]));
      scale = Math.max(scale, Math.abs(full.embedding[t]));
    }
    expect(worst / scale).toBeLessThan(1e-4);
  });

  it('is the default for wide data and few components; its seed only changes rounding', () => {
    const auto = pca(data, n, dim, { numDimensions: k });
    const other = pca(data, n, dim, { numDimensions: k, seed: 5 });
    for (let c = 0; c < k; c++) {
      expect(auto.explainedVariance[c]).toBeCloseTo(full.explainedVariance[c], 6);
      expect(other.explainedVariance[c]).toBeCloseTo(full.explainedVariance[c], 6);
    }
  });

  it('rejects an unknown solver with a typed error', () => {
    expect(() => pca(data, n, dim, { numDimensions: k, solver: 'lanczos' as never })).toThrow(/PCA solver/);
  });
});
