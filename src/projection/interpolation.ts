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
 * attraction is exact over the sparse P. The kernel is sharp (width 1) where the grid may be coarse: with a near
 * field (`nearFieldRadius`), the FFT convolves a smooth stand-in for it inside a radius R of a few node spacings
 * and the pairs closer than R, found from cell lists, add the exact difference (as P³M splits a force). Cost per iteration: O(n) plus an FFT over a grid that grows with the
 * embedding's extent, not with n. The work runs as phases of independent tasks (interpolation-kernels.ts) on one
 * thread or, through a `PhaseExecutor`, on several; the gradient is the same to the last bit either way.
 */
import type { SparseAffinities } from './affinities.js';
import {
  allocateBuffers,
  CHUNKS,
  MAX_CELL_SIDE,
  NEAR_REACH,
  partnerRuns,
  PARAM,
  PHASES,
  smoothKernel,
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
   * than a 1024² grid, whose transforms cost about five times as much per iteration, and the exact near field
   * (or, where that is off, a finer grid: see `denseBoxWidth`).
   */
  maxFftSize?: number;
  /**
   * Radius of the exact near field in node spacings (default 5; 0 turns it off): pairs closer than that get the
   * exact kernel, the FFT a smooth stand-in inside it (interpolation-kernels.ts, smoothKernel). The grid's error
   * sits where the kernel is sharp against the node spacing; on the final 70 000-point Fashion-MNIST embedding
   * (spacing 0.59) the repulsion is off by 14.8 % without it, 4.4 % with 3 spacings, 1.8 % with 4, 0.8 % with 5.
   */
  nearFieldRadius?: number;
  /**
   * Node spacing (embedding units) above which the near field is on (default 0.34, just above FIt-SNE's 1 / 3),
   * once early exaggeration is over (exaggeration 1). Its pairs cost about the same at any extent (the radius
   * grows with the spacing) but more while the embedding is dense and its grid small, so tight embeddings, whose
   * grid is fine anyway, go without (on Fashion-MNIST 0.25 gives the same KL; one-thread runs took 8 s more CPU).
   */
  nearFieldFrom?: number;
  /**
   * Most candidate pairs of the near field per point, each pair counted once (default 200: about what the
   * 70 000-point Fashion-MNIST embedding needs at 5 node spacings, 145 at the end; the denser 10-cluster mixture
   * would need 670). Denser embeddings go without the near field, on a finer grid (`denseBoxWidth`).
   */
  nearFieldCandidates?: number;
  /**
   * Scan the cells for the near field's pairs at every this many evaluations (default 4); in between, the pairs
   * found by the last scan are measured again at the current positions (pairs that came within R since are left
   * to the grid's stand-in), and a scan that found the points too dense for `nearFieldCandidates` stands too (the
   * near field off). A changed radius, or a KL to report with the near field on, brings the scan forward. Half of
   * the scanned candidates lie beyond R, and the pairs change little per step: on the 70 000-point Fashion-MNIST
   * benchmark the final exact KL is the same to 1e-4 with 1, 2 or 4, the near field's CPU per evaluation about
   * two thirds with 4.
   */
  nearFieldEvery?: number;
  /**
   * Spread the charges and convolve them at every this many evaluations once early exaggeration is over (default
   * 2); in between, each point reads the last potentials at its current position on that evaluation's grid (the
   * attraction and the near field are exact at every evaluation). A KL to report, a point off that grid or a
   * changed near-field radius bring the convolution forward.
   */
  gridEvery?: number;
  /**
   * Widest box of the fine grid (default 0.7) that takes the near field's place once early exaggeration is over
   * wherever the near field is off — below `nearFieldFrom`, or too dense for its budget — so that the grid alone
   * carries the sharp kernel; its FFT side is at most `denseFftSize`. Not used with `nearFieldRadius` 0. On the
   * 70 000-point 10-cluster mixture (never sparse enough for the near field's budget) it brought the final exact KL
   * from 4.609 to 4.595 (0.5: 4.594 at 9 % more CPU), below scikit-learn's 4.597.
   */
  denseBoxWidth?: number;
  /**
   * Largest FFT side of that fine grid (default 1024; at least `maxFftSize`). On the mixture the node spacing is
   * then at most 0.23 after early exaggeration (0.19 at the end) instead of up to 0.39 on 512² FFTs.
   */
  denseFftSize?: number;
}

