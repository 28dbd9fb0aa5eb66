/**
 * Barnes–Hut t-SNE gradient (van der Maaten 2014): exact attractive forces over the sparse affinities and
 * tree-approximated repulsive forces. With w_ij = 1 / (1 + |y_i - y_j|²) and Z = Σ_{k≠l} w_kl,
 *   ∂KL/∂y_i = 4 (α Σ_j p_ij w_ij (y_i - y_j) - Σ_j w_ij² (y_i - y_j) / Z),
 * where α is the exaggeration.
 *
 * The KL divergence is reported the way scikit-learn's Barnes–Hut implementation reports it: the sum runs over
 * the nonzero p_ij only (the other terms are 0) and the normaliser Z is the tree's approximation:
 *   KL = Σ p log p + Σ p_ij log(1 + |y_i - y_j|²) + log Z.
 */
import type { SparseAffinities } from './affinities.js';
import { SpaceTree } from './sptree.js';

/** Points per leaf of the space tree; groups of up to 4 leaves share one tree walk (measured fastest near 8). */
export const LEAF_SIZE = 8;

export class BarnesHutGradient {
  private readonly tree: SpaceTree;
  private readonly repulsive: Float64Array;
  private readonly attraction: Float64Array;
  /** Upper triangle (j > i) of the symmetric P: each pair is visited once and pushes both of its points. */
  private readonly upperPtr: Int32Array;
  private readonly upperCols: Int32Array;
  private readonly upperVals: Float64Array;

  constructor(
    p: SparseAffinities,
    readonly dims: number,
    private readonly theta: number,
    /** Σ p log p of `p`, precomputed once for the KL. */
    private readonly entropy: number,
    leafSize = LEAF_SIZE,
  ) {
    const n = p.n;
    this.tree = new SpaceTree(n, dims, leafSize);
    this.repulsive = new Float64Array(n * dims);
    this.attraction = new Float64Array(n * dims);
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

  /** Write the gradient at `y` into `grad`; returns the KL of `y` (unexaggerated P) when `withKl` is set. */
  evaluate(y: Float64Array, exaggeration: number, grad: Float64Array, withKl: boolean): number | undefined {
    const d = this.dims;
    const n = this.tree.n;
    this.tree.build(y);
    const z = this.tree.repulsion(this.theta, this.repulsive);
    const logTerm = d === 2 ? this.attract2(y, withKl) : this.attract(y, withKl);
    const rep = this.repulsive;
    const att = this.attraction;
    const a = 4 * exaggeration;
    const r = 4 / z;
    for (let t = 0; t < n * d; t++) grad[t] = a * att[t] - r * rep[t];
    return withKl ? this.entropy + logTerm + Math.log(z) : undefined;
  }

  /** Σ_j p_ij w_ij (y_i - y_j) into `attraction`; returns Σ_{i≠j} p_ij log(1 + |y_i - y_j|²) when asked. */
  private attract2(y: Float64Array, withKl: boolean): number {
    const { upperPtr, upperCols, upperVals, attraction } = this;
    const n = this.tree.n;
    attraction.fill(0);
    let logTerm = 0;
    for (let i = 0; i < n; i++) {
      const x0 = y[2 * i];
      const x1 = y[2 * i + 1];
      let a0 = 0;
      let a1 = 0;
      for (let e = upperPtr[i]; e < upperPtr[i + 1]; e++) {
        const j = upperCols[e];
        const d0 = x0 - y[2 * j];
        const d1 = x1 - y[2 * j + 1];
        const q = 1 + d0 * d0 + d1 * d1;
        const pw = upperVals[e] / q;
        a0 += pw * d0;
        a1 += pw * d1;
        attraction[2 * j] -= pw * d0;
        attraction[2 * j + 1] -= pw * d1;
        if (withKl) logTerm += upperVals[e] * Math.log(q);
      }
      attraction[2 * i] += a0;
      attraction[2 * i + 1] += a1;
    }
    return 2 * logTerm;
  }

  private attract(y: Float64Array, withKl: boolean): number {
    const { upperPtr, upperCols, upperVals, attraction } = this;
    const d = this.dims;
    const n = this.tree.n;
    attraction.fill(0);
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
          attraction[i * d + c] += f;
          attraction[j * d + c] -= f;
        }
        if (withKl) logTerm += upperVals[e] * Math.log(q);
      }
    }
    return 2 * logTerm;
  }
}
