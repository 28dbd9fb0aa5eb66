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
import { SparseAttraction } from './attraction.js';
import { SpaceTree } from './sptree.js';

/** Points per leaf of the space tree; groups of up to 4 leaves share one tree walk (measured fastest near 8). */
export const LEAF_SIZE = 8;

export class BarnesHutGradient {
  private readonly tree: SpaceTree;
  private readonly repulsive: Float64Array;
  private readonly attraction: SparseAttraction;

  constructor(
    p: SparseAffinities,
    readonly dims: number,
    private readonly theta: number,
    /** Σ p log p of `p`, precomputed once for the KL. */
    private readonly entropy: number,
    leafSize = LEAF_SIZE,
  ) {
    this.tree = new SpaceTree(p.n, dims, leafSize);
    this.repulsive = new Float64Array(p.n * dims);
    this.attraction = new SparseAttraction(p, dims);
  }

  /** Write the gradient at `y` into `grad`; returns the KL of `y` (unexaggerated P) when `withKl` is set. */
  evaluate(y: Float64Array, exaggeration: number, grad: Float64Array, withKl: boolean): number | undefined {
    const d = this.dims;
    const n = this.tree.n;
    this.tree.build(y);
    const z = this.tree.repulsion(this.theta, this.repulsive);
    const logTerm = this.attraction.compute(y, withKl);
    const rep = this.repulsive;
    const att = this.attraction.forces;
    const a = 4 * exaggeration;
    const r = 4 / z;
    for (let t = 0; t < n * d; t++) grad[t] = a * att[t] - r * rep[t];
    return withKl ? this.entropy + logTerm + Math.log(z) : undefined;
  }
}
