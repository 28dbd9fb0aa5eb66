/**
 * FFT-accelerated interpolation gradient of 2-D t-SNE (FIt-SNE; Linderman, Rachh, Hoskins, Steinerberger & Kluger,
 * Nature Methods 2019). The repulsion needs, for every point i, sums over all points j of the squared Cauchy kernel
 * K_ij = 1 / (1 + |y_i - y_j|²)² times the charges 1, y_j and |y_j|²:
 *   φ_c(i) = Σ_j K_ij q_c(j),   q = (1, y_x, y_y, |y|²),
 * from which (self pairs included, K_ii = 1)
 *   Σ_j w_ij² (y_i - y_j) = y_i φ_0(i) - (φ_1(i), φ_2(i))        (the repulsive force before 1/Z)
 *   Z = Σ_{i≠j} w_ij = Σ_i [(1 + |y_i|²) φ_0(i) - 2 y_i·(φ_1, φ_2)(i) + φ_3(i)] - n,   as w = (1 + |y_i - y_j|²) w².
 * The sums are computed on a grid: the embedding's bounding square is cut into boxes no wider than `maxBoxWidth`
 * with `nodesPerBox` equispaced Lagrange nodes per box and dimension; each point spreads its charges onto the
 * p × p nodes of its box, the node potentials are a discrete convolution with K (one FFT pass,
 * fft-convolution.ts), and each point reads its potentials back with the same interpolation weights. The
 * attraction is exact over the sparse P. Cost per iteration: O(n) plus an FFT over a grid that grows with the
 * embedding's extent, not with n. The work runs as phases of independent tasks (interpolation-kernels.ts) on one
 * thread or, through a `PhaseExecutor`, on several; the gradient is the same to the last bit either way.
 */
import type { SparseAffinities } from './affinities.js';
import {
  allocateBuffers,
  CHUNKS,
  PARAM,
  PHASES,
  taskCount,
  type InterpolationBuffers,
} from './interpolation-kernels.js';
import { InlineExecutor, type PhaseExecutor } from './tasks.js';

export { InlineExecutor, type PhaseExecutor } from './tasks.js';

export interface InterpolationSettings {
  /** Lagrange nodes per box and dimension (default 3, as FIt-SNE). */
  nodesPerBox?: number;
  /** Widest box, in embedding units (default 1, as FIt-SNE's one interval per unit). */
  maxBoxWidth?: number;
  /**
   * Smallest FFT side (default 256, i.e. at least 42 boxes per dimension with 3 nodes): compact embeddings get
   * boxes well below `maxBoxWidth` at little cost.
   */
  minFftSize?: number;
  /**
   * Largest FFT side (default 512: 85 boxes per dimension with 3 nodes). Wider embeddings get wider boxes rather
   * than a 1024² grid, whose transforms cost about five times as much per iteration.
   */
  maxFftSize?: number;
}

export class InterpolationGradient {
  readonly dims = 2;
  private readonly nodes: number;
  private readonly maxBoxWidth: number;
  private readonly minFftSize: number;
  private readonly maxFftSize: number;
  private readonly buffers: InterpolationBuffers;
  private readonly executor: PhaseExecutor;
  /** Grid geometry of the last evaluation (for checks and the benchmark). */
  lastGrid = { fftSize: 0, boxes: 0, boxWidth: 0 };

  constructor(
    p: SparseAffinities,
    /** Σ p log p of `p`, precomputed once for the KL. */
    private readonly entropy: number,
    settings: InterpolationSettings = {},
    executor: PhaseExecutor = new InlineExecutor(),
  ) {
    this.nodes = settings.nodesPerBox ?? 3;
    this.maxBoxWidth = settings.maxBoxWidth ?? 1;
    this.minFftSize = settings.minFftSize ?? 256;
    this.maxFftSize = Math.max(settings.maxFftSize ?? 512, this.minFftSize);
    if (!Number.isInteger(this.nodes) || this.nodes < 2)
      throw new RangeError(`nodesPerBox must be an integer >= 2`);
    let largest = this.minFftSize;
    while (largest < this.maxFftSize) largest *= 2;
    const maxM = Math.floor(largest / (2 * this.nodes)) * this.nodes;
    this.executor = executor;
    this.buffers = allocateBuffers(p, this.nodes, maxM, executor.allocate);
    executor.start({ kind: 'interpolation', buffers: this.buffers });
  }