/** Geometry of a grid and what its potentials were made with. */
interface HeldGrid {
  fftSize: number;
  boxes: number;
  /** Nodes per side. */
  m: number;
  spacing: number;
  minX: number;
  minY: number;
  centreX: number;
  centreY: number;
  exaggeration: number;
  /** Radius of the near field whose stand-in the potentials convolved. */
  nearRadius: number;
  /** The fine grid (denseBoxWidth, denseFftSize) in place of the near field. */
  dense: boolean;
}

/** Most entries of the near field's pair list (256 MiB). */
const MAX_LISTED = 2 ** 26;

export class InterpolationGradient {
  readonly dims = 2;
  private readonly nodes: number;
  private readonly maxBoxWidth: number;
  private readonly minFftSize: number;
  private readonly maxFftSize: number;
  private readonly denseFftSize: number;
  private readonly denseBoxWidth: number;
  private readonly nearFieldRadius: number;
  private readonly nearFieldFrom: number;
  private readonly nearFieldCandidates: number;
  private readonly nearFieldEvery: number;
  /**
   * Radius asked for at the last scan of the cells (0: none), evaluations since, and whether its pairs were within
   * the budget.
   */
  private scannedRadius = 0;
  private scanAge = 0;
  private scanAccepted = false;
  private readonly buffers: InterpolationBuffers;
  private readonly executor: PhaseExecutor;
  private cellOf = new Int32Array(0);
  private cellNext = new Int32Array(0);
  private rowCost = new Float64Array(0);
  private rowSlots = new Float64Array(0);
  /** Grid geometry of the last evaluation (for checks and the benchmark). */
  lastGrid = { fftSize: 0, boxes: 0, boxWidth: 0, nearRadius: 0, reused: false };
  private readonly gridEvery: number;
  /** The grid of the last evaluation that convolved, and evaluations since that reused its potentials. */
  private heldGrid: HeldGrid | undefined;
  private gridAge = 0;

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
    this.denseFftSize = Math.max(settings.denseFftSize ?? 1024, this.maxFftSize);
    this.denseBoxWidth = settings.denseBoxWidth ?? 0.7;
    this.nearFieldRadius = settings.nearFieldRadius ?? 5;
    this.nearFieldFrom = settings.nearFieldFrom ?? 0.34;
    this.nearFieldCandidates = settings.nearFieldCandidates ?? 200;
    this.nearFieldEvery = settings.nearFieldEvery ?? 4;
    this.gridEvery = settings.gridEvery ?? 2;
    if (!Number.isInteger(this.gridEvery) || this.gridEvery < 1)
      throw new RangeError(`gridEvery must be a positive integer`);
    if (!Number.isInteger(this.nearFieldEvery) || this.nearFieldEvery < 1)
      throw new RangeError(`nearFieldEvery must be a positive integer`);
    if (!Number.isInteger(this.nodes) || this.nodes < 2)
      throw new RangeError(`nodesPerBox must be an integer >= 2`);
    let largest = this.minFftSize;
    while (largest < this.denseFftSize) largest *= 2;
    const maxM = Math.floor(largest / (2 * this.nodes)) * this.nodes;
    this.executor = executor;
    // The pair list holds a count per point and at most every candidate, within MAX_LISTED entries.
    const listed =
      this.nearFieldRadius > 0
        ? Math.min(MAX_LISTED, (Math.min(this.nearFieldCandidates, p.n) + 1) * p.n)
        : 0;
    this.buffers = allocateBuffers(p, this.nodes, maxM, executor.allocate, listed);
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
    this.setGrid(y, withKl, exaggeration);
    const radius2 = b.params[PARAM.nearRadius2];
    const reuseGrid = b.params[PARAM.gridReuse] !== 0;
    PHASES.forEach((phase, code) => {
      if (phase === 'near' && radius2 === 0) return;
      if (phase === 'convolve' && reuseGrid) return;
      this.executor.run(code, taskCount(phase));
    });
    let z = -n;
    let logTerm = 0;
    for (let c = 0; c < CHUNKS; c++) {
      z += b.zTerms[c];
      logTerm += b.logTerms[c];
    }
    if (radius2 > 0) {
      // The near field's pairs, and each point's self term k(0) - stand-in(0) (the grid's self terms use the
      // stand-in; -n above assumes k(0) = 1).
      for (let c = 0; c < CHUNKS; c++) z += b.nearZ[c];
      z += n * (1 - smoothKernel(0, radius2));
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
  private setGrid(y: Float64Array, withKl: boolean, exaggeration: number): void {
    const n = this.buffers.n;
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
    const held = this.heldGrid;
    // The last potentials serve again while they are recent, were made without exaggeration and every point still
    // lies on their grid; a KL to report gets fresh ones.
    const reusable =
      held !== undefined &&
      exaggeration === 1 &&
      held.exaggeration === 1 &&
      !withKl &&
      this.gridAge + 1 < this.gridEvery &&
      minX >= held.minX &&
      minY >= held.minY &&
      maxX < held.minX + held.m * held.spacing &&
      maxY < held.minY + held.m * held.spacing;
    let grid: HeldGrid;
    let nearRadius = 0;
    if (reusable && held.dense) grid = held;
    else {
      grid = reusable ? held : this.freshGrid(minX, minY, maxX, maxY, exaggeration, this.maxFftSize);
      nearRadius = this.nearField(grid.spacing, withKl, exaggeration, minX, minY, maxX, maxY);
      // The convolved stand-in must be the one of the near field's radius.
      if (reusable && nearRadius !== held.nearRadius) {
        grid = this.freshGrid(minX, minY, maxX, maxY, exaggeration, this.maxFftSize);
        nearRadius = this.nearField(grid.spacing, withKl, exaggeration, minX, minY, maxX, maxY);
      }
      // No near field after early exaggeration (too dense, or a spacing below nearFieldFrom): a finer grid instead.
      if (grid !== held && nearRadius === 0 && exaggeration === 1 && this.nearFieldRadius > 0) {
        grid = this.freshGrid(minX, minY, maxX, maxY, exaggeration, this.denseFftSize, this.denseBoxWidth);
        grid.dense = true;
        nearRadius = 0;
        this.buffers.params[PARAM.nearReuse] = 0;
      }
    }
    const reuseGrid = grid === held;
    if (reuseGrid) this.gridAge++;
    else {
      this.gridAge = 0;
      grid.nearRadius = nearRadius;
      this.heldGrid = grid;
    }
    const { fftSize, boxes, m, spacing } = grid;
    const h = spacing * this.nodes;
    this.lastGrid = { fftSize, boxes, boxWidth: h, nearRadius, reused: reuseGrid };
    const params = this.buffers.params;
    params[PARAM.nearRadius2] = nearRadius * nearRadius;
    params[PARAM.minX] = grid.minX;
    params[PARAM.minY] = grid.minY;
    params[PARAM.h] = h;
    params[PARAM.boxes] = boxes;
    params[PARAM.m] = m;
    params[PARAM.centreX] = grid.centreX;
    params[PARAM.centreY] = grid.centreY;
    params[PARAM.spacing] = spacing;
    params[PARAM.fftSize] = fftSize;
    params[PARAM.withKl] = withKl ? 1 : 0;
    params[PARAM.gridReuse] = reuseGrid ? 1 : 0;
  }

  /** A grid fitted to the bounding box. */
  private freshGrid(
    minX: number,
    minY: number,
    maxX: number,
    maxY: number,
    exaggeration: number,
    maxFftSize: number,
    maxBoxWidth = this.maxBoxWidth,
  ): HeldGrid {
    const nodes = this.nodes;
    // A square grid over the bounding box, widened a little so the largest coordinate falls inside the last box;
    // by 2 % more where its potentials may serve again, so that points moving outwards stay on it.
    const margin = this.gridEvery > 1 && exaggeration === 1 ? 1.02 : 1 + 1e-9;
    const extent = Math.max(maxX - minX, maxY - minY, 1e-12) * margin;
    const needed = Math.ceil(extent / maxBoxWidth);
    let fftSize = this.minFftSize;
    while (fftSize < 2 * needed * nodes && fftSize < maxFftSize) fftSize *= 2;
    // The FFT side fixes the cost; use every box it pays for.
    const boxes = Math.floor(fftSize / (2 * nodes));
    const m = boxes * nodes;
    // Node spacing rounded up to a power of 2^(1/8): the grid covers the extent with at most 9 % to spare, and the
    // kernel's transform is recomputed only when the spacing changes step, not at every iteration.
    const spacing = 2 ** (Math.ceil(8 * Math.log2(extent / m)) / 8);
    // Centred on the bounding box, the spare split between both sides.
    const centreX = (minX + maxX) / 2;
    const centreY = (minY + maxY) / 2;
    const span = m * spacing;
    return {
      fftSize,
      boxes,
      m,
      spacing,
      minX: centreX - span / 2,
      minY: centreY - span / 2,
      centreX,
      centreY,
      exaggeration,
      nearRadius: 0,
      dense: false,
    };
  }

  /** The near field's radius at this node spacing (0: off), its cells scanned or its listed pairs brought up to date. */
  private nearField(
    spacing: number,
    withKl: boolean,
    exaggeration: number,
    minX: number,
    minY: number,
    maxX: number,
    maxY: number,
  ): number {
    const n = this.buffers.n;
    // Not during early exaggeration: the embedding is then at its densest (the most pairs within the radius) and
    // only roughly laid out; the final KL is decided after.
    const near = this.nearFieldRadius > 0 && spacing > this.nearFieldFrom && exaggeration === 1;
    let nearRadius = near ? this.nearFieldRadius * spacing : 0;
    // The last scan (or the last refusal, too dense) at this radius stands while it is recent: its cell lists and
    // pairs serve with only the positions brought up to date.
    const recent =
      nearRadius > 0 &&
      nearRadius === this.scannedRadius &&
      this.scanAge + 1 < this.nearFieldEvery &&
      !(withKl && this.scanAccepted);
    if (recent) {
      this.scanAge++;
      if (this.scanAccepted) {
        const { y: held, cellIndex, cellPoints } = this.buffers;
        for (let i = 0; i < n; i++) {
          const at = 2 * cellIndex[i];
          cellPoints[at] = held[2 * i];
          cellPoints[at + 1] = held[2 * i + 1];
        }
      } else nearRadius = 0;
    } else {
      this.scannedRadius = nearRadius;
      this.scanAge = 0;
      if (nearRadius > 0) {
        // Too dense: the pairs would cost more than the grid, and a radius shrunk to fit buys no KL (measured on
        // the 70 000-point mixture: 4.620 either way, 55 s more CPU).
        const candidates = this.fillCells(nearRadius, minX, minY, maxX - minX, maxY - minY);
        const slots = this.buffers.nearPairStarts[CHUNKS];
        this.scanAccepted =
          candidates <= this.nearFieldCandidates * n && slots <= this.buffers.nearPairs.length;
        if (!this.scanAccepted) nearRadius = 0;
      }
    }
    this.buffers.params[PARAM.nearReuse] = recent && nearRadius > 0 ? 1 : 0;
    return nearRadius;
  }

  /**
   * Cell lists of the near field: cells at least `radius` / NEAR_REACH wide, the points' coordinates grouped by
   * cell; returns the number of candidate pairs the near field will measure.
   */
  private fillCells(radius: number, minX: number, minY: number, width: number, height: number): number {
    const { n, y, params, cellStart, cellPoints, cellIndex, nearRows, nearPairStarts } = this.buffers;
    // At most MAX_CELL_SIDE + 1 cells per side.
    const cellSize = Math.max(radius / NEAR_REACH, width / MAX_CELL_SIDE, height / MAX_CELL_SIDE, 1e-12);
    const cellsX = Math.floor(width / cellSize) + 1;
    const cellsY = Math.floor(height / cellSize) + 1;
    const cells = cellsX * cellsY;
    const cellOf = this.cellOf.length >= n ? this.cellOf : (this.cellOf = new Int32Array(n));
    cellStart.fill(0, 0, cells + 1);
    for (let i = 0; i < n; i++) {
      const cx = Math.min(cellsX - 1, Math.floor((y[2 * i] - minX) / cellSize));
      const cy = Math.min(cellsY - 1, Math.floor((y[2 * i + 1] - minY) / cellSize));
      const cell = cy * cellsX + cx;
      cellOf[i] = cell;
      cellStart[cell + 1]++;
    }
    for (let c = 0; c < cells; c++) cellStart[c + 1] += cellStart[c];
    const next = this.cellNext.length >= cells ? this.cellNext : (this.cellNext = new Int32Array(cells));
    next.set(cellStart.subarray(0, cells));
    for (let i = 0; i < n; i++) {
      const at = next[cellOf[i]]++;
      cellIndex[i] = at;
      cellPoints[2 * at] = y[2 * i];
      cellPoints[2 * at + 1] = y[2 * i + 1];
    }
    // Rows to tasks by cost: each cell's points times the points of its partner runs.
    const rowCost = this.rowCost.length >= cellsY ? this.rowCost : (this.rowCost = new Float64Array(cellsY));
    const rowSlots =
      this.rowSlots.length >= cellsY ? this.rowSlots : (this.rowSlots = new Float64Array(cellsY));
    const runs = new Int32Array(2 * (NEAR_REACH + 1));
    let total = 0;
    for (let r = 0; r < cellsY; r++) {
      let cost = 0;
      for (let cx = 0; cx < cellsX; cx++) {
        const cell = r * cellsX + cx;
        const points = cellStart[cell + 1] - cellStart[cell];
        if (points === 0) continue;
        const count = partnerRuns(cellStart, cellsX, cellsY, r, cx, runs);
        let partners = 0;
        for (let run = 0; run < count; run++) partners += runs[2 * run + 1] - runs[2 * run];
        cost += points * partners;
      }
      rowCost[r] = cost;
      // The row's slots in the pair list: a count per point and at most every candidate.
      rowSlots[r] = cost + cellStart[(r + 1) * cellsX] - cellStart[r * cellsX];
      total += cost;
    }
    let row = 0;
    let sum = 0;
    nearRows[0] = 0;
    for (let c = 1; c < CHUNKS; c++) {
      while (row < cellsY && sum + rowCost[row] / 2 < (total * c) / CHUNKS) sum += rowCost[row++];
      nearRows[c] = row;
    }
    nearRows[CHUNKS] = cellsY;
    let slots = 0;
    for (let c = 0; c < CHUNKS; c++) {
      nearPairStarts[c] = slots;
      for (let r = nearRows[c]; r < nearRows[c + 1]; r++) slots += rowSlots[r];
    }
    nearPairStarts[CHUNKS] = slots;
    params[PARAM.cellSize] = cellSize;
    params[PARAM.cellsX] = cellsX;
    params[PARAM.cellsY] = cellsY;
    return total;
  }
}
