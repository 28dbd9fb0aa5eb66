import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import {
  denseAffinities,
  entropyTerm,
  sparseAffinities,
  squaredDistanceMatrix,
  type SparseAffinities,
} from '../../src/projection/affinities.js';
import { BarnesHutGradient } from '../../src/projection/barnes-hut.js';
import { prepareDistance } from '../../src/projection/distances.js';
import {
  ExactGradient,
  float32SparseKlDivergence,
  klDivergence,
  sparseKlDivergence,
} from '../../src/projection/exact.js';
import { gaussianMixture } from '../../src/projection/gaussian-mixture.js';
import { nearestNeighbors } from '../../src/projection/neighbors.js';
import { neighbourLabelAgreement } from '../../src/projection/quality.js';
import { seededRandom } from '../../src/projection/random.js';
import { tsne } from '../../src/projection/tsne.js';

function randomData(n: number, dim: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n * dim }, () => random.normal());
}

function randomEmbedding(n: number, d: number, seed: number, scale = 1): Float64Array {
  const random = seededRandom(seed);
  return Float64Array.from({ length: n * d }, () => scale * random.normal());
}

function denseP(data: Float32Array, n: number, dim: number, perplexity: number): Float64Array {
  return denseAffinities(squaredDistanceMatrix(prepareDistance(data, n, dim, 'euclidean'), n), n, perplexity);
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

function maxRelativeDifference(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  let diff = 0;
  for (let t = 0; t < a.length; t++) {
    scale = Math.max(scale, Math.abs(b[t]));
    diff = Math.max(diff, Math.abs(a[t] - b[t]));
  }
  return diff / scale;
}

describe('t-SNE objective and gradient', () => {
  it('the exact gradient equals central finite differences of the KL divergence', () => {
    const n = 9;
    for (const d of [2, 3]) {
      const p = denseP(randomData(n, 4, 1), n, 4, 3);
      const y = randomEmbedding(n, d, 2);
      const grad = new Float64Array(n * d);
      const exact = new ExactGradient(p, n, d);
      const kl = exact.evaluate(y, 1, grad, true) as number;
      expect(kl).toBeCloseTo(klDivergence(p, y, n, d), 12);
      const h = 1e-6;
      const numeric = new Float64Array(n * d);
      for (let t = 0; t < n * d; t++) {
        const saved = y[t];
        y[t] = saved + h;
        const up = klDivergence(p, y, n, d);
        y[t] = saved - h;
        const down = klDivergence(p, y, n, d);
        y[t] = saved;
        numeric[t] = (up - down) / (2 * h);
      }
      expect(maxRelativeDifference(grad, numeric)).toBeLessThan(1e-6);
    }
  });

  it('the sparse KL with the exact normaliser equals the definition; its float32 sum stays within its rounding', () => {
    const n = 40;
    for (const d of [2, 3]) {
      const p = denseP(randomData(n, 5, 5), n, 5, 8);
      const y = randomEmbedding(n, d, 6, 3);
      const reference = klDivergence(p, y, n, d);
      const sparse = allPairs(p, n);
      expect(sparseKlDivergence(sparse, y, d)).toBeCloseTo(reference, 12);
      // Float32 inputs, terms and accumulator: each of the n(n-1) additions rounds by at most half a float32 ulp of
      // the running sum (bounded by Σ|term|), each term's inputs by a few ulps of themselves.
      const yf = Float32Array.from(y);
      let z = 0;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          if (i === j) continue;
          let dist2 = 0;
          for (let c = 0; c < d; c++) dist2 += (yf[i * d + c] - yf[j * d + c]) ** 2;
          z += 1 / (1 + dist2);
        }
      const f64 = sparseKlDivergence(sparse, yf, d, z);
      let absolute = 0;
      for (let t = 0; t < sparse.values.length; t++) absolute += sparse.values[t];
      const terms = sparse.values.length;
      const bound = 2 ** -24 * (terms + 8) * (Math.abs(f64) + 10 * absolute);
      const f32 = float32SparseKlDivergence(sparse, yf, d, z);
      expect(Math.abs(f32 - f64)).toBeLessThan(bound);
      expect(f32).toBe(Math.fround(f32));
    }
  });

  it('exaggeration multiplies the attractive term only', () => {
    const n = 7;
    const p = denseP(randomData(n, 3, 3), n, 3, 2);
    const y = randomEmbedding(n, 2, 4);
    const exact = new ExactGradient(p, n, 2);
    const g1 = new Float64Array(n * 2);
    const g4 = new Float64Array(n * 2);
    exact.evaluate(y, 1, g1, false);
    exact.evaluate(y, 4, g4, false);
    // g(α) = 4α·A - R, so g(4) - g(1) = 3·4·A = 3·(g(1) + R): check through the attractive part computed by hand.
    const attractive = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const dx = y[2 * i] - y[2 * j];
        const dy = y[2 * i + 1] - y[2 * j + 1];
        const w = 1 / (1 + dx * dx + dy * dy);
        attractive[2 * i] += 4 * p[i * n + j] * w * dx;
        attractive[2 * i + 1] += 4 * p[i * n + j] * w * dy;
      }
    }
    const difference = g4.map((v, t) => v - g1[t]);
    expect(
      maxRelativeDifference(
        difference,
        attractive.map((v) => 3 * v),
      ),
    ).toBeLessThan(1e-12);
  });

  it('Barnes–Hut with theta = 0 equals the exact gradient and KL; small theta stays close', () => {
    const n = 120;
    const p = denseP(randomData(n, 5, 5), n, 5, 10);
    for (const d of [2, 3]) {
      const y = randomEmbedding(n, d, 6, 3);
      const exactGrad = new Float64Array(n * d);
      const exactKl = new ExactGradient(p, n, d).evaluate(y, 1, exactGrad, true) as number;
      const sparse = allPairs(p, n);
      for (const [theta, tolerance] of [
        [0, 1e-12],
        [0.1, 1e-3],
      ]) {
        const grad = new Float64Array(n * d);
        const kl = new BarnesHutGradient(sparse, d, theta, entropyTerm(sparse.values)).evaluate(
          y,
          1,
          grad,
          true,
        );
        expect(maxRelativeDifference(grad, exactGrad)).toBeLessThan(tolerance);
        expect(Math.abs((kl as number) - exactKl) / exactKl).toBeLessThan(tolerance);
      }
    }
  });

  it('sparse affinities are symmetric, sum to 1 and match the dense ones when every pair is a neighbour', () => {
    const n = 40;
    const data = randomData(n, 6, 8);
    const distance = prepareDistance(data, n, 6, 'euclidean');
    const sparse = sparseAffinities(nearestNeighbors(distance, n, n - 1, seededRandom(0)), n, 12);
    const dense = denseP(data, n, 6, 12);
    let total = 0;
    let largest = 0;
    for (let i = 0; i < n; i++) {
      for (let e = sparse.indptr[i]; e < sparse.indptr[i + 1]; e++) {
        total += sparse.values[e];
        largest = Math.max(largest, Math.abs(sparse.values[e] - dense[i * n + sparse.indices[e]]));
      }
    }
    expect(total).toBeCloseTo(1, 12);
    expect(largest).toBeLessThan(1e-15);
  });
});

