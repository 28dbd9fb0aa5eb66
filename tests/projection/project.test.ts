import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { gaussianMixture } from '../../src/projection/gaussian-mixture.js';
import { project, type ProjectOptions } from '../../src/projection/index.js';
import { pca } from '../../src/projection/pca.js';
import { neighbourLabelAgreement } from '../../src/projection/quality.js';
import { seededRandom } from '../../src/projection/random.js';

describe('PCA', () => {
  it('on independent features with variances 9, 4, 1 the components are the axes, largest first', () => {
    const random = seededRandom(1);
    const n = 2000;
    const data = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      data[3 * i] = 5 + 3 * random.normal();
      data[3 * i + 1] = -2 + 2 * random.normal();
      data[3 * i + 2] = random.normal();
    }
    const result = pca(data, n, 3, { numDimensions: 2 });
    // Loadings (3 × 2, row-major): e0 then e1, signed so that the largest loading is positive.
    const loading = (feature: number, component: number) => result.components[feature * 2 + component];
    expect(loading(0, 0)).toBeCloseTo(1, 2);
    expect(loading(1, 0)).toBeCloseTo(0, 1);
    expect(loading(1, 1)).toBeCloseTo(1, 2);
    expect(loading(2, 1)).toBeCloseTo(0, 1);
    // Scores are the centred features.
    let mean0 = 0;
    for (let i = 0; i < n; i++) mean0 += data[3 * i] / n;
    let worst = 0;
    for (let i = 0; i < n; i++)
      worst = Math.max(worst, Math.abs(result.embedding[2 * i] - (data[3 * i] - mean0)));
    expect(worst).toBeLessThan(0.1);
    expect(result.explainedVariance[0]).toBeCloseTo(9 / 14, 1);
    expect(result.explainedVariance[1]).toBeCloseTo(4 / 14, 1);
  });

  it('data on a plane in 5-D keeps all pairwise distances in 2 components', () => {
    const random = seededRandom(2);
    const n = 100;
    const u = [1, 2, 0, -1, 0.5];
    const v = [0, 1, 1, 1, -2];
    const data = new Float32Array(n * 5);
    for (let i = 0; i < n; i++) {
      const a = random.normal();
      const b = random.normal();
      for (let c = 0; c < 5; c++) data[5 * i + c] = a * u[c] + b * v[c] + 3;
    }
    const { embedding, explainedVariance } = pca(data, n, 5, { numDimensions: 2 });
    expect(explainedVariance[0] + explainedVariance[1]).toBeCloseTo(1, 5);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        let original = 0;
        for (let c = 0; c < 5; c++) original += (data[5 * i + c] - data[5 * j + c]) ** 2;
        const projected =
          (embedding[2 * i] - embedding[2 * j]) ** 2 + (embedding[2 * i + 1] - embedding[2 * j + 1]) ** 2;
        worst = Math.max(worst, Math.abs(Math.sqrt(original) - Math.sqrt(projected)));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('project()', () => {
  const { data, n, dim, labels } = gaussianMixture({
    n: 300,
    dim: 10,
    clusters: 3,
    centerScale: 3,
    seed: 21,
  });

  for (const options of [
    { method: 'tsne', maxIterations: 300 },
    { method: 'umap', nEpochs: 100 },
    { method: 'pca' },
  ] as ProjectOptions[]) {
    it(`${options.method}: separates well-separated clusters; same seed, same bytes`, async () => {
      const a = await project(data, n, dim, { ...options, seed: 3 } as ProjectOptions);
      const b = await project(data, n, dim, { ...options, seed: 3 } as ProjectOptions);
      expect(a.method).toBe(options.method);
      expect(a.embedding.length).toBe(n * 2);
      expect(a.numDimensions).toBe(2);
      expect(Buffer.from(a.embedding.buffer).equals(Buffer.from(b.embedding.buffer))).toBe(true);
      expect(neighbourLabelAgreement(a.embedding, n, 2, labels, 10)).toBeGreaterThan(0.95);
      if (options.method === 'tsne') expect(a.kl?.length).toBeGreaterThan(0);
      if (options.method === 'pca') expect(a.explainedVariance?.length).toBe(2);
    });
  }

  it('umap accepts any distance of the t-SNE set and gives different embeddings for different seeds', async () => {
    const a = await project(data, n, dim, { method: 'umap', nEpochs: 60, distance: 'cityblock', seed: 1 });
    const b = await project(data, n, dim, { method: 'umap', nEpochs: 60, distance: 'cityblock', seed: 2 });
    expect(Buffer.from(a.embedding.buffer).equals(Buffer.from(b.embedding.buffer))).toBe(false);
    expect(neighbourLabelAgreement(a.embedding, n, 2, labels, 10)).toBeGreaterThan(0.95);
  });

  it('unknown methods and bad options are typed errors', async () => {
    await expect(project(data, n, dim, { method: 'isomap' } as unknown as ProjectOptions)).rejects.toThrow(
      OptionError,
    );
    await expect(project(data, n, dim, { method: 'pca', numDimensions: dim + 1 })).rejects.toThrow(
      OptionError,
    );
    await expect(project(data, n, dim, { method: 'umap', nNeighbors: n })).rejects.toThrow(OptionError);
  });
});
