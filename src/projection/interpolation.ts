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
 * attraction is exact over the sparse P (attraction.ts). Cost per iteration: O(n) plus an FFT over a grid that
 * grows with the embedding's extent, not with n.
 */
import type { SparseAffinities } from './affinities.js';
import { SparseAttraction } from './attraction.js';
import { GridConvolution } from './fft-convolution.js';

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
  private readonly attraction: SparseAttraction;
  private readonly p: number;
  private readonly maxBoxWidth: number;
  private readonly minFftSize: number;
  private readonly maxFftSize: number;
  private charges: Float64Array[] = [];
  /** Node spacing the convolution's kernel was last set for. */
  private kernelSpacing = NaN;
  /** Denominators of the Lagrange basis on the node positions (k + 0.5) / p of the unit box. */
  private readonly denominators: Float64Array;
  private convolution: GridConvolution | undefined;
  /** Per point: first node index along each axis, and the p interpolation weights along each axis. */
  private readonly nodeX: Int32Array;
  private readonly nodeY: Int32Array;
  private readonly weightX: Float64Array;
  private readonly weightY: Float64Array;
  private readonly potentials: Float64Array;
  /** Grid geometry of the last evaluation (for checks and the benchmark). */
  lastGrid = { fftSize: 0, boxes: 0, boxWidth: 0 };

  constructor(
    p: SparseAffinities,
    /** Σ p log p of `p`, precomputed once for the KL. */
    private readonly entropy: number,
    settings: InterpolationSettings = {},
  ) {
    this.attraction = new SparseAttraction(p, 2);
    this.p = settings.nodesPerBox ?? 3;
    this.maxBoxWidth = settings.maxBoxWidth ?? 1;
    this.minFftSize = settings.minFftSize ?? 256;
    this.maxFftSize = Math.max(settings.maxFftSize ?? 512, this.minFftSize);
    const nodes = this.p;
    if (!Number.isInteger(nodes) || nodes < 2) throw new RangeError(`nodesPerBox must be an integer >= 2`);
    this.denominators = new Float64Array(nodes);
    for (let k = 0; k < nodes; k++) {
      let product = 1;
      for (let m = 0; m < nodes; m++) if (m !== k) product *= (k - m) / nodes;
      this.denominators[k] = product;
    }
    const n = p.n;
    this.nodeX = new Int32Array(n);
    this.nodeY = new Int32Array(n);
    this.weightX = new Float64Array(n * nodes);
    this.weightY = new Float64Array(n * nodes);
    this.potentials = new Float64Array(n * 4);
  }

  /** Write the gradient at `y` into `grad`; returns the KL of `y` (unexaggerated P) when `withKl` is set. */
  evaluate(y: Float64Array, exaggeration: number, grad: Float64Array, withKl: boolean): number | undefined {
    const n = this.nodeX.length;
    const { centreX, centreY, z } = this.repulsion(y);
    const logTerm = this.attraction.compute(y, withKl);
    const att = this.attraction.forces;
    const phi = this.potentials;
    const a = 4 * exaggeration;
    const r = 4 / z;
    for (let i = 0; i < n; i++) {
      const x0 = y[2 * i] - centreX;
      const x1 = y[2 * i + 1] - centreY;
      const repX = x0 * phi[4 * i] - phi[4 * i + 1];
      const repY = x1 * phi[4 * i] - phi[4 * i + 2];
      grad[2 * i] = a * att[2 * i] - r * repX;
      grad[2 * i + 1] = a * att[2 * i + 1] - r * repY;
    }
    return withKl ? this.entropy + logTerm + Math.log(z) : undefined;
  }

  /** Fills `potentials` (n × 4: φ_0..φ_3, charges relative to the grid's centre) and returns Z. */
  private repulsion(y: Float64Array): { centreX: number; centreY: number; z: number } {
    const n = this.nodeX.length;
    const nodes = this.p;
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
    const centreX = minX + extent / 2;
    const centreY = minY + extent / 2;
    this.lastGrid = { fftSize, boxes, boxWidth: h };
    if (this.convolution?.size !== fftSize) {
      this.convolution = new GridConvolution(fftSize, m);
      this.charges = Array.from({ length: 4 }, () => new Float64Array(m * m));
      this.kernelSpacing = NaN;
    }
    const convolution = this.convolution;
    if (spacing !== this.kernelSpacing) {
      convolution.setKernel((da, db) => {
        const q = 1 + spacing * spacing * (da * da + db * db);
        return 1 / (q * q);
      });
      this.kernelSpacing = spacing;
    }

    this.interpolationWeights(y, minX, minY, h, boxes);
    const { nodeX, nodeY, weightX, weightY } = this;
    const [charge0, charge1, charge2, charge3] = this.charges;
    for (const charge of this.charges) charge.fill(0);
    for (let i = 0; i < n; i++) {
      const x0 = y[2 * i] - centreX;
      const x1 = y[2 * i + 1] - centreY;
      const norm2 = x0 * x0 + x1 * x1;
      for (let kx = 0; kx < nodes; kx++) {
        const row = (nodeX[i] + kx) * m + nodeY[i];
        const wx = weightX[i * nodes + kx];
        for (let ky = 0; ky < nodes; ky++) {
          const w = wx * weightY[i * nodes + ky];
          charge0[row + ky] += w;
          charge1[row + ky] += w * x0;
          charge2[row + ky] += w * x1;
          charge3[row + ky] += w * norm2;
        }
      }
    }
    convolution.convolvePair(charge0, charge1);
    convolution.convolvePair(charge2, charge3);

    const phi = this.potentials;
    let z = -n;
    for (let i = 0; i < n; i++) {
      let p0 = 0;
      let p1 = 0;
      let p2 = 0;
      let p3 = 0;
      for (let kx = 0; kx < nodes; kx++) {
        const row = (nodeX[i] + kx) * m + nodeY[i];
        const wx = weightX[i * nodes + kx];
        for (let ky = 0; ky < nodes; ky++) {
          const w = wx * weightY[i * nodes + ky];
          p0 += w * charge0[row + ky];
          p1 += w * charge1[row + ky];
          p2 += w * charge2[row + ky];
          p3 += w * charge3[row + ky];
        }
      }
      phi[4 * i] = p0;
      phi[4 * i + 1] = p1;
      phi[4 * i + 2] = p2;
      phi[4 * i + 3] = p3;
      const x0 = y[2 * i] - centreX;
      const x1 = y[2 * i + 1] - centreY;
      z += (1 + x0 * x0 + x1 * x1) * p0 - 2 * (x0 * p1 + x1 * p2) + p3;
    }
    return { centreX, centreY, z };
  }

  /** Box of every point and its Lagrange weights on that box's nodes, per axis. */
  private interpolationWeights(y: Float64Array, minX: number, minY: number, h: number, boxes: number): void {
    const n = this.nodeX.length;
    const nodes = this.p;
    const { nodeX, nodeY, weightX, weightY, denominators } = this;
    const axis = (value: number, out: Float64Array, offset: number): number => {
      const scaled = value / h;
      const box = Math.min(boxes - 1, Math.max(0, Math.floor(scaled)));
      const u = scaled - box;
      for (let k = 0; k < nodes; k++) {
        let product = 1;
        for (let j = 0; j < nodes; j++) if (j !== k) product *= u - (j + 0.5) / nodes;
        out[offset + k] = product / denominators[k];
      }
      return box * nodes;
    };
    for (let i = 0; i < n; i++) {
      nodeX[i] = axis(y[2 * i] - minX, weightX, i * nodes);
      nodeY[i] = axis(y[2 * i + 1] - minY, weightY, i * nodes);
    }
  }
}
