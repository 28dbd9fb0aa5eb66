/**
 * The attractive half of t-SNE's gradient over sparse affinities, shared by the Barnes–Hut and the interpolation
 * gradients: with w_ij = 1 / (1 + |y_i - y_j|²),
 *   forces_i = Σ_j p_ij w_ij (y_i - y_j),
 * and the p-weighted log term of the KL, Σ_{i≠j} p_ij log(1 + |y_i - y_j|²), when asked.
 */
import type { SparseAffinities } from './affinities.js';

/**
 * 2-D attraction of points [from, to) over the upper triangle of P (CSR): each pair pushes both of its points,
 * added into `forces`. Returns Σ p_ij log(1 + |y_i - y_j|²) over those pairs when `withKl` (else 0).
 */
export function attract2(
  y: Float64Array,
  upperPtr: Int32Array,
  upperCols: Int32Array,
  upperVals: Float64Array,
  forces: Float64Array,
  from: number,
  to: number,
  withKl: boolean,
): number {
  let logTerm = 0;
  for (let i = from; i < to; i++) {
    const x0 = y[2 * i];
    const x1 = y[2 * i + 1];
    let a0 = 0;
    let a1 = 0;
    const last = upperPtr[i + 1];
    for (let e = upperPtr[i]; e < last; e++) {
      const j = upperCols[e];
      const d0 = x0 - y[2 * j];
      const d1 = x1 - y[2 * j + 1];
      const q = 1 + d0 * d0 + d1 * d1;
      const pw = upperVals[e] / q;
      a0 += pw * d0;
      a1 += pw * d1;
      forces[2 * j] -= pw * d0;
      forces[2 * j + 1] -= pw * d1;
      if (withKl) logTerm += upperVals[e] * Math.log(q);
    }
    forces[2 * i] += a0;
    forces[2 * i + 1] += a1;
  }
  return logTerm;
}

export class SparseAttraction {
  /** n × dims, written by `compute`. */
  readonly forces: Float64Array;
  /** Upper triangle (j > i) of the symmetric P: each pair is visited once and pushes both of its points. */
  private readonly upperPtr: Int32Array;
  private readonly upperCols: Int32Array;
  private readonly upperVals: Float64Array;

  constructor(
    p: SparseAffinities,
    readonly dims: number,
  ) {
    const n = p.n;
    this.forces = new Float64Array(n * dims);
    this.upperPtr = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      let count = 0;
      for (let e = p.indptr[i]; e < p.indptr[i + 1]; e++) if (p.indices[e] > i) count++;
      this.upperPtr[i + 1] = this.upperPtr[i] + count;
    }
    this.upperCols = new Int32Array(this.upperPtr[n]);
    this.upperVals = new Float64Array(this.upperPtr[n]);
    let out = 0;
    for (let i = 0; i < n; i++) {
      for (let e = p.indptr[i]; e < p.indptr[i + 1]; e++) {
        if (p.indices[e] <= i) continue;
        this.upperCols[out] = p.indices[e];
        this.upperVals[out++] = p.values[e];
      }
    }
  }

  get n(): number {
    return this.upperPtr.length - 1;
  }

  /** Fills `forces` at `y`; returns Σ_{i≠j} p_ij log(1 + |y_i - y_j|²) when `withKl` is set, else 0. */
  compute(y: Float64Array, withKl: boolean): number {
    return this.dims === 2 ? this.compute2(y, withKl) : this.computeAny(y, withKl);
  }

  private compute2(y: Float64Array, withKl: boolean): number {
    const { upperPtr, upperCols, upperVals, forces } = this;
    const n = this.n;
    forces.fill(0);
    return 2 * attract2(y, upperPtr, upperCols, upperVals, forces, 0, n, withKl);
  }

  private computeAny(y: Float64Array, withKl: boolean): number {
    const { upperPtr, upperCols, upperVals, forces } = this;
    const d = this.dims;
    const n = this.n;
    forces.fill(0);
    let logTerm = 0;
    for (let i = 0; i < n; i++) {
      for (let e = upperPtr[i]; e < upperPtr[i + 1]; e++) {
        const j = upperCols[e];
        let dist2 = 0;
        for (let c = 0; c < d; c++) {
          const diff = y[i * d + c] - y[j * d + c];
          dist2 += diff * diff;
        }
        const q = 1 + dist2;
        const pw = upperVals[e] / q;
        for (let c = 0; c < d; c++) {
          const f = pw * (y[i * d + c] - y[j * d + c]);
          forces[i * d + c] += f;
          forces[j * d + c] -= f;
        }
        if (withKl) logTerm += upperVals[e] * Math.log(q);
      }
    }
    return 2 * logTerm;
  }
}