describe('tsne()', () => {
  const mixture = gaussianMixture({ n: 300, dim: 10, clusters: 3, centerScale: 2, seed: 11 });

  it('Barnes–Hut with theta = 0 and all pairs as neighbours follows the exact algorithm', async () => {
    const n = 60;
    const data = randomData(n, 4, 12);
    // A spread-out start and no exaggeration: from the default 1e-4-sized start, and while exaggeration collapses
    // the clusters, the dynamics are chaotic and rounding-level differences grow into different (equally good)
    // embeddings. Exaggeration itself is checked on the gradient above.
    const initialY = Float32Array.from(randomEmbedding(n, 2, 13, 2));
    // 3 × perplexity >= n - 1, so the neighbour lists hold every pair and both P are the same.
    const options = {
      perplexity: 20,
      maxIterations: 300,
      exaggerationIterations: 0,
      learnRate: 50,
      initialY,
    } as const;
    const exact = await tsne(data, n, 4, { ...options, algorithm: 'exact' });
    const bh = await tsne(data, n, 4, { ...options, algorithm: 'barneshut', theta: 0 });
    let largest = 0;
    let scale = 0;
    for (let t = 0; t < exact.embedding.length; t++) {
      largest = Math.max(largest, Math.abs(exact.embedding[t] - bh.embedding[t]));
      scale = Math.max(scale, Math.abs(exact.embedding[t]));
    }
    expect(largest / scale).toBeLessThan(1e-5);
    expect(bh.kl[bh.kl.length - 1]).toBeCloseTo(exact.kl[exact.kl.length - 1], 8);
    // And the run did move: the KL fell well below the start's.
    expect(exact.kl[exact.kl.length - 1]).toBeLessThan(0.8 * exact.kl[0]);
  });

  for (const algorithm of ['exact', 'barneshut'] as const) {
    it(`${algorithm}: the KL divergence decreases and the clusters separate`, async () => {
      const { data, n, dim, labels } = mixture;
      const start = await tsne(data, n, dim, { algorithm, maxIterations: 0, seed: 1 });
      const result = await tsne(data, n, dim, { algorithm, maxIterations: 500, seed: 1 });
      expect(result.iterations).toBe(500);
      expect(result.klIterations[result.klIterations.length - 1]).toBe(500);
      // Reported every 20 iterations (numPrint), plus the final embedding.
      expect(result.klIterations.slice(0, 3)).toEqual([20, 40, 60]);
      const initial = start.kl[0];
      const afterExaggeration = result.kl[result.klIterations.indexOf(120)];
      const final = result.kl[result.kl.length - 1];
      expect(final).toBeLessThan(afterExaggeration);
      expect(afterExaggeration).toBeLessThan(initial);
      // After exaggeration the optimiser is a descent method: no reported KL may rise noticeably.
      const tail = result.kl.slice(result.klIterations.indexOf(120));
      for (let t = 1; t < tail.length; t++) expect(tail[t]).toBeLessThan(tail[t - 1] * 1.01);
      expect(neighbourLabelAgreement(result.embedding, n, 2, labels, 10)).toBeGreaterThan(0.95);
    });

    it(`${algorithm}: the same seed gives identical bytes, another seed a different embedding`, async () => {
      const { data, n, dim } = mixture;
      const options = { algorithm, maxIterations: 120, seed: 5 };
      const a = await tsne(data, n, dim, options);
      const b = await tsne(data, n, dim, options);
      const c = await tsne(data, n, dim, { ...options, seed: 6 });
      expect(Buffer.from(a.embedding.buffer).equals(Buffer.from(b.embedding.buffer))).toBe(true);
      expect(Buffer.from(a.embedding.buffer).equals(Buffer.from(c.embedding.buffer))).toBe(false);
      expect(a.kl).toEqual(b.kl);
    });
  }

  it('3-D Barnes–Hut embeds and separates the clusters', async () => {
    const { data, n, dim, labels } = mixture;
    const result = await tsne(data, n, dim, { numDimensions: 3, maxIterations: 400, seed: 2 });
    expect(result.embedding.length).toBe(n * 3);
    expect(neighbourLabelAgreement(result.embedding, n, 3, labels, 10)).toBeGreaterThan(0.95);
  });

  it('PCA to all components is a rotation: the same affinities (same KL at the start) as without PCA', async () => {
    const { data, n, dim } = mixture;
    const options = { maxIterations: 0, seed: 4 };
    const plain = (await tsne(data, n, dim, options)).kl[0];
    const rotated = (await tsne(data, n, dim, { ...options, numPCAComponents: dim })).kl[0];
    const reduced = (await tsne(data, n, dim, { ...options, numPCAComponents: 2 })).kl[0];
    expect(Math.abs(rotated - plain) / plain).toBeLessThan(1e-5);
    // Dropping components does change the affinities.
    expect(Math.abs(reduced - plain) / plain).toBeGreaterThan(1e-3);
  });

  it('other distances and standardisation run through the same pipeline', async () => {
    const { data, n, dim, labels } = mixture;
    for (const distance of ['cityblock', 'cosine', 'correlation'] as const) {
      const result = await tsne(data, n, dim, { distance, standardize: true, maxIterations: 300, seed: 1 });
      expect(neighbourLabelAgreement(result.embedding, n, 2, labels, 10)).toBeGreaterThan(0.9);
    }
  });

  it('learnRate auto is max(n / exaggeration / 4, 50); progress is reported per stage', async () => {
    const { data, n, dim } = mixture;
    const stages = new Set<string>();
    const result = await tsne(data, n, dim, {
      learnRate: 'auto',
      exaggeration: 1.2,
      maxIterations: 40,
      onProgress: (event) => stages.add(event.stage ?? ''),
    });
    expect(result.learnRate).toBeCloseTo(300 / 1.2 / 4, 12);
    expect((await tsne(data, n, dim, { learnRate: 'auto', maxIterations: 1 })).learnRate).toBe(50);
    expect([...stages]).toEqual(['neighbours', 'affinities', 'iterations']);
  });

  it('stops at the gradient tolerance', async () => {
    const { data, n, dim } = mixture;
    const result = await tsne(data, n, dim, { tolerance: 1e6, maxIterations: 100 });
    expect(result.stoppedBy).toBe('tolerance');
    expect(result.iterations).toBe(0);
  });

  it('rejects bad input and options with typed errors', async () => {
    const { data, n, dim } = mixture;
    const bad: Array<[Float32Array, number, Parameters<typeof tsne>[3]]> = [
      [data, n, { perplexity: n }],
      [data, n, { numDimensions: 4 }],
      [data, n, { theta: 2 }],
      [data, n, { exaggeration: 0.5 }],
      [data, n, { numPCAComponents: dim + 1 }],
      [data, n, { algorithm: 'fast' as 'exact' }],
      [data, n, { initialY: new Float32Array(3) }],
      [data, n, { algorithm: 'fft', interpolation: { nodesPerBox: 1 } }],
      [data, n, { algorithm: 'fft', interpolation: { maxBoxWidth: 0 } }],
      [data, n, { algorithm: 'fft', interpolation: { nearFieldRadius: -1 } }],
      [data, n, { algorithm: 'fft', interpolation: { nearFieldFrom: Number.NaN } }],
      [data, n, { algorithm: 'fft', interpolation: { nearFieldCandidates: -1 } }],
      [data, n, { algorithm: 'fft', interpolation: { nearFieldEvery: 0 } }],
      [data, n, { algorithm: 'fft', interpolation: { nearFieldEvery: 1.5 } }],
      [data, n, { algorithm: 'fft', interpolation: { gridEvery: 0 } }],
      [data, n, { algorithm: 'fft', interpolation: { gridEvery: 2.5 } }],
      [data, n, { algorithm: 'fft', interpolation: { denseBoxWidth: 0 } }],
      [data, n, { algorithm: 'fft', interpolation: { denseFftSize: 3000 } }],
      [data, n, { algorithm: 'fft', interpolation: { maxFftSize: 768 } }],
      [data, n, { algorithm: 'fft', interpolation: { minFftSize: 8 } }],
      [data.slice(0, 10), n, {}],
      [Float32Array.from(data, (v, t) => (t === 25 ? NaN : v)), n, {}],
    ];
    for (const [values, rows, options] of bad) {
      await expect(tsne(values, rows, dim, options)).rejects.toBeInstanceOf(OptionError);
    }
    await expect(
      tsne(
        Float32Array.from(data, (v, t) => (t === 25 ? NaN : v)),
        n,
        dim,
      ),
    ).rejects.toThrow(/row 2/);
  });
});
