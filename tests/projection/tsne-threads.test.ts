/**
 * The approximate neighbour search, the interpolation gradient and the UMAP epochs on worker threads (src/node/tsne-threads.ts). The workers run the compiled code
 * under dist/ (`npm run build`, which `npm ci` runs through `prepare`).
 */
import { describe, expect, it } from 'vitest';
import { entropyTerm, sparseAffinities } from '../../src/projection/affinities.js';
import { approximateNeighbors } from '../../src/projection/approximate-neighbors.js';
import { fitRow } from '../../src/projection/perplexity.js';
import { prepareDistance } from '../../src/projection/distances.js';
import { gaussianMixture } from '../../src/projection/gaussian-mixture.js';
import { InterpolationGradient } from '../../src/projection/interpolation.js';
import { nearestNeighbors } from '../../src/projection/neighbors.js';
import { seededRandom } from '../../src/projection/random.js';
import { tsne } from '../../src/projection/tsne.js';
import { umap } from '../../src/projection/umap.js';
import { tsneThreads, WorkerExecutor } from '../../src/node/tsne-threads.js';

/**
 * Where two arrays that must be equal to the last bit differ: how many elements, the first index and the largest
 * difference (a compact failure message instead of two whole embeddings).
 */
function bitDifferences(a: ArrayLike<number>, b: ArrayLike<number>) {
  let count = 0;
  let first = -1;
  let largest = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (Object.is(a[i], b[i])) continue;
    count++;
    if (first < 0) first = i;
    largest = Math.max(largest, Math.abs(a[i] - b[i]));
  }
  return { length: [a.length, b.length], count, first, largest };
}

describe('t-SNE on worker threads', () => {
  const n = 800;
  const { data, dim } = gaussianMixture({ n, dim: 8, clusters: 4, centerScale: 3, seed: 5 });

  // The default grid, the exact near field forced on (its pairs split by cell rows over the tasks), and refused
  // (too dense for one candidate per point) on a grid capped at 32²: the dense grid instead.
  for (const settings of [
    {},
    { nearFieldRadius: 4, nearFieldFrom: 0 },
    { nearFieldFrom: 0, nearFieldCandidates: 1, minFftSize: 16, maxFftSize: 32 },
  ]) {
    it(`gives the same gradient and KL, bit for bit, on 1, 2 and 3 threads (${JSON.stringify(settings)})`, () => {
      const neighbours = nearestNeighbors(prepareDistance(data, n, dim, 'euclidean'), n, 45, seededRandom(1));
      const p = sparseAffinities(neighbours, n, 15);
      const random = seededRandom(9);
      // A spread embedding (about 20 units wide), so that points fill many boxes of the grid.
      const y = Float64Array.from({ length: 2 * n }, () => 4 * random.normal());
      const evaluate = (threads: number) => {
        const executor = threads === 1 ? undefined : new WorkerExecutor(threads);
        const gradient = new InterpolationGradient(p, entropyTerm(p.values), settings, executor);
        try {
          const grad = new Float64Array(2 * n);
          const kl = gradient.evaluate(y, 12, grad, true) as number;
          // A second evaluation at another point reuses the threads and their FFT workspaces.
          const y2 = y.map((v) => 0.5 * v);
          const grad2 = new Float64Array(2 * n);
          const kl2 = gradient.evaluate(y2, 1, grad2, true) as number;
          const fftSize = gradient.lastGrid.fftSize;
          // A third, a little further, without the KL: the near field measures the pairs listed by the last scan.
          const y3 = y2.map((v, t) => v + 0.01 * ((t % 7) - 3));
          const grad3 = new Float64Array(2 * n);
          gradient.evaluate(y3, 1, grad3, false);
          // ... and reads the grid's potentials of the second evaluation again.
          expect(gradient.lastGrid.reused).toBe(true);
          expect(gradient.threads).toBe(threads);
          return { grad, kl, grad2, kl2, grad3, fftSize };
        } finally {
          gradient.close();
        }
      };
      const one = evaluate(1);
      if (settings.nearFieldCandidates === 1) expect(one.fftSize).toBeGreaterThan(32);
      expect(one.grad.every(Number.isFinite)).toBe(true);
      expect(one.grad.some((v) => v !== 0)).toBe(true);
      for (const threads of [2, 3]) {
        const many = evaluate(threads);
        expect(many.grad).toEqual(one.grad);
        expect(many.grad2).toEqual(one.grad2);
        expect(many.grad3).toEqual(one.grad3);
        expect(many.kl).toBe(one.kl);
        expect(many.kl2).toBe(one.kl2);
        expect(many.fftSize).toBe(one.fftSize);
      }
    });
  }

  it('finds the same approximate neighbours and conditionals, bit for bit, on 1, 2 and 3 threads', () => {
    const {
      data: points,
      n: count,
      dim: width,
    } = gaussianMixture({
      n: 1500,
      dim: 20,
      clusters: 6,
      centerScale: 1,
      seed: 8,
    });
    const k = 24;
    const search = (threads: number) =>
      approximateNeighbors(points, count, width, k, seededRandom(3), {
        perplexity: 8,
        executor: threads === 1 ? undefined : new WorkerExecutor(threads),
      });
    const one = search(1);
    // The conditionals are those of the returned distances, and every row is a distribution.
    const row = new Float64Array(k);
    const squared = Float64Array.from(one.distances.subarray(0, k), (d) => d * d);
    fitRow(squared, 0, k, 8, row, 0);
    const values = one.conditional?.values as Float64Array;
    for (let t = 0; t < k; t++) expect(values[t]).toBeCloseTo(row[t], 12);
    expect(values.subarray(k * 17, k * 18).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (const threads of [2, 3]) {
      const many = search(threads);
      expect(many.indices).toEqual(one.indices);
      expect(many.distances).toEqual(one.distances);
      expect(many.conditional?.values).toEqual(one.conditional?.values);
    }
  });

  it('tsne() with worker threads returns the single-threaded embedding', async () => {
    // Approximate neighbours too: both jobs run on the workers.
    const options = {
      algorithm: 'fft' as const,
      neighborSearch: 'approximate' as const,
      perplexity: 15,
      maxIterations: 12,
      seed: 4,
    };
    const single = await tsne(data, n, dim, options);
    const threaded = await tsne(data, n, dim, { ...options, executor: tsneThreads(2) });
    expect(bitDifferences(threaded.embedding, single.embedding)).toEqual({
      length: [single.embedding.length, single.embedding.length],
      count: 0,
      first: -1,
      largest: 0,
    });
    expect(threaded.kl).toEqual(single.kl);
  });

  it("UMAP's typed engine gives the same layout, bit for bit, on 1 and 3 threads", async () => {
    const options = { engine: 'typed' as const, nEpochs: 40, seed: 2 };
    const single = await umap(data, n, dim, options);
    const threaded = await umap(data, n, dim, { ...options, executor: tsneThreads(3) });
    expect(bitDifferences(threaded.embedding, single.embedding)).toEqual({
      length: [single.embedding.length, single.embedding.length],
      count: 0,
      first: -1,
      largest: 0,
    });
  });

  it('refuses a thread count that is not a positive integer', () => {
    expect(() => tsneThreads(0)).toThrow(/positive integer/);
    expect(() => tsneThreads(1.5)).toThrow(/positive integer/);
    expect(tsneThreads(1)).toBeUndefined();
  });
});
