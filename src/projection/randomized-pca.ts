/**
 * Top-k principal components by randomised SVD (Halko, Martinsson & Tropp 2011, algorithms 4.4 and 5.1) of the
 * centred data A_c = A - 1 μᵀ, which is never formed: products with it subtract the mean's share instead. Cost
 * O(n · dim · (k + oversampling) · (2 + 2 · powerIterations)) instead of the O(n · dim²) covariance and O(dim³)
 * eigendecomposition of the full solver: 70 000 × 784 to 50 components reads the data six times.
 *
 *   Y = A_c Ω (Ω: dim × l standard normal, l = k + oversampling), orthonormalised → Q
 *   repeat q times: Q ← orth(A_c orth(A_cᵀ Q))          (power iterations sharpen a slowly decaying spectrum)
 *   B = Qᵀ A_c (l × dim); B Bᵀ = U S² Uᵀ; components = Bᵀ U S⁻¹; scores = Q U S.
 *
 * The algorithm is a generator that asks for the two products with the raw data, A M and Aᵀ Y, and centres
 * them itself: `randomizedPca` answers with the JavaScript loops below, `randomizedPcaWith` with products a host
 * supplies (in Node, ONNX Runtime's matrix kernels: `ortMatrixProducts()`), which are tens of times faster.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { RuntimeError } from '../errors.js';
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

/**
 * The products the algorithm asks for: with the raw data A (n × dim; float32 precision is enough, the solver
 * centres in double), A M (M dim × l) or Aᵀ Y (Y n × l); and in double, the Gram matrix Yᵀ Y of a tall Y
 * (rows × l) and Y S (S l × c). Everything else is O(l³) or O(dim · l).
 */
type ProductRequest =
  | { kind: 'data'; transposed: boolean; factor: Float64Array; l: number }
  | { kind: 'gram'; y: Float64Array; rows: number; l: number }
  | { kind: 'times'; y: Float64Array; rows: number; l: number; s: Float64Array; c: number };

/** The products for one data set, answered by the host; results are row-major. */
export interface DataProducts {
  /** A M, n × l. */
  times(m: Float64Array, l: number): Promise<Float64Array>;
  /** Aᵀ Y, dim × l. */
  transposedTimes(y: Float64Array, l: number): Promise<Float64Array>;
  /** Yᵀ Y in double, l × l. */
  gram(y: Float64Array, rows: number, l: number): Promise<Float64Array>;
  /** Y S in double, rows × c. */
  multiply(y: Float64Array, rows: number, l: number, s: Float64Array, c: number): Promise<Float64Array>;
  /** Frees what the products hold (e.g. runtime sessions). */
  release(): Promise<void>;
}

/** Makes the products for an n × dim data set. */
export type MatrixProducts = (data: Float32Array, n: number, dim: number) => Promise<DataProducts>;

type Steps<T> = Generator<ProductRequest, T, Float64Array>;

export function randomizedPca(
  data: Float32Array,
  n: number,
  dim: number,
  k: number,
  random: SeededRandom,
  options: RandomizedPcaOptions = {},
): RandomizedPcaResult {
  const steps = randomizedPcaSteps(data, n, dim, k, random, options);
  let step = steps.next();
  while (!step.done) step = steps.next(answerInJavaScript(data, n, dim, step.value));
  return step.value;
}

/** The same with host-supplied products (released before returning). */
export async function randomizedPcaWith(
  products: MatrixProducts,
  data: Float32Array,
  n: number,
  dim: number,
  k: number,
  random: SeededRandom,
  options: RandomizedPcaOptions = {},
): Promise<RandomizedPcaResult> {
  const host = await products(data, n, dim);
  try {
    const steps = randomizedPcaSteps(data, n, dim, k, random, options);
    let step = steps.next();
    while (!step.done) step = steps.next(checked(step.value, await answerByHost(host, step.value), n, dim));
    return step.value;
  } finally {
    await host.release();
  }
}

function answerInJavaScript(data: Float32Array, n: number, dim: number, r: ProductRequest): Float64Array {
  if (r.kind === 'gram') return gram(r.y, r.rows, r.l);
  if (r.kind === 'times') return multiplySmall(r.y, r.rows, r.l, r.s, r.c);
  return r.transposed
    ? multiplyTransposed(data, n, dim, r.factor, r.l)
    : multiply(data, n, dim, r.factor, r.l);
}

function answerByHost(host: DataProducts, r: ProductRequest): Promise<Float64Array> {
  if (r.kind === 'gram') return host.gram(r.y, r.rows, r.l);
  if (r.kind === 'times') return host.multiply(r.y, r.rows, r.l, r.s, r.c);
  return r.transposed ? host.transposedTimes(r.factor, r.l) : host.times(r.factor, r.l);
}

