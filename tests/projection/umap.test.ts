/**
 * The typed-array UMAP engine: its curve parameters against umap-learn's fit (scipy, committed reference), the
 * smooth-kNN calibration and fuzzy union by their definitions, and the layout by what it must do (separate a
 * seeded mixture, repeat itself for a seed, keep neighbourhoods at least as well as umap-js).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { prepareDistance } from '../../src/projection/distances.js';
import { gaussianMixture } from '../../src/projection/gaussian-mixture.js';
import { nearestNeighbors } from '../../src/projection/neighbors.js';
import { neighbourLabelAgreement, trustworthiness } from '../../src/projection/quality.js';
import { seededRandom } from '../../src/projection/random.js';
import { fitUmapCurve } from '../../src/projection/umap-curve.js';
import { fuzzySimplicialSet, smoothKnn } from '../../src/projection/umap-graph.js';
import { umap } from '../../src/projection/umap.js';

interface CurveCase {
  spread: number;
  minDist: number;
  a: number;
  b: number;
}

const curves = (
  JSON.parse(readFileSync(new URL('./reference/umap-curve.json', import.meta.url), 'utf8')) as {
    cases: CurveCase[];
  }
).cases;

describe('UMAP, typed-array engine', () => {
  it("fits a and b as umap-learn's find_ab_params (scipy curve_fit)", () => {
    for (const c of curves) {
      const { a, b } = fitUmapCurve(c.spread, c.minDist);
      // Both fits minimise the same smooth least-squares problem; they agree to the solvers' tolerances.
      expect(Math.abs(a - c.a) / c.a).toBeLessThan(1e-4);
      expect(Math.abs(b - c.b) / c.b).toBeLessThan(1e-4);
    }
  });

  const { data, n, dim, labels } = gaussianMixture({ n: 600, dim: 10, clusters: 4, centerScale: 2, seed: 7 });
  const nNeighbors = 15;
  const neighbours = nearestNeighbors(
    prepareDistance(data, n, dim, 'euclidean'),
    n,
    nNeighbors - 1,
    seededRandom(0),
  );

  it('calibrates each point so its memberships sum to log2(nNeighbors), and unites them symmetrically', () => {
    const { rho, sigma } = smoothKnn(neighbours, n, nNeighbors);
    const k = neighbours.k;
    let worst = 0;
    for (let i = 0; i < n; i++) {
      expect(rho[i]).toBe(neighbours.distances[i * k]);
      let sum = 0;
      for (let t = 0; t < k; t++)
        sum += Math.exp(-Math.max(0, neighbours.distances[i * k + t] - rho[i]) / sigma[i]);
      worst = Math.max(worst, Math.abs(sum - Math.log2(nNeighbors)));
    }
    expect(worst).toBeLessThan(1e-5);

    const graph = fuzzySimplicialSet(neighbours, n, nNeighbors);
    const weight = (i: number, j: number) => {
      for (let e = graph.indptr[i]; e < graph.indptr[i + 1]; e++)
        if (graph.indices[e] === j) return graph.weights[e];
      return 0;
    };
    let asymmetric = 0;
    for (let i = 0; i < n; i++) {
      for (let e = graph.indptr[i]; e < graph.indptr[i + 1]; e++) {
        const j = graph.indices[e];
        expect(j).not.toBe(i);
        expect(graph.weights[e]).toBeGreaterThan(0);
        expect(graph.weights[e]).toBeLessThanOrEqual(1);
        asymmetric = Math.max(asymmetric, Math.abs(graph.weights[e] - weight(j, i)));
      }
    }
    expect(asymmetric).toBe(0);
    // The nearest neighbour of each point has membership 1 in the directed graph, so at least 1 in the union.
    expect(weight(0, neighbours.indices[0])).toBe(1);
  });

  it('separates a seeded mixture, repeats itself for a seed and differs for another', async () => {
    const options = { engine: 'typed' as const, nEpochs: 150 };
    const first = await umap(data, n, dim, { ...options, seed: 3 });
    const again = await umap(data, n, dim, { ...options, seed: 3 });
    const other = await umap(data, n, dim, { ...options, seed: 4 });
    expect(first.engine).toBe('typed');
    expect(again.embedding).toEqual(first.embedding);
    expect(other.embedding).not.toEqual(first.embedding);
    expect(first.embedding.every(Number.isFinite)).toBe(true);
    expect(neighbourLabelAgreement(first.embedding, n, 2, labels, 10)).toBeGreaterThan(0.95);
  });

  it('keeps neighbourhoods at least about as well as umap-js on the same neighbours', async () => {
    const typed = await umap(data, n, dim, { engine: 'typed', seed: 1, nEpochs: 200 });
    const js = await umap(data, n, dim, { engine: 'umap-js', seed: 1, nEpochs: 200 });
    expect(js.engine).toBe('umap-js');
    const tTyped = trustworthiness(data, dim, typed.embedding, 2, n, 10);
    const tJs = trustworthiness(data, dim, js.embedding, 2, n, 10);
    expect(tTyped).toBeGreaterThan(tJs - 0.01);
  });

  it('refuses an unknown engine and a bad curve', async () => {
    await expect(umap(data, n, dim, { engine: 'fast' as never })).rejects.toThrow(OptionError);
    await expect(umap(data, n, dim, { minDist: 2, spread: 1 })).rejects.toThrow(/minDist/);
    await expect(umap(data, n, dim, { nEpochs: 0 })).rejects.toThrow(/nEpochs/);
  });
});
