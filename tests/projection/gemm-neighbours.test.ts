import { describe, expect, it } from 'vitest';
import { gemmNeighbours, ortNeighbourSearch } from '../../src/node/gemm-neighbours.js';
import { prepareDistance } from '../../src/projection/distances.js';
import { gaussianMixture } from '../../src/projection/gaussian-mixture.js';
import { nearestNeighbors } from '../../src/projection/neighbors.js';
import { seededRandom } from '../../src/projection/random.js';
import { tsne } from '../../src/projection/tsne.js';

describe('exact neighbours through ONNX Runtime', () => {
  it('equal the exact search on 50-dimensional clusters, several blocks, any thread count', async () => {
    // Overlapping clusters in 50 dimensions: many near-equal distances at the k-th place.
    const { data, n, dim } = gaussianMixture({ n: 1500, dim: 50, clusters: 5, centerScale: 1, seed: 4 });
    const k = 30;
    const want = nearestNeighbors(
      prepareDistance(data, n, dim, 'euclidean'),
      n,
      k,
      seededRandom(0),
      undefined,
      'exact',
    );
    for (const threads of [1, 2]) {
      const got = await gemmNeighbours(data, n, dim, k, { threads, blockRows: 400 });
      expect(got.k).toBe(k);
      let worst = 0;
      for (let t = 0; t < n * k; t++) worst = Math.max(worst, Math.abs(got.distances[t] - want.distances[t]));
      expect(worst).toBeLessThan(1e-9);
      // Same neighbours, in the same order wherever distances differ.
      let same = 0;
      for (let t = 0; t < n * k; t++) if (got.indices[t] === want.indices[t]) same++;
      expect(same / (n * k)).toBeGreaterThan(0.999);
      let itself = 0;
      for (let t = 0; t < n * k; t++) if (got.indices[t] === Math.floor(t / k)) itself++;
      expect(itself).toBe(0);
    }
  });

  it('orders equal distances by index (a lattice, where most distances tie)', async () => {
    const side = 12;
    const n = side * side;
    const dim = 3;
    const data = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      data[i * dim] = i % side;
      data[i * dim + 1] = Math.floor(i / side);
      data[i * dim + 2] = 0.5;
    }
    const k = 20;
    const got = await gemmNeighbours(data, n, dim, k, { threads: 1, blockRows: 7 });
    for (let q = 0; q < n; q++) {
      const squared = (j: number) =>
        (data[q * dim] - data[j * dim]) ** 2 + (data[q * dim + 1] - data[j * dim + 1]) ** 2;
      const want = Array.from({ length: n }, (_, j) => j)
        .filter((j) => j !== q)
        .sort((a, b) => squared(a) - squared(b) || a - b)
        .slice(0, k);
      expect(Array.from(got.indices.subarray(q * k, (q + 1) * k))).toEqual(want);
    }
  });

  it('reports progress per block and refuses a neighbour count the data cannot give', async () => {
    const { data, n, dim } = gaussianMixture({ n: 50, dim: 3, clusters: 2, centerScale: 3, seed: 1 });
    const seen: number[] = [];
    await gemmNeighbours(data, n, dim, 5, { onProgress: (done) => seen.push(done) });
    expect(seen.at(-1)).toBe(n);
    await expect(gemmNeighbours(data, n, dim, n, {})).rejects.toThrow(/neighbour count/);
  });
});

describe('t-SNE with the ONNX Runtime neighbour search', () => {
  it('uses it for euclidean data and reaches the embedding of the exact built-in search', async () => {
    const { data, n, dim } = gaussianMixture({ n: 800, dim: 20, clusters: 4, centerScale: 2, seed: 2 });
    let calls = 0;
    const search = ortNeighbourSearch(1);
    const counted: typeof search = (...args) => {
      calls++;
      return search(...args);
    };
    const options = { seed: 3, maxIterations: 300, algorithm: 'barneshut' as const };
    const viaOrt = await tsne(data, n, dim, { ...options, euclideanNeighbours: counted });
    const builtIn = await tsne(data, n, dim, { ...options, neighborSearch: 'exact' });
    expect(calls).toBe(1);
    expect(viaOrt.kl.at(-1)!).toBeCloseTo(builtIn.kl.at(-1)!, 4);
    // Asked for the approximate search, the supplied exact one is not used.
    await tsne(data, n, dim, {
      ...options,
      maxIterations: 10,
      neighborSearch: 'approximate',
      euclideanNeighbours: counted,
    });
    expect(calls).toBe(1);
  });
});