function checked(r: ProductRequest, product: Float64Array, n: number, dim: number): Float64Array {
  const [rows, cols] =
    r.kind === 'gram' ? [r.l, r.l] : r.kind === 'times' ? [r.rows, r.c] : [r.transposed ? dim : n, r.l];
  if (product.length !== rows * cols) {
    throw new RuntimeError(
      'RUNTIME_ERROR',
      `a matrix product returned ${product.length} values for a ${rows} × ${cols} result`,
    );
  }
  return product;
}

function* randomizedPcaSteps(
  data: Float32Array,
  n: number,
  dim: number,
  k: number,
  random: SeededRandom,
  options: RandomizedPcaOptions,
): Steps<RandomizedPcaResult> {
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
  let current = yield* orthonormalizeColumns(yield* centredTimes(n, dim, mean, omega, l), n, l);
  for (let iteration = 0; iteration < q; iteration++) {
    const back = yield* orthonormalizeColumns(
      yield* centredTransposedTimes(n, dim, mean, current, l),
      dim,
      l,
    );
    current = yield* orthonormalizeColumns(yield* centredTimes(n, dim, mean, back, l), n, l);
  }
  // Bᵀ = A_cᵀ Q (dim × l); B Bᵀ = (Bᵀ)ᵀ Bᵀ (l × l).
  const bt = yield* centredTransposedTimes(n, dim, mean, current, l);
  const small = yield { kind: 'gram', y: bt, rows: dim, l };
  const rows: number[][] = [];
  for (let a = 0; a < l; a++) {
    const row: number[] = [];
    for (let b = 0; b < l; b++) row.push(a >= b ? small[a * l + b] : small[b * l + a]);
    rows.push(row);
  }
  const eig = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const order = values.map((_, t) => t).sort((a, b) => values[b] - values[a]);

  const variances = new Float64Array(k);
  const denominator = Math.max(n - 1, 1);
  // components = Bᵀ U S⁻¹ and scores = Q U S, the k largest singular values' columns.
  const toComponents = new Float64Array(l * k);
  const toScores = new Float64Array(l * k);
  for (let c = 0; c < k; c++) {
    const e = order[c];
    const s2 = Math.max(values[e], 0);
    const s = Math.sqrt(s2);
    variances[c] = s2 / denominator;
    for (let a = 0; a < l; a++) {
      const u = vectors.get(a, e);
      toComponents[a * k + c] = s > 0 ? u / s : 0;
      toScores[a * k + c] = u * s;
    }
  }
  const components = yield { kind: 'times', y: bt, rows: dim, l, s: toComponents, c: k };
  const scores = yield { kind: 'times', y: current, rows: n, l, s: toScores, c: k };
  return { components, scores, variances, totalVariance: totalSquares / denominator };
}

/** (A - 1 μᵀ) M for M dim × l: A M less μᵀ M in every row. */
function* centredTimes(
  n: number,
  dim: number,
  mean: Float64Array,
  m: Float64Array,
  l: number,
): Steps<Float64Array> {
  const out = yield { kind: 'data', transposed: false, factor: m, l };
  const shift = new Float64Array(l);
  for (let c = 0; c < dim; c++) for (let t = 0; t < l; t++) shift[t] += mean[c] * m[c * l + t];
  for (let i = 0; i < n; i++) for (let t = 0; t < l; t++) out[i * l + t] -= shift[t];
  return out;
}

/** (A - 1 μᵀ)ᵀ Y for Y n × l: Aᵀ Y less μ (1ᵀ Y). */
function* centredTransposedTimes(
  n: number,
  dim: number,
  mean: Float64Array,
  y: Float64Array,
  l: number,
): Steps<Float64Array> {
  const out = yield { kind: 'data', transposed: true, factor: y, l };
  const columnSums = new Float64Array(l);
  for (let t = 0; t < n * l; t++) columnSums[t % l] += y[t];
  for (let c = 0; c < dim; c++) for (let t = 0; t < l; t++) out[c * l + t] -= mean[c] * columnSums[t];
  return out;
}

/**
 * A M for M dim × l: one pass over A. Four features at a time feed each output row, so the row is loaded and
 * stored once per four products (the loop is bound by those loads and stores, not by the arithmetic).
 */
function multiply(data: Float32Array, n: number, dim: number, m: Float64Array, l: number): Float64Array {
  const out = new Float64Array(n * l);
  const whole = dim - (dim % 4);
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    const o = i * l;
    for (let c = 0; c < whole; c += 4) {
      const a0 = data[row + c];
      const a1 = data[row + c + 1];
      const a2 = data[row + c + 2];
      const a3 = data[row + c + 3];
      // Pixel data is often zero (image backgrounds): skip what adds nothing.
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const b0 = c * l;
      const b1 = b0 + l;
      const b2 = b1 + l;
      const b3 = b2 + l;
      for (let t = 0; t < l; t++)
        out[o + t] += a0 * m[b0 + t] + a1 * m[b1 + t] + a2 * m[b2 + t] + a3 * m[b3 + t];
    }
    for (let c = whole; c < dim; c++) {
      const a = data[row + c];
      const base = c * l;
      for (let t = 0; t < l; t++) out[o + t] += a * m[base + t];
    }
  }
  return out;
}

