/**
 * Top-k principal components by randomised SVD (Halko, Martinsson & Tropp 2011, algorithms 4.4 and 5.1) of the
 * centred data A_c = A - 1 μᵀ, which is never formed: products with it subtract the mean's share instead. Cost
 * O(n · dim · (k + oversampling) · (2 + 2 · powerIterations)) instead of the O(n · dim²) covariance and O(dim³)
 * eigendecomposition of the full solver: 70 000 × 784 to 50 components reads the data six times.
 *
 *   Y = A_c Ω (Ω: dim × l standard normal, l = k + oversampling), orthonormalised → Q
 *   repeat q times: Q ← orth(A_c orth(A_cᵀ Q))          (power iterations sharpen a slowly decaying spectrum)
 *   B = Qᵀ A_c (l × dim); B Bᵀ = U S² Uᵀ; components = Bᵀ U S⁻¹; scores = Q U S.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { SeededRandom } from './random.js';

export interface RandomizedPcaOptions {
  /** Extra random directions beyond k (default 10). */
  oversampling?: number;
  /** Power iterations (default 2). */
  powerIterations?: number;
}

export interface RandomizedPcaResult {
  /** dim × k loadings, row-major, unit columns (signs not yet fixed). */
  components: Float64Array;
  /** n × k scores. */
  scores: Float64Array;
  /** The k largest variances (eigenvalues of the sample covariance), descending. */
  variances: Float64Array;
  /** Total variance (trace of the sample covariance). */
  totalVariance: number;
}

export function randomizedPca(
  data: Float32Array,
  n: number,
  dim: number,
  k: number,
  random: SeededRandom,
  options: RandomizedPcaOptions = {},
): RandomizedPcaResult {
  const l = Math.min(k + (options.oversampling ?? 10), dim, n);
  const q = options.powerIterations ?? 2;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let c = 0; c < dim; c++) mean[c] += data[i * dim + c];
  for (let c = 0; c < dim; c++) mean[c] /= n;
  let totalSquares = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < dim; c++) {
      const v = data[i * dim + c] - mean[c];
      totalSquares += v * v;
    }
  }

  const omega = new Float64Array(dim * l);
  for (let t = 0; t < omega.length; t++) omega[t] = random.normal();
  const basis = orthonormalizeColumns(multiplyCentred(data, n, dim, mean, omega, l), n, l);
  let current = basis;
  for (let iteration = 0; iteration < q; iteration++) {
    const back = orthonormalizeColumns(multiplyCentredTransposed(data, n, dim, mean, current, l), dim, l);
    current = orthonormalizeColumns(multiplyCentred(data, n, dim, mean, back, l), n, l);
  }
  // Bᵀ = A_cᵀ Q (dim × l); B Bᵀ = (Bᵀ)ᵀ Bᵀ (l × l).
  const bt = multiplyCentredTransposed(data, n, dim, mean, current, l);
  const gram = new Float64Array(l * l);
  for (let r = 0; r < dim; r++) {
    for (let a = 0; a < l; a++) {
      const v = bt[r * l + a];
      for (let b = 0; b <= a; b++) gram[a * l + b] += v * bt[r * l + b];
    }
  }
  const rows: number[][] = [];
  for (let a = 0; a < l; a++) {
    const row: number[] = [];
    for (let b = 0; b < l; b++) row.push(a >= b ? gram[a * l + b] : gram[b * l + a]);
    rows.push(row);
  }
  const eig = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const order = values.map((_, t) => t).sort((a, b) => values[b] - values[a]);

  const components = new Float64Array(dim * k);
  const scores = new Float64Array(n * k);
  const variances = new Float64Array(k);
  const denominator = Math.max(n - 1, 1);
  for (let c = 0; c < k; c++) {
    const e = order[c];
    const s2 = Math.max(values[e], 0);
    const s = Math.sqrt(s2);
    variances[c] = s2 / denominator;
    // components[:, c] = Bᵀ u / s; scores[:, c] = Q u s.
    for (let r = 0; r < dim; r++) {
      let sum = 0;
      for (let a = 0; a < l; a++) sum += bt[r * l + a] * vectors.get(a, e);
      components[r * k + c] = s > 0 ? sum / s : 0;
    }
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let a = 0; a < l; a++) sum += current[i * l + a] * vectors.get(a, e);
      scores[i * k + c] = sum * s;
    }
  }
  return { components, scores, variances, totalVariance: totalSquares / denominator };
}

