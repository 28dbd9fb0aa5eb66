/**
 * Exact t-SNE objective and gradient over all pairs, O(n²) per evaluation. With w_ij = 1 / (1 + |y_i - y_j|²),
 * Z = Σ_{k≠l} w_kl and q_ij = w_ij / Z:
 *   KL(P‖Q) = Σ p_ij log(p_ij / q_ij) = Σ p log p + Σ p_ij log(1 + |y_i - y_j|²) + log Z   (as Σ p = 1)
 *   ∂KL/∂y_i = 4 Σ_j (α p_ij - q_ij) w_ij (y_i - y_j)     (α = exaggeration; α = 1 is the true gradient)
 */
import { entropyTerm, type SparseAffinities } from './affinities.js';

export class ExactGradient {
  private readonly entropy: number;

  /** `p`: dense symmetric affinities (n × n, zero diagonal, summing to 1). */
  constructor(
    private readonly p: Float64Array,
    readonly n: number,
    readonly dims: number,
  ) {
    this.entropy = entropyTerm(p);
  }

  /** Write the gradient at `y` into `grad`; returns KL(P‖Q) of `y` (unexaggerated P) when `withKl` is set. */
  evaluate(y: Float64Array, exaggeration: number, grad: Float64Array, withKl: boolean): number | undefined {
    const { p, n, dims: d } = this;
    // First pass: the normaliser Z (and the p-weighted log term of the KL).
    let z = 0;
    let logTerm = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let dist2 = 0;
        for (let c = 0; c < d; c++) {
          const diff = y[i * d + c] - y[j * d + c];
          dist2 += diff * diff;
        }
        z += 2 / (1 + dist2);
        if (withKl) {
          const pij = p[i * n + j];
          if (pij > 0) logTerm += 2 * pij * Math.log(1 + dist2);
        }
      }
    }
    // Second pass: the gradient, each pair updating both of its points.
    grad.fill(0, 0, n * d);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let dist2 = 0;
        for (let c = 0; c < d; c++) {
          const diff = y[i * d + c] - y[j * d + c];
          dist2 += diff * diff;
        }
        const w = 1 / (1 + dist2);
        const factor = 4 * (exaggeration * p[i * n + j] - w / z) * w;
        for (let c = 0; c < d; c++) {
          const g = factor * (y[i * d + c] - y[j * d + c]);
          grad[i * d + c] += g;
          grad[j * d + c] -= g;
        }
      }
    }
    return withKl ? this.entropy + logTerm + Math.log(z) : undefined;
  }
}

/** KL(P‖Q) of embedding `y` for dense affinities `p`, straight from the definition (for checks). */
export function klDivergence(p: Float64Array, y: Float64Array, n: number, dims: number): number {
  let z = 0;
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      let dist2 = 0;
      for (let c = 0; c < dims; c++) {
        const diff = y[i * dims + c] - y[j * dims + c];
        dist2 += diff * diff;
      }
      w[i * n + j] = 1 / (1 + dist2);
      z += w[i * n + j];
    }
  }
  let kl = 0;
  for (let t = 0; t < n * n; t++) if (p[t] > 0) kl += p[t] * Math.log(p[t] / (w[t] / z));
  return kl;
}

/**
 * The normaliser Z = Σ_{i≠j} 1 / (1 + |y_i - y_j|²) over all n² pairs, in double (O(n²) time, O(n) memory). Each
 * row's sum is formed on its own before it joins the total, so 70 000 points lose nothing measurable to rounding.
 */
export function exactNormaliser(y: ArrayLike<number>, n: number, dims: number): number {
  const v = Float64Array.from({ length: n * dims }, (_, t) => y[t]);
  let z = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    if (dims === 2) {
      const x0 = v[2 * i];
      const x1 = v[2 * i + 1];
      for (let j = i + 1; j < n; j++) {
        const d0 = x0 - v[2 * j];
        const d1 = x1 - v[2 * j + 1];
        row += 1 / (1 + d0 * d0 + d1 * d1);
      }
    } else {
      for (let j = i + 1; j < n; j++) {
        let dist2 = 0;
        for (let c = 0; c < dims; c++) dist2 += (v[i * dims + c] - v[j * dims + c]) ** 2;
        row += 1 / (1 + dist2);
      }
    }
    z += 2 * row;
  }
  return z;
}

function squaredDistance(y: ArrayLike<number>, dims: number, i: number, j: number): number {
  let sum = 0;
  for (let c = 0; c < dims; c++) sum += (y[i * dims + c] - y[j * dims + c]) ** 2;
  return sum;
}

/**
 * KL(P‖Q) for sparse affinities with the exact normaliser Z over all n² pairs (O(n²) time, O(n) memory): the value
 * the Barnes–Hut and interpolation estimates approximate. `normaliser`: Z when already known.
 */
export function sparseKlDivergence(
  p: SparseAffinities,
  y: ArrayLike<number>,
  dims: number,
  normaliser = exactNormaliser(y, p.n, dims),
): number {
  const { n, indptr, indices, values } = p;
  let kl = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let e = indptr[i]; e < indptr[i + 1]; e++) {
      const pij = values[e];
      if (pij > 0) row += pij * Math.log(pij * normaliser * (1 + squaredDistance(y, dims, i, indices[e])));
    }
    kl += row;
  }
  return kl;
}

/**
 * The same KL summed the way scikit-learn 1.2's Barnes–Hut code sums it (compute_gradient_positive): P and the
 * embedding in float32, q_ij = w_ij / Z rounded to float32, and every term added to a float32 accumulator in row
 * order. With millions of terms of ~1e-6 against a total of a few units, each addition rounds to the
 * accumulator's spacing (~5e-7 near 4), so the sum drifts from the double-precision one. Given the exact Z, the
 * difference from `sparseKlDivergence` is the bias of the float32 sum alone.
 */
export function float32SparseKlDivergence(
  p: SparseAffinities,
  y: ArrayLike<number>,
  dims: number,
  normaliser: number,
): number {
  const f = Math.fround;
  const { n, indptr, indices, values } = p;
  const tiny = 2 ** -126; // float32's smallest normal number, scikit-learn's FLOAT32_TINY
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let e = indptr[i]; e < indptr[i + 1]; e++) {
      const j = indices[e];
      let dist2 = 0;
      for (let c = 0; c < dims; c++) {
        const diff = f(f(y[i * dims + c]) - f(y[j * dims + c]));
        dist2 = f(dist2 + f(diff * diff));
      }
      const w = f(1 / f(1 + dist2));
      const q = f(w / normaliser);
      const pij = f(values[e]);
      sum = f(sum + pij * Math.log(f(Math.max(pij, tiny) / Math.max(q, tiny))));
    }
  }
  return sum;
}
