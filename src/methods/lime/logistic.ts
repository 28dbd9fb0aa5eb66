/**
 * Weighted logistic regression with a ridge penalty, the linear classification model of a binary response
 * (as MATLAB's `fitclinear` with a logistic learner and its default Lambda = 1/n): minimises
 *   Σ w_i [log(1 + e^{η_i}) − y_i η_i] / Σ w_i + (λ / 2) ‖β‖²,   η_i = b + x_i · β,
 * by Newton's method on columns standardised with the weighted mean and standard deviation (so the penalty
 * treats every feature alike and the iteration is well conditioned), coefficients returned per raw unit.
 * The penalty keeps the solution finite when the classes are linearly separable.
 */
import { Matrix, solve } from 'ml-matrix';

export interface LogisticFit {
  /** Per raw unit of each column. */
  coefficients: Float64Array;
  intercept: number;
  /** η = intercept + x · coefficients of every sample (the log-odds of the positive class). */
  logOdds: Float64Array;
}

/** `x` is row-major samples x p; `y` holds 0/1. */
export function fitWeightedLogistic(
  x: Float64Array,
  p: number,
  y: Float64Array,
  w: Float64Array,
  lambda = 1 / y.length,
): LogisticFit {
  const n = y.length;
  let sw = 0;
  for (let i = 0; i < n; i++) sw += w[i];
  const mean = new Float64Array(p);
  const scale = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] += (w[i] * x[i * p + j]) / sw;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) scale[j] += (w[i] * (x[i * p + j] - mean[j]) ** 2) / sw;
  for (let j = 0; j < p; j++) scale[j] = scale[j] > 0 ? Math.sqrt(scale[j]) : 1;
  const z = (i: number, j: number) => (j === 0 ? 1 : (x[i * p + j - 1] - mean[j - 1]) / scale[j - 1]);
  const d = p + 1;
  const beta = new Float64Array(d);
  const eta = new Float64Array(n);
  for (let iteration = 0; iteration < 100; iteration++) {
    const gradient = new Float64Array(d);
    const hessian = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      let e = 0;
      for (let j = 0; j < d; j++) e += beta[j] * z(i, j);
      eta[i] = e;
      const prob = 1 / (1 + Math.exp(-e));
      const r = (w[i] * (prob - y[i])) / sw;
      const h = (w[i] * prob * (1 - prob)) / sw;
      for (let a = 0; a < d; a++) {
        const za = z(i, a);
        gradient[a] += r * za;
        for (let b = 0; b <= a; b++) hessian[a * d + b] += h * za * z(i, b);
      }
    }
    for (let a = 1; a < d; a++) {
      gradient[a] += lambda * beta[a];
      hessian[a * d + a] += lambda;
    }
    for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) hessian[a * d + b] = hessian[b * d + a];
    // A whisper of damping on the intercept keeps the system solvable when every response is one class.
    hessian[0] += 1e-12;
    const step = solve(
      new Matrix(Array.from({ length: d }, (_, a) => Array.from(hessian.subarray(a * d, (a + 1) * d)))),
      Matrix.columnVector(Array.from(gradient)),
    );
    let largest = 0;
    for (let a = 0; a < d; a++) {
      const s = step.get(a, 0);
      beta[a] -= s;
      largest = Math.max(largest, Math.abs(s));
    }
    if (largest < 1e-10 * (1 + Math.max(...Array.from(beta, Math.abs)))) break;
  }
  const coefficients = Float64Array.from({ length: p }, (_, j) => beta[j + 1] / scale[j]);
  let intercept = beta[0];
  for (let j = 0; j < p; j++) intercept -= coefficients[j] * mean[j];
  const logOdds = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let e = intercept;
    for (let j = 0; j < p; j++) e += coefficients[j] * x[i * p + j];
    logOdds[i] = e;
  }
  return { coefficients, intercept, logOdds };
}
