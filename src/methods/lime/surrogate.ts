/**
 * Interpretable surrogate models for LIME, fitted to (features, score) pairs with per-sample weights:
 * a weighted ridge regression (ml-matrix) and a weighted regression tree.
 *
 * Fit quality is the weighted coefficient of determination on the samples fitted:
 *   R² = 1 - Σ w (y - ŷ)² / Σ w (y - ȳ_w)²
 * (1 when the scores do not vary and are reproduced exactly, 0 when they do not vary but are missed).
 */
import { CholeskyDecomposition, Matrix, solve } from 'ml-matrix';
import { OptionError } from '../../errors.js';
import { fitRegressionTree, predictTree, type RegressionTreeOptions } from './regression-tree.js';

/** Samples for a surrogate: `features` is row-major samples x numFeatures. */
export interface SurrogateData {
  features: Float64Array;
  samples: number;
  numFeatures: number;
  targets: Float64Array;
  weights: Float64Array;
}

export interface SurrogateFit {
  kind: 'linear' | 'tree';
  /** Per feature: the coefficient (linear) or MATLAB's predictor importance of its splits (tree). */
  importance: Float64Array;
  /** Linear only: the fitted intercept. */
  intercept?: number;
  /** Weighted R² on the fitted samples. */
  r2: number;
  /** Surrogate prediction for each fitted sample. */
  predictions: Float64Array;
}

function checkData(data: SurrogateData): void {
  const { features, samples, numFeatures, targets, weights } = data;
  if (features.length !== samples * numFeatures || targets.length !== samples || weights.length !== samples) {
    throw new OptionError('INVALID_OPTION', 'surrogate data sizes do not match the number of samples');
  }
  let total = 0;
  for (let i = 0; i < samples; i++) {
    if (!(weights[i] >= 0))
      throw new OptionError('INVALID_OPTION', `sample weights must be non-negative, got ${weights[i]}`);
    total += weights[i];
  }
  if (!(total > 0)) throw new OptionError('INVALID_OPTION', 'surrogate sample weights sum to zero');
}

export function weightedR2(targets: Float64Array, predictions: Float64Array, weights: Float64Array): number {
  let sw = 0;
  let sy = 0;
  for (let i = 0; i < targets.length; i++) {
    sw += weights[i];
    sy += weights[i] * targets[i];
  }
  const mean = sy / sw;
  let residual = 0;
  let spread = 0;
  for (let i = 0; i < targets.length; i++) {
    residual += weights[i] * (targets[i] - predictions[i]) ** 2;
    spread += weights[i] * (targets[i] - mean) ** 2;
  }
  // Relative to the scale of the targets, so float noise on a constant score still counts as exact.
  const scale = Math.max(1e-300, sw * mean * mean);
  if (spread <= 1e-24 * scale) return residual <= 1e-20 * scale ? 1 : 0;
  return 1 - residual / spread;
}

/**
 * Minimises Σ w (y - b - x·β)² + lambda |β|² (the intercept b is not penalised), by centring on the
 * weighted means and solving the normal equations.
 */
export function fitWeightedRidge(data: SurrogateData, lambda = 1): SurrogateFit {
  checkData(data);
  if (!(lambda >= 0))
    throw new OptionError('INVALID_OPTION', `ridge lambda must be non-negative, got ${lambda}`);
  const { features, samples: n, numFeatures: k, targets, weights } = data;
  const meanX = new Float64Array(k);
  let sw = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    sw += w;
    meanY += w * targets[i];
    for (let j = 0; j < k; j++) meanX[j] += w * features[i * k + j];
  }
  meanY /= sw;
  for (let j = 0; j < k; j++) meanX[j] /= sw;

  const gram = new Float64Array(k * k);
  const rhs = new Float64Array(k);
  const centred = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    if (w === 0) continue;
    for (let j = 0; j < k; j++) centred[j] = features[i * k + j] - meanX[j];
    const dy = targets[i] - meanY;
    for (let a = 0; a < k; a++) {
      const wa = w * centred[a];
      if (wa === 0) continue;
      rhs[a] += wa * dy;
      for (let b = a; b < k; b++) gram[a * k + b] += wa * centred[b];
    }
  }
  const A = new Matrix(k, k);
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      A.set(a, b, gram[a * k + b]);
      A.set(b, a, gram[a * k + b]);
    }
    A.set(a, a, A.get(a, a) + lambda);
  }
  const B = Matrix.columnVector(Array.from(rhs));
  const cholesky = new CholeskyDecomposition(A);
  // Without penalty the system can be singular (a feature never switched); least squares via SVD then.
  const beta = cholesky.isPositiveDefinite() ? cholesky.solve(B) : solve(A, B, true);
  const importance = Float64Array.from(beta.getColumn(0));
  let intercept = meanY;
  for (let j = 0; j < k; j++) intercept -= importance[j] * meanX[j];

  const predictions = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = intercept;
    for (let j = 0; j < k; j++) s += importance[j] * features[i * k + j];
    predictions[i] = s;
  }
  return {
    kind: 'linear',
    importance,
    intercept,
    r2: weightedR2(targets, predictions, weights),
    predictions,
  };
}

/**
 * Weighted regression tree (see `regression-tree.ts`); importance is MATLAB's `predictorImportance`.
 */
export function fitWeightedTree(data: SurrogateData, options: RegressionTreeOptions = {}): SurrogateFit {
  checkData(data);
  const { features, samples: n, numFeatures: k, targets, weights } = data;
  const tree = fitRegressionTree(features, k, targets, weights, options);
  const predictions = new Float64Array(n);
  for (let i = 0; i < n; i++) predictions[i] = predictTree(tree.root, features, i * k);
  return {
    kind: 'tree',
    importance: tree.importance,
    r2: weightedR2(targets, predictions, weights),
    predictions,
  };
}
