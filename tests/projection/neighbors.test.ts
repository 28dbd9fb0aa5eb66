import { describe, expect, it } from 'vitest';
import { prepareDistance, type Distance } from '../../src/projection/distances.js';
import { gaussianMixture } from '../../src/projection/gaussian-mixture.js';
import { nearestNeighbors } from '../../src/projection/neighbors.js';
import { seededRandom } from '../../src/projection/random.js';

/** Reference k-NN by sorting every row of the full distance matrix. */
function sortedNeighbours(data: Float32Array, n: number, dim: number, distance: Distance, k: number) {
  const d = prepareDistance(data, n, dim, distance);
  const distances = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) if (j !== i) row.push(d.between(i, j));
    row.sort((a, b) => a - b);
    distances.set(row.slice(0, k), i * k);
  }
  return distances;
}

function largestDifference(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let largest = 0;
  for (let t = 0; t < a.length; t++) largest = Math.max(largest, Math.abs(a[t] - b[t]));
  return largest;
}

function uniformData(n: number, dim: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n * dim }, () => random.uniform());
}

describe('nearest neighbours', () => {
  it('the vantage-point tree finds the exact k nearest in low dimension', () => {
    const n = 600;
    const data = uniformData(n, 2, 3);
    for (const distance of ['euclidean', 'cityblock', 'chebychev'] as Distance[]) {
      const found = nearestNeighbors(prepareDistance(data, n, 2, distance), n, 12, seededRandom(1));
      expect(found.method).toBe('vptree');
      expect(largestDifference(found.distances, sortedNeighbours(data, n, 2, distance, 12))).toBeLessThan(
        1e-12,
      );
      // Indices match distances and never include the point itself.
      const d = prepareDistance(data, n, 2, distance);
      let selfFound = 0;
      let mismatch = 0;
      for (let i = 0; i < n; i++) {
        for (let t = 0; t < 12; t++) {
          const j = found.indices[i * 12 + t];
          if (j === i) selfFound++;
          mismatch = Math.max(mismatch, Math.abs(d.between(i, j) - found.distances[i * 12 + t]));
        }
      }
      expect(selfFound).toBe(0);
      expect(mismatch).toBeLessThan(1e-12);
    }
  });

  it('falls back to brute force where the tree cannot prune (50-d clusters), with the same answer', () => {
    const { data, n, dim } = gaussianMixture({ n: 400, dim: 50, clusters: 4, centerScale: 1, seed: 2 });
    const found = nearestNeighbors(prepareDistance(data, n, dim, 'euclidean'), n, 20, seededRandom(1));
    expect(found.method).toBe('brute-force');
    expect(largestDifference(found.distances, sortedNeighbours(data, n, dim, 'euclidean', 20))).toBeLessThan(
      1e-9,
    );
  });

  it('non-metric distances (cosine) are searched by brute force', () => {
    const n = 200;
    const data = uniformData(n, 5, 4);
    const found = nearestNeighbors(prepareDistance(data, n, 5, 'cosine'), n, 8, seededRandom(1));
    expect(found.method).toBe('brute-force');
    expect(largestDifference(found.distances, sortedNeighbours(data, n, 5, 'cosine', 8))).toBeLessThan(1e-12);
  });

  it('the approximate search (projection forest + NN-descent) finds at least 95 % of the true neighbours', () => {
    // 50-D clusters of unit variance: distances concentrate, the hardest case for projection trees.
    const { data, n, dim } = gaussianMixture({ n: 3000, dim: 50, clusters: 10, centerScale: 1, seed: 5 });
    const k = 30;
    const distance = prepareDistance(data, n, dim, 'euclidean');
    const found = nearestNeighbors(distance, n, k, seededRandom(1), undefined, 'approximate');
    expect(found.method).toBe('approximate');
    const exact = nearestNeighbors(distance, n, k, seededRandom(1), undefined, 'exact');
    let hits = 0;
    let wrongDistance = 0;
    let selfFound = 0;
    let unsorted = 0;
    let duplicated = 0;
    for (let i = 0; i < n; i++) {
      const truth = new Set(exact.indices.subarray(i * k, (i + 1) * k));
      for (let t = 0; t < k; t++) {
        const j = found.indices[i * k + t];
        if (j === i) selfFound++;
        if (truth.has(j)) hits++;
        wrongDistance = Math.max(
          wrongDistance,
          Math.abs(distance.between(i, j) - found.distances[i * k + t]),
        );
        if (t > 0 && found.distances[i * k + t] < found.distances[i * k + t - 1]) unsorted++;
      }
      if (new Set(found.indices.subarray(i * k, (i + 1) * k)).size !== k) duplicated++;
    }
    expect([selfFound, unsorted, duplicated]).toEqual([0, 0, 0]);
    expect(hits / (n * k)).toBeGreaterThanOrEqual(0.95);
    expect(wrongDistance).toBeLessThan(1e-4);
  });

  it('the approximate search needs the euclidean distance', () => {
    const n = 50;
    const data = uniformData(n, 3, 4);
    expect(() =>
      nearestNeighbors(
        prepareDistance(data, n, 3, 'cityblock'),
        n,
        5,
        seededRandom(1),
        undefined,
        'approximate',
      ),
    ).toThrow(/euclidean/);
  });
});
