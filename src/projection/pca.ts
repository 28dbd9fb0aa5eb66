/**
 * Principal component analysis over a typed n × dim matrix. Two solvers: 'full' accumulates the covariance over
 * typed arrays (no n × dim array-of-arrays copy) and lets `ml-pca` do its eigendecomposition, O(n·dim² + dim³);
 * 'randomized' finds the top k by randomised SVD (randomized-pca.ts), O(n·dim·k), for wide data and few
 * components. Component signs are fixed so that each component's largest-magnitude loading is positive, making
 * results reproducible.
 */
import { PCA } from 'ml-pca';
import { OptionError } from '../errors.js';
import { featureStandardDeviations, sampleCovariance } from './distances.js';
import { seededRandom } from './random.js';
import {
  randomizedPca,
  randomizedPcaWith,
  type MatrixProducts,
  type RandomizedPcaResult,
} from './randomized-pca.js';

export type PcaSolver = 'auto' | 'full' | 'randomized';

/** 'auto' picks the randomised solver from this many features on, when k is at most a quarter of them. */
export const RANDOMIZED_MIN_FEATURES = 100;

export interface PcaOptions {
  /** Components to keep (default 2). */
  numDimensions?: number;
  /** Divide each feature by its standard deviation first (constant features are left at 0). */
  standardize?: boolean;
  /**
   * 'full' (exact eigendecomposition of the covariance), 'randomized' (top k by randomised SVD, 2 power
   * iterations) or 'auto' (default: randomized from RANDOMIZED_MIN_FEATURES features on when k <= dim / 4).
   */
  solver?: PcaSolver;
  /** Seed of the randomised solver's random directions (default 0). */
  seed?: number;
}

export interface PcaResult {
  /** n × numDimensions scores. */
  embedding: Float32Array;
  n: number;
  numDimensions: number;
  /** Share of the total variance explained by each kept component. */
  explainedVariance: number[];
  /** dim × numDimensions loadings (row-major), the unit directions the data was projected on. */
  components: Float64Array;
}

interface PcaPlan {
  input: Float32Array;
  k: number;
  randomized: boolean;
}

function planPca(data: Float32Array, n: number, dim: number, options: PcaOptions): PcaPlan {
  const k = options.numDimensions ?? 2;
  if (!Number.isInteger(k) || k < 1 || k > dim) {
    throw new OptionError('INVALID_OPTION', `PCA numDimensions must be an integer in [1, ${dim}], got ${k}`);
  }
  if (n < 2) throw new OptionError('INVALID_INPUT', `PCA needs at least 2 points, got ${n}`);
  if (data.length !== n * dim) {
    throw new OptionError(
      'INVALID_INPUT',
      `data has ${data.length} values, expected n × dim = ${n} × ${dim}`,
    );
  }
  const solver = options.solver ?? 'auto';
  if (solver !== 'auto' && solver !== 'full' && solver !== 'randomized') {
    throw new OptionError(
      'INVALID_OPTION',
      `PCA solver must be 'auto', 'full' or 'randomized', got '${String(solver)}'`,
    );
  }
  const input = options.standardize ? standardizeColumns(data, n, dim) : data;
  const randomized =
    solver === 'randomized' || (solver === 'auto' && dim >= RANDOMIZED_MIN_FEATURES && 4 * k <= dim);
  return { input, k, randomized };
}

export function pca(data: Float32Array, n: number, dim: number, options: PcaOptions = {}): PcaResult {
  const { input, k, randomized } = planPca(data, n, dim, options);
  if (randomized) {
    return randomizedResult(randomizedPca(input, n, dim, k, seededRandom(options.seed ?? 0)), n, dim, k);
  }
  return fullPca(input, n, dim, k);
}

/**
 * `pca` with the randomised solver's products with the data done by `products` (in Node,
 * `ortMatrixProducts()`: ONNX Runtime's matrix kernels, float32 products centred in double). The full solver,
 * chosen for narrow data, does not use them.
 */
export async function pcaWithProducts(
  products: MatrixProducts,
  data: Float32Array,
  n: number,
  dim: number,
  options: PcaOptions = {},
): Promise<PcaResult> {
  const { input, k, randomized } = planPca(data, n, dim, options);
  if (!randomized) return fullPca(input, n, dim, k);
  const found = await randomizedPcaWith(products, input, n, dim, k, seededRandom(options.seed ?? 0));
  return randomizedResult(found, n, dim, k);
}

function fullPca(input: Float32Array, n: number, dim: number, k: number): PcaResult {
  const covariance = sampleCovariance(input, n, dim);
  const rows: number[][] = [];
  for (let r = 0; r < dim; r++) rows.push(Array.from(covariance.subarray(r * dim, (r + 1) * dim)));
  const model = new PCA(rows, { isCovarianceMatrix: true });
  const vectors = model.getEigenvectors();
  const eigenvalues = model.getEigenvalues();

  const components = new Float64Array(dim * k);
  for (let c = 0; c < k; c++) {
    let largest = 0;
    for (let r = 0; r < dim; r++) {
      const v = vectors.get(r, c);
      if (Math.abs(v) > Math.abs(largest)) largest = v;
    }
    const sign = largest < 0 ? -1 : 1;
    for (let r = 0; r < dim; r++) components[r * k + c] = sign * vectors.get(r, c);
  }

  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let r = 0; r < dim; r++) mean[r] += input[i * dim + r];
  for (let r = 0; r < dim; r++) mean[r] /= n;
  const embedding = new Float32Array(n * k);
  const scores = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    scores.fill(0);
    for (let r = 0; r < dim; r++) {
      const centred = input[i * dim + r] - mean[r];
      for (let c = 0; c < k; c++) scores[c] += centred * components[r * k + c];
    }
    for (let c = 0; c < k; c++) embedding[i * k + c] = scores[c];
  }

  let total = 0;
  // Rounding can leave tiny negative eigenvalues for a singular covariance; they explain nothing.
  for (const value of eigenvalues) total += Math.max(value, 0);
  const explainedVariance = eigenvalues
    .slice(0, k)
    .map((value) => (total > 0 ? Math.max(value, 0) / total : 0));
  return { embedding, n, numDimensions: k, explainedVariance, components };
}

function randomizedResult(found: RandomizedPcaResult, n: number, dim: number, k: number): PcaResult {
  const components = found.components;
  const embedding = new Float32Array(n * k);
  for (let c = 0; c < k; c++) {
    let largest = 0;
    for (let r = 0; r < dim; r++) {
      const v = components[r * k + c];
      if (Math.abs(v) > Math.abs(largest)) largest = v;
    }
    const sign = largest < 0 ? -1 : 1;
    for (let r = 0; r < dim; r++) components[r * k + c] *= sign;
    for (let i = 0; i < n; i++) embedding[i * k + c] = sign * found.scores[i * k + c];
  }
  const total = found.totalVariance;
  const explainedVariance = Array.from(found.variances, (v) => (total > 0 ? v / total : 0));
  return { embedding, n, numDimensions: k, explainedVariance, components };
}

/** Columns centred and divided by their standard deviation; constant columns become 0. */
export function standardizeColumns(data: Float32Array, n: number, dim: number): Float32Array {
  const std = featureStandardDeviations(data, n, dim);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let r = 0; r < dim; r++) mean[r] += data[i * dim + r];
  for (let r = 0; r < dim; r++) mean[r] /= n;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < dim; r++) {
      out[i * dim + r] = std[r] > 0 ? (data[i * dim + r] - mean[r]) / std[r] : 0;
    }
  }
  return out;
}
