import { describe, expect, it } from 'vitest';
import {
  denseAffinities,
  entropyTerm,
  sparseAffinities,
  squaredDistanceMatrix,
  type SparseAffinities,
} from '../../src/projection/affinities.js';
import { prepareDistance } from '../../src/projection/distances.js';
import { ExactGradient } from '../../src/projection/exact.js';
import { GridConvolution } from '../../src/projection/fft-convolution.js';
import { gaussianMixture } from '../../src/projection/gaussian-mixture.js';
import { gradientDescent } from '../../src/projection/gradient-descent.js';
import { InterpolationGradient } from '../../src/projection/interpolation.js';
import { smoothKernel } from '../../src/projection/interpolation-kernels.js';
import { nearestNeighbors } from '../../src/projection/neighbors.js';
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

describe("the near field's smooth stand-in for the kernel", () => {
  const kernel = (s: number) => 1 / (1 + s) ** 2;
  it('is the kernel from R on and meets it there with three matching derivatives', () => {
    for (const radius2 of [0.5, 4, 30]) {
      for (const s of [radius2, radius2 * 1.5, radius2 + 7]) expect(smoothKernel(s, radius2)).toBe(kernel(s));
      // One-sided differences of the stand-in just inside R against the kernel's: a step of h leaves the first
      // three derivatives equal to O(h); the kernel's own fourth derivative differs, so the values part at O(h⁴).
      const h = 1e-3 * radius2;
      const derivatives = (f: (s: number) => number) => {
        const v = [0, 1, 2, 3].map((k) => f(radius2 - k * h));
        return [
          v[0],
          (v[0] - v[1]) / h,
          (v[0] - 2 * v[1] + v[2]) / h ** 2,
          (v[0] - 3 * v[1] + 3 * v[2] - v[3]) / h ** 3,
        ];
      };
      const inside = derivatives((s) => smoothKernel(s, radius2));
      const outside = derivatives(kernel);
      inside.forEach((value, k) => {
        expect(Math.abs(value - outside[k])).toBeLessThan(1e-2 * Math.abs(outside[k]));
      });
    }
  });

  it('is positive and below the kernel inside R', () => {
    for (const radius2 of [0.5, 4, 30]) {
      for (let s = 0; s < radius2; s += radius2 / 50) {
        expect(smoothKernel(s, radius2)).toBeGreaterThan(0);
        expect(smoothKernel(s, radius2)).toBeLessThan(kernel(s));
      }
    }
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
    // Sparse, wide embedding (about 75 units): isolated points make the near field, where a box is widest
    // relative to the kernel, dominate the error.
    const y = embedding(12);
    const expected = exactGradient(y, 1).grad;
    const errors = [1, 0.5].map((maxBoxWidth) => {
      const got = new Float64Array(n * 2);
      // The grid's own order, without the near field's exact pairs.
      const settings = { maxBoxWidth, maxFftSize: 1024, nearFieldRadius: 0 };
      const interpolation = new InterpolationGradient(sparse, entropyTerm(sparse.values), settings);
      interpolation.evaluate(y, 1, got, false);
      expect(interpolation.lastGrid.boxWidth).toBeLessThanOrEqual(maxBoxWidth);
      return normRelativeError(got, expected);
    });
    // Halving the box divides an O(h³) error by about 8; 4 leaves room for the rounding of the box widths.
    expect(errors[1]).toBeLessThan(errors[0] / 4);
    expect(errors[1]).toBeLessThan(2e-2);
  });

  it('with an exact near field matches the exact gradient on a grid too coarse without it', () => {
    // About 300 units wide on at most 256² FFTs: node spacing near 2.4, far above the kernel's width of 1.
    const y = embedding(50);
    const expected = exactGradient(y, 1);
    const run = (settings: { nearFieldRadius?: number; nearFieldFrom?: number }) => {
      const got = new Float64Array(n * 2);
      const interpolation = new InterpolationGradient(sparse, entropyTerm(sparse.values), {
        maxFftSize: 256,
        ...settings,
      });
      const kl = interpolation.evaluate(y, 1, got, true) as number;
      return { got, kl, grid: interpolation.lastGrid };
    };
    const coarse = run({ nearFieldRadius: 0 });
    expect(coarse.grid.nearRadius).toBe(0);
    // The default: 5 node spacings once the spacing exceeds 0.34.
    const near = run({});
    expect(near.grid.nearRadius).toBeCloseTo(5 * (near.grid.boxWidth / 3), 12);
    expect(near.grid.boxWidth / 3).toBeGreaterThan(2);
    const coarseError = relativeError(coarse.got, expected.grad);
    const nearError = relativeError(near.got, expected.grad);
    expect(nearError).toBeLessThan(1e-2);
    expect(nearError).toBeLessThan(coarseError / 10);
    expect(Math.abs(near.kl - expected.kl)).toBeLessThan(1e-3 * Math.abs(expected.kl));
    // Below the spacing threshold the near field stays off.
    expect(run({ nearFieldFrom: 100 }).grid.nearRadius).toBe(0);
  });

  it('between scans measures the listed near-field pairs again at the new positions', () => {
    // As above (node spacing near 2.4), then every point moved by about a tenth of a unit.
    const y = embedding(50);
    const random = seededRandom(21);
    const moved = y.map((v) => v + 0.1 * random.normal());
    const expected = exactGradient(moved, 1).grad;
    const second = (nearFieldEvery: number) => {
      const interpolation = new InterpolationGradient(sparse, entropyTerm(sparse.values), {
        maxFftSize: 256,
        nearFieldEvery,
      });
      interpolation.evaluate(y, 1, new Float64Array(n * 2), false);
      const got = new Float64Array(n * 2);
      interpolation.evaluate(moved, 1, got, false);
      expect(interpolation.lastGrid.nearRadius).toBeGreaterThan(0);
      return got;
    };
    const scanned = second(1);
    const listed = second(2);
    // As close to the exact gradient as a fresh scan (pairs that came within R since are few).
    expect(relativeError(scanned, expected)).toBeLessThan(1e-2);
    expect(relativeError(listed, expected)).toBeLessThan(1e-2);
    expect(relativeError(listed, scanned)).toBeLessThan(1e-3);
  });

  it('between convolutions reads the last potentials at the new positions, to first order in the step', () => {
    // Spread embedding (about 20 units), then every point moved by `step` times a standard normal per coordinate.
    const y = embedding(3);
    const direction = Float64Array.from(
      { length: n * 2 },
      (() => {
        const random = seededRandom(23);
        return () => random.normal();
      })(),
    );
    const moved = (step: number) => y.map((v, t) => v + step * direction[t]);
    const second = (gridEvery: number, next: Float64Array, exaggeration = 1, withKl = false) => {
      const interpolation = new InterpolationGradient(sparse, entropyTerm(sparse.values), { gridEvery });
      interpolation.evaluate(y, 1, new Float64Array(n * 2), false);
      const got = new Float64Array(n * 2);
      interpolation.evaluate(next, exaggeration, got, withKl);
      return { got, reused: interpolation.lastGrid.reused };
    };
    const errors = [0.004, 0.001].map((step) => {
      const next = moved(step);
      const fresh = second(1, next);
      const reused = second(2, next);
      expect(fresh.reused).toBe(false);
      expect(reused.reused).toBe(true);
      expect(relativeError(reused.got, exactGradient(next, 1).grad)).toBeLessThan(1e-2);
      return normRelativeError(reused.got, fresh.got);
    });
    // The stale charges' error shrinks with the step (first order: a quarter of the step, about a quarter of it).
    expect(errors[0]).toBeGreaterThan(0);
    expect(errors[1]).toBeLessThan(errors[0] / 3);
    // A KL to report, exaggeration, or a point off the last grid bring a fresh convolution.
    expect(second(2, moved(0.001), 1, true).reused).toBe(false);
    expect(second(2, moved(0.001), 12).reused).toBe(false);
    const outside = moved(0.001);
    outside[0] = 40;
    expect(second(2, outside).reused).toBe(false);
  });

  it('after early exaggeration, with the near field off below its spacing, uses the finer grid', () => {
    // About 75 units wide: boxes of about 0.9 on 512² FFTs (spacing 0.3, below nearFieldFrom = 0.34).
    const y = embedding(12);
    const expected = exactGradient(y, 1).grad;
    const run = (exaggeration: number, settings: { nearFieldRadius?: number } = {}) => {
      const got = new Float64Array(n * 2);
      const interpolation = new InterpolationGradient(sparse, entropyTerm(sparse.values), settings);
      interpolation.evaluate(y, exaggeration, got, false);
      return { got, grid: interpolation.lastGrid };
    };
    const exaggerated = run(12);
    const grid = exaggerated.grid;
    expect(grid.nearRadius).toBe(0);
    expect(grid.boxWidth).toBeGreaterThan(0.5);
    expect(grid.boxWidth).toBeLessThanOrEqual(1);
    const fine = run(1);
    expect(fine.grid.nearRadius).toBe(0);
    expect(fine.grid.boxWidth).toBeLessThanOrEqual(0.7);
    expect(fine.grid.fftSize).toBeGreaterThan(grid.fftSize);
    // Without a near field asked for, the grid is the plain one.
    const plain = run(1, { nearFieldRadius: 0 });
    expect(plain.grid.boxWidth).toBe(grid.boxWidth);
    const fineError = normRelativeError(fine.got, expected);
    expect(fineError).toBeLessThan(normRelativeError(plain.got, expected) / 4);
  });

  it('leaves the near field off where the points are too dense for its pair budget', () => {
    // A tight blob of 240 points and 10 far outliers: a coarse grid (spacing above 1) whose 5-spacing radius
    // takes in most of the blob, far more candidates per point than a budget of 20.
    const random = seededRandom(11);
    const y = Float64Array.from(
      { length: n * 2 },
      (_, t) => (t < 2 * (n - 10) ? 1.5 : 100) * random.normal(),
    );
    const expected = exactGradient(y, 1).grad;
    const run = (nearFieldRadius: number, denseFftSize?: number) => {
      const got = new Float64Array(n * 2);
      const settings = { maxFftSize: 256, nearFieldRadius, nearFieldCandidates: 20, denseFftSize };
      const interpolation = new InterpolationGradient(sparse, entropyTerm(sparse.values), settings);
      interpolation.evaluate(y, 1, got, false);
      return { error: normRelativeError(got, expected), grid: interpolation.lastGrid };
    };
    const coarse = run(0);
    expect(coarse.grid.fftSize).toBe(256);
    const spacing = coarse.grid.boxWidth / 3;
    expect(spacing).toBeGreaterThan(1);
    // Refused, with the dense grid kept at 256²: the grid alone, as without a near field.
    const refused = run(5, 256);
    expect(refused.grid.nearRadius).toBe(0);
    expect(refused.error).toBe(coarse.error);
    // By default the refused near field gives way to a grid of up to 1 024² (a quarter of the node spacing here).
    const dense = run(5);
    expect(dense.grid.nearRadius).toBe(0);
    expect(dense.grid.fftSize).toBe(1024);
    expect(dense.grid.boxWidth).toBeCloseTo(coarse.grid.boxWidth / 4, 12);
    expect(dense.error).toBeLessThan(coarse.error / 4);
    // Within a budget of 1 000 candidates per point it is on.
    const within = new InterpolationGradient(sparse, entropyTerm(sparse.values), {
      maxFftSize: 256,
      nearFieldCandidates: 1000,
    });
    within.evaluate(y, 1, new Float64Array(n * 2), false);
    expect(within.lastGrid.nearRadius).toBeCloseTo(5 * spacing, 12);
  });

  it('gradient descent with it lowers the KL divergence and separates clusters', async () => {
    const n = 600;
    const { data, labels, dim } = gaussianMixture({ n, dim: 10, clusters: 4, centerScale: 4, seed: 3 });
    const neighbours = nearestNeighbors(prepareDistance(data, n, dim, 'euclidean'), n, 60, seededRandom(1));
    const affinities = sparseAffinities(neighbours, n, 20);
    // A small grid keeps the test cheap; the embedding stays within its boxes of width <= 1.
    const evaluator = new InterpolationGradient(affinities, entropyTerm(affinities.values), {
      minFftSize: 64,
    });
    const random = seededRandom(2);
    const y = Float64Array.from({ length: n * 2 }, () => 1e-4 * random.normal());
    const run = await gradientDescent(evaluator, y, {
      maxIterations: 200,
      exaggeration: 4,
      exaggerationIterations: 99,
      learnRate: 200,
      tolerance: 0,
      reportEvery: 10,
    });
    expect(run.kl[run.kl.length - 1]).toBeLessThan(run.kl[0]);
    // After early exaggeration (99 iterations) every recorded KL is below the one at iteration 100.
    const after = run.klIterations.indexOf(100);
    for (let t = after + 1; t < run.kl.length; t++) expect(run.kl[t]).toBeLessThan(run.kl[after]);
    expect(neighbourLabelAgreement(Float32Array.from(y), n, 2, labels, 10)).toBeGreaterThan(0.95);
    expect(evaluator.lastGrid.boxWidth).toBeLessThanOrEqual(1);
  });

  it("tsne() runs it as algorithm 'fft', reproducibly", async () => {
    const { data, dim } = gaussianMixture({ n: 300, dim: 10, clusters: 3, centerScale: 4, seed: 3 });
    const options = { algorithm: 'fft' as const, perplexity: 20, maxIterations: 15, seed: 2 };
    const first = await tsne(data, 300, dim, options);
    const again = await tsne(data, 300, dim, options);
    expect(first.algorithm).toBe('fft');
    expect(again.embedding).toEqual(first.embedding);
    await expect(tsne(data, 300, dim, { ...options, numDimensions: 3 })).rejects.toThrow(/'fft'/);
  });
});