/** Aᵀ Y for Y n × l, four rows of A at a time for the same reason. */
function multiplyTransposed(
  data: Float32Array,
  n: number,
  dim: number,
  y: Float64Array,
  l: number,
): Float64Array {
  const out = new Float64Array(dim * l);
  const whole = n - (n % 4);
  for (let i = 0; i < whole; i += 4) {
    const r0 = i * dim;
    const r1 = r0 + dim;
    const r2 = r1 + dim;
    const r3 = r2 + dim;
    const y0 = i * l;
    const y1 = y0 + l;
    const y2 = y1 + l;
    const y3 = y2 + l;
    for (let c = 0; c < dim; c++) {
      const a0 = data[r0 + c];
      const a1 = data[r1 + c];
      const a2 = data[r2 + c];
      const a3 = data[r3 + c];
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const base = c * l;
      for (let t = 0; t < l; t++)
        out[base + t] += a0 * y[y0 + t] + a1 * y[y1 + t] + a2 * y[y2 + t] + a3 * y[y3 + t];
    }
  }
  for (let i = whole; i < n; i++) {
    const row = i * dim;
    const yi = i * l;
    for (let c = 0; c < dim; c++) {
      const a = data[row + c];
      const base = c * l;
      for (let t = 0; t < l; t++) out[base + t] += a * y[yi + t];
    }
  }
  return out;
}

/**
 * Orthonormal columns spanning those of `y` (rows × l, row-major), in place: Cholesky QR run twice (CholeskyQR2,
 * row-major friendly, as orthogonal as Householder QR once the first pass has conditioned the columns). When the
 * columns are (numerically) dependent the Gram matrix is not positive definite and modified Gram–Schmidt, which
 * zeroes a vanishing column, takes over.
 */
function* orthonormalizeColumns(y: Float64Array, rows: number, l: number): Steps<Float64Array> {
  let q = y;
  for (let pass = 0; pass < 2; pass++) {
    const next = yield* choleskyQrPass(q, rows, l);
    if (!next) return gramSchmidt(q, rows, l);
    q = next;
  }
  return q;
}

/** Y R⁻¹ with Yᵀ Y = Rᵀ R (R = Lᵀ upper triangular), or undefined when the Gram matrix is not positive definite. */
function* choleskyQrPass(
  y: Float64Array,
  rows: number,
  l: number,
): Generator<ProductRequest, Float64Array | undefined, Float64Array> {
  const g = yield { kind: 'gram', y, rows, l };
  // Lower factor L with G = L Lᵀ (only the lower triangle of G is read).
  let largest = 0;
  for (let a = 0; a < l; a++) largest = Math.max(largest, g[a * l + a]);
  const lower = new Float64Array(l * l);
  for (let a = 0; a < l; a++) {
    for (let b = 0; b <= a; b++) {
      let sum = g[a * l + b];
      for (let c = 0; c < b; c++) sum -= lower[a * l + c] * lower[b * l + c];
      if (a === b) {
        if (!(sum > largest * 1e-10)) return undefined;
        lower[a * l + a] = Math.sqrt(sum);
      } else {
        lower[a * l + b] = sum / lower[b * l + b];
      }
    }
  }
  // L⁻ᵀ (upper triangular) by forward substitution on the columns of the identity, so that the n-row product
  // Y L⁻ᵀ is one matrix product.
  const inverseT = new Float64Array(l * l);
  for (let col = 0; col < l; col++) {
    // Column `col` of L⁻¹ is row `col` of L⁻ᵀ.
    for (let a = col; a < l; a++) {
      let sum = a === col ? 1 : 0;
      for (let c = col; c < a; c++) sum -= lower[a * l + c] * inverseT[col * l + c];
      inverseT[col * l + a] = sum / lower[a * l + a];
    }
  }
  // inverseT holds L⁻¹ transposed row-major: inverseT[col][a] = (L⁻¹)[a][col] = (L⁻ᵀ)[col][a].
  return yield { kind: 'times', y, rows, l, s: inverseT, c: l };
}

/** Yᵀ Y (l × l) of a row-major rows × l matrix; only the lower triangle is filled. */
function gram(y: Float64Array, rows: number, l: number): Float64Array {
  const g = new Float64Array(l * l);
  for (let i = 0; i < rows; i++) {
    const base = i * l;
    for (let a = 0; a < l; a++) {
      const v = y[base + a];
      for (let b = 0; b <= a; b++) g[a * l + b] += v * y[base + b];
    }
  }
  return g;
}

/** Y S for Y rows × l and S l × c, row-major. */
function multiplySmall(y: Float64Array, rows: number, l: number, s: Float64Array, c: number): Float64Array {
  const out = new Float64Array(rows * c);
  for (let i = 0; i < rows; i++) {
    const o = i * c;
    for (let a = 0; a < l; a++) {
      const v = y[i * l + a];
      if (v === 0) continue;
      const base = a * c;
      for (let t = 0; t < c; t++) out[o + t] += v * s[base + t];
    }
  }
  return out;
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