  get threads(): number {
    return this.executor.threads;
  }

  /** Releases the executor's threads. */
  close(): void {
    this.executor.close();
  }

  /** Write the gradient at `y` into `grad`; returns the KL of `y` (unexaggerated P) when `withKl` is set. */
  evaluate(y: Float64Array, exaggeration: number, grad: Float64Array, withKl: boolean): number | undefined {
    const b = this.buffers;
    const { n, order } = b;
    for (let r = 0; r < n; r++) {
      b.y[2 * r] = y[2 * order[r]];
      b.y[2 * r + 1] = y[2 * order[r] + 1];
    }
    this.setGrid(y, withKl);
    PHASES.forEach((phase, code) => this.executor.run(code, taskCount(phase)));
    let z = -n;
    let logTerm = 0;
    for (let c = 0; c < CHUNKS; c++) {
      z += b.zTerms[c];
      logTerm += b.logTerms[c];
    }
    const att = b.attraction;
    const rep = b.repulsion;
    const a = 4 * exaggeration;
    const r = 4 / z;
    for (let s = 0; s < n; s++) {
      const i = order[s];
      grad[2 * i] = a * att[2 * s] - r * rep[2 * s];
      grad[2 * i + 1] = a * att[2 * s + 1] - r * rep[2 * s + 1];
    }
    return withKl ? this.entropy + logTerm + Math.log(z) : undefined;
  }

  /** The grid over the embedding's bounding square, written to the shared parameters. */
  private setGrid(y: Float64Array, withKl: boolean): void {
    const n = this.buffers.n;
    const nodes = this.nodes;
    let minX = Infinity;
    let maxX = -Infinity;
    let minY = Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      const vx = y[2 * i];
      const vy = y[2 * i + 1];
      if (vx < minX) minX = vx;
      if (vx > maxX) maxX = vx;
      if (vy < minY) minY = vy;
      if (vy > maxY) maxY = vy;
    }
    // A square grid over the bounding box, widened a little so the largest coordinate falls inside the last box.
    const extent = Math.max(maxX - minX, maxY - minY, 1e-12) * (1 + 1e-9);
    const needed = Math.ceil(extent / this.maxBoxWidth);
    let fftSize = this.minFftSize;
    while (fftSize < 2 * needed * nodes && fftSize < this.maxFftSize) fftSize *= 2;
    // The FFT side fixes the cost; use every box it pays for.
    const boxes = Math.floor(fftSize / (2 * nodes));
    const m = boxes * nodes;
    // Node spacing rounded up to a power of 2^(1/8): the grid covers the extent with at most 9 % to spare, and the
    // kernel's transform is recomputed only when the spacing changes step, not at every iteration.
    const spacing = 2 ** (Math.ceil(8 * Math.log2(extent / m)) / 8);
    const h = spacing * nodes;
    this.lastGrid = { fftSize, boxes, boxWidth: h };
    const params = this.buffers.params;
    params[PARAM.minX] = minX;
    params[PARAM.minY] = minY;
    params[PARAM.h] = h;
    params[PARAM.boxes] = boxes;
    params[PARAM.m] = m;
    params[PARAM.centreX] = minX + extent / 2;
    params[PARAM.centreY] = minY + extent / 2;
    params[PARAM.spacing] = spacing;
    params[PARAM.fftSize] = fftSize;
    params[PARAM.withKl] = withKl ? 1 : 0;
  }
}
