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
 * KL(P‖Q) for sparse affinities with the exact normaliser Z over all n² pairs (O(n²) time, O(1) memory): the value
 * the Barnes–Hut estimate approximates, for checks.
 */
export function sparseKlDivergence(p: SparseAffinities, y: ArrayLike<number>, dims: number): number {
  const { n, indptr, indices, values } = p;
  const squaredDistance = (i: number, j: number) => {
    let sum = 0;
    for (let c = 0; c < dims; c++) sum += (y[i * dims + c] - y[j * dims + c]) ** 2;
    return sum;
  };
  let z = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) z += 2 / (1 + squaredDistance(i, j));
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let e = indptr[i]; e < indptr[i + 1]; e++) {
      const pij = values[e];
      if (pij > 0) kl += pij * Math.log(pij * z * (1 + squaredDistance(i, indices[e])));
    }
  }
  return kl;
}