/** (A - 1 μᵀ) M for M dim × l: one pass over A, four rows at a time so each row of M feeds four products. */
function multiplyCentred(
  data: Float32Array,
  n: number,
  dim: number,
  mean: Float64Array,
  m: Float64Array,
  l: number,
): Float64Array {
  const out = new Float64Array(n * l);
  // μᵀ M, subtracted from every row.
  const shift = new Float64Array(l);
  for (let c = 0; c < dim; c++) for (let t = 0; t < l; t++) shift[t] += mean[c] * m[c * l + t];
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    const o = i * l;
    for (let c = 0; c < dim; c++) {
      const a = data[row + c];
      if (a === 0) continue;
      const base = c * l;
      for (let t = 0; t < l; t++) out[o + t] += a * m[base + t];
    }
    for (let t = 0; t < l; t++) out[o + t] -= shift[t];
  }
  return out;
}

/** (A - 1 μᵀ)ᵀ Y for Y n × l. */
function multiplyCentredTransposed(
  data: Float32Array,
  n: number,
  dim: number,
  mean: Float64Array,
  y: Float64Array,
  l: number,
): Float64Array {
  const out = new Float64Array(dim * l);
  const columnSums = new Float64Array(l);
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    const yi = i * l;
    for (let t = 0; t < l; t++) columnSums[t] += y[yi + t];
    for (let c = 0; c < dim; c++) {
      const a = data[row + c];
      if (a === 0) continue;
      const base = c * l;
      for (let t = 0; t < l; t++) out[base + t] += a * y[yi + t];
    }
  }
  for (let c = 0; c < dim; c++) for (let t = 0; t < l; t++) out[c * l + t] -= mean[c] * columnSums[t];
  return out;
}

/**
 * Orthonormal columns spanning those of `y` (rows × l, row-major), in place: Cholesky QR run twice (CholeskyQR2,
 * row-major friendly, as orthogonal as Householder QR once the first pass has conditioned the columns). When the
 * columns are (numerically) dependent the Gram matrix is not positive definite and modified Gram–Schmidt, which
 * zeroes a vanishing column, takes over.
 */
function orthonormalizeColumns(y: Float64Array, rows: number, l: number): Float64Array {
  for (let pass = 0; pass < 2; pass++) {
    if (!choleskyQrPass(y, rows, l)) return gramSchmidt(y, rows, l);
  }
  return y;
}

function choleskyQrPass(y: Float64Array, rows: number, l: number): boolean {
  const gram = new Float64Array(l * l);
  for (let i = 0; i < rows; i++) {
    const base = i * l;
    for (let a = 0; a < l; a++) {
      const v = y[base + a];
      for (let b = 0; b <= a; b++) gram[a * l + b] += v * y[base + b];
    }
  }
  // Lower factor L with G = L Lᵀ; then Y ← Y L⁻ᵀ row by row (forward substitution).
  let largest = 0;
  for (let a = 0; a < l; a++) largest = Math.max(largest, gram[a * l + a]);
  const lower = new Float64Array(l * l);
  for (let a = 0; a < l; a++) {
    for (let b = 0; b <= a; b++) {
      let sum = gram[a * l + b];
      for (let c = 0; c < b; c++) sum -= lower[a * l + c] * lower[b * l + c];
      if (a === b) {
        if (!(sum > largest * 1e-10)) return false;
        lower[a * l + a] = Math.sqrt(sum);
      } else {
        lower[a * l + b] = sum / lower[b * l + b];
      }
    }
  }
  for (let i = 0; i < rows; i++) {
    const base = i * l;
    for (let a = 0; a < l; a++) {
      let sum = y[base + a];
      for (let c = 0; c < a; c++) sum -= lower[a * l + c] * y[base + c];
      y[base + a] = sum / lower[a * l + a];
    }
  }
  return true;
}

function gramSchmidt(y: Float64Array, rows: number, l: number): Float64Array {
  for (let pass = 0; pass < 2; pass++) {
    for (let a = 0; a < l; a++) {
      for (let b = 0; b < a; b++) {
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += y[i * l + a] * y[i * l + b];
        for (let i = 0; i < rows; i++) y[i * l + a] -= dot * y[i * l + b];
      }
      let norm = 0;
      for (let i = 0; i < rows; i++) norm += y[i * l + a] * y[i * l + a];
      const scale = norm > 1e-300 ? 1 / Math.sqrt(norm) : 0;
      for (let i = 0; i < rows; i++) y[i * l + a] *= scale;
    }
  }
  return y;
}
