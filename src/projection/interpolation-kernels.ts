/**
 * The work of one evaluation of the interpolation gradient (interpolation.ts), cut into three phases of
 * independent tasks over typed arrays, so that the same code runs on one thread or on several that share the
 * arrays (SharedArrayBuffer):
 *
 * - 'spread' (one task per chunk of points): each point's box and Lagrange weights, its charges spread onto the
 *   chunk's own copy of the grid, and the exact attraction over the chunk's share of P's upper triangle (each pair
 *   once, pushing both points, into the chunk's own force array; shares balanced by pair count).
 * - 'convolve' (one task per pair of charges): the chunks' grids summed in chunk order, then convolved with the
 *   kernel by FFT.
 * - 'gather' (one task per chunk): each point's potentials read back from the grid, its repulsive force and its
 *   share of the normaliser Z, and its attractive force summed over the chunks' force arrays.
 *
 * The points are cut into CHUNKS fixed ranges whatever the number of threads, and every sum runs in a fixed order
 * (within a chunk, then over chunks in order), so the gradient is the same to the last bit on any number of
 * threads.
 */
import type { SparseAffinities } from './affinities.js';
import { attract2 } from './attraction.js';
import { GridConvolution } from './fft-convolution.js';
import type { Allocate } from './tasks.js';

/** Point ranges of the spread and gather phases (fixed, so results do not depend on the thread count). */
export const CHUNKS = 4;
/** Pairs of charges (1, y_x) and (y_y, |y|²), each convolved in one complex FFT pass. */
export const PAIRS = 2;
export const CHARGES = 4;

export type Phase = 'spread' | 'convolve' | 'near' | 'gather';
export const PHASES: readonly Phase[] = ['spread', 'convolve', 'near', 'gather'];

export function taskCount(phase: Phase): number {
  return phase === 'convolve' ? PAIRS : CHUNKS;
}

/** Slots of `params`, written by the coordinating thread before each evaluation. */
export const PARAM = {
  minX: 0,
  minY: 1,
  /** Box width. */
  h: 2,
  boxes: 3,
  /** Grid nodes per side (boxes × nodes per box). */
  m: 4,
  centreX: 5,
  centreY: 6,
  /** Node spacing (h / nodes per box). */
  spacing: 7,
  fftSize: 8,
  withKl: 9,
  /**
   * Squared radius R² of the exact near field (0: none). Within R the FFT convolves a smooth stand-in for the
   * kernel (nearFieldKernel) and the pairs closer than R add the difference exactly, from cell lists.
   */
  nearRadius2: 10,
  /** Cell side (>= R) and cells per row / column of the cell lists. */
  cellSize: 11,
  cellsX: 12,
  cellsY: 13,
  /** 1: measure again the pairs listed at the last scan (`nearPairs`) instead of scanning the cells. */
  nearReuse: 14,
  /**
   * 1: the grid's potentials of the last evaluation serve again (no spreading, no convolution); the points' weights
   * are taken on that evaluation's grid, whose geometry the other slots still hold.
   */
  gridReuse: 15,
  length: 16,
} as const;

/** The near field's cells are at least R / NEAR_REACH wide: partners lie up to NEAR_REACH cells away. */
export const NEAR_REACH = 2;

/**
 * Runs of `cellPoints` (start, end pairs into `runs`; returns how many) holding the partners of the points of
 * cell (r, cx) that come after them: the cell itself with the NEAR_REACH cells to its right, then per row below
 * the 2 NEAR_REACH + 1 cells around column cx.
 */
export function partnerRuns(
  cellStart: Int32Array,
  cellsX: number,
  cellsY: number,
  r: number,
  cx: number,
  runs: Int32Array,
): number {
  const rowStart = r * cellsX;
  runs[0] = cellStart[rowStart + cx];
  runs[1] = cellStart[rowStart + Math.min(cellsX, cx + NEAR_REACH + 1)];
  let count = 1;
  const from = Math.max(0, cx - NEAR_REACH);
  const to = Math.min(cellsX, cx + NEAR_REACH + 1);
  for (let below = r + 1; below <= Math.min(cellsY - 1, r + NEAR_REACH); below++) {
    runs[2 * count] = cellStart[below * cellsX + from];
    runs[2 * count + 1] = cellStart[below * cellsX + to];
    count++;
  }
  return count;
}

/** Most cells per side of the near field's cell lists (plus one), and the most cells in all. */
export const MAX_CELL_SIDE = 1000;
const MAX_CELLS = (MAX_CELL_SIDE + 1) * (MAX_CELL_SIDE + 1);

/**
 * The kernel k(s) = 1 / (1 + s)² of the squared distance s, and its smooth stand-in inside s < S = R²: the cubic
 * Taylor polynomial of k at S, so that the two agree to the third derivative at R and the stand-in, free of k's
 * sharp peak at 0, interpolates well on a coarse grid. The near field adds k - stand-in for the pairs within R.
 */
export function smoothKernel(s: number, radius2: number): number {
  if (s >= radius2) {
    const q = 1 + s;
    return 1 / (q * q);
  }
  const q = 1 / (1 + radius2);
  const k0 = q * q;
  const d = s - radius2;
  // k' = -2 q³, k''/2 = 3 q⁴, k'''/6 = -4 q⁵ at S.
  return k0 * (1 + d * q * (-2 + d * q * (3 - 4 * d * q)));
}

/**
 * Every array the phases read or write; backed by SharedArrayBuffers when threads share them. Points are held in
 * the breadth-first order of P's graph (`order`), so that a point's neighbours sit at nearby indices and the
 * attraction's reads of their positions mostly hit the cache.
 */
export interface InterpolationBuffers {
  n: number;
  /** order[r] = the caller's index of the point held at r. */
  order: Int32Array;
  /** Lagrange nodes per box and dimension. */
  nodes: number;
  /** Largest grid side the buffers hold. */
  maxM: number;
  /** Denominators of the Lagrange basis on the nodes (k + 0.5) / nodes of the unit box. */
  denominators: Float64Array;
  /** Upper triangle (j > i) of the symmetric P in compressed rows: each pair once. */
  upperPtr: Int32Array;
  upperCols: Int32Array;
  upperVals: Float64Array;
  /** CHUNKS + 1 row boundaries of the attraction's shares, balanced by pair count. */
  pairStarts: Int32Array;
  /** CHUNKS × n × 2 attractive forces of each chunk's pairs. */
  chunkForces: Float64Array;
  params: Float64Array;
  /** n × 2 embedding, copied in before each evaluation. */
  y: Float64Array;
  nodeX: Int32Array;
  nodeY: Int32Array;
  weightX: Float64Array;
  weightY: Float64Array;
  /** CHUNKS × CHARGES grids of maxM² values (the first m² used). */
  chunkGrids: Float64Array;
  /** CHARGES grids of maxM² values: the summed charges, then their potentials. */
  grids: Float64Array;
  /** n × 2 attractive forces Σ_j p_ij w_ij (y_i - y_j). */
  attraction: Float64Array;
  /** n × 2 repulsive forces before 1/Z: Σ_j w_ij² (y_i - y_j). */
  repulsion: Float64Array;
  /** Per chunk: Σ p_ij log(1 + |y_i - y_j|²) over its rows (when withKl), and its share of Z + n. */
  logTerms: Float64Array;
  zTerms: Float64Array;
  /** Near field: MAX_CELLS + 1 starts of the cells' runs in `cellPoints`, row-major by (cell row, cell column). */
  cellStart: Int32Array;
  /** n × 2 coordinates grouped by cell (the cells' runs in order). */
  cellPoints: Float64Array;
  /** Each point's place in `cellPoints`. */
  cellIndex: Int32Array;
  /** CHUNKS + 1 cell-row boundaries of the near field's tasks, balanced by their pairs' cost. */
  nearRows: Int32Array;
  /** CHUNKS × n × 2 near-field forces of each task's pairs, indexed as `cellPoints`. */
  nearForces: Float64Array;
  /** Per task: its pairs' share of Z. */
  nearZ: Float64Array;
  /**
   * The pairs within R found by the last scan, per task from nearPairStarts[c]: for each of its points in
   * `cellPoints` order, their count, then the partners' places in `cellPoints`.
   */
  nearPairs: Int32Array;
  nearPairStarts: Int32Array;
}

export function allocateBuffers(
  p: SparseAffinities,
  nodes: number,
  maxM: number,
  allocate: Allocate,
  /** Entries of the near field's pair list. */
  nearListed: number,
): InterpolationBuffers {
  const n = p.n;
  const f64 = (length: number) => new Float64Array(allocate(8 * length));
  const i32 = (length: number) => new Int32Array(allocate(4 * length));
  const denominators = f64(nodes);
  for (let k = 0; k < nodes; k++) {
    let product = 1;
    for (let m = 0; m < nodes; m++) if (m !== k) product *= (k - m) / nodes;
    denominators[k] = product;
  }
  const order = i32(n);
  order.set(breadthFirstOrder(p));
  const rank = new Int32Array(n);
  for (let r = 0; r < n; r++) rank[order[r]] = r;
  const upperPtr = i32(n + 1);
  for (let r = 0; r < n; r++) {
    const i = order[r];
    let count = 0;
    for (let e = p.indptr[i]; e < p.indptr[i + 1]; e++) if (rank[p.indices[e]] > r) count++;
    upperPtr[r + 1] = upperPtr[r] + count;
  }
  const pairs = upperPtr[n];
  const upperCols = i32(pairs);
  const upperVals = f64(pairs);
  let out = 0;
  for (let r = 0; r < n; r++) {
    const i = order[r];
    for (let e = p.indptr[i]; e < p.indptr[i + 1]; e++) {
      const j = rank[p.indices[e]];
      if (j <= r) continue;
      upperCols[out] = j;
      upperVals[out++] = p.values[e];
    }
  }
  const pairStarts = i32(CHUNKS + 1);
  let row = 0;
  for (let c = 1; c < CHUNKS; c++) {
    while (row < n && upperPtr[row] < (pairs * c) / CHUNKS) row++;
    pairStarts[c] = row;
  }
  pairStarts[CHUNKS] = n;
  return {
    n,
    order,
    nodes,
    maxM,
    denominators,
    upperPtr,
    upperCols,
    upperVals,
    pairStarts,
    chunkForces: f64(CHUNKS * 2 * n),
    params: f64(PARAM.length),
    y: f64(2 * n),
    nodeX: i32(n),
    nodeY: i32(n),
    weightX: f64(n * nodes),
    weightY: f64(n * nodes),
    chunkGrids: f64(CHUNKS * CHARGES * maxM * maxM),
    grids: f64(CHARGES * maxM * maxM),
    attraction: f64(2 * n),
    repulsion: f64(2 * n),
    logTerms: f64(CHUNKS),
    zTerms: f64(CHUNKS),
    cellStart: i32(MAX_CELLS + 1),
    cellPoints: f64(2 * n),
    cellIndex: i32(n),
    nearRows: i32(CHUNKS + 1),
    nearForces: f64(CHUNKS * 2 * n),
    nearZ: f64(CHUNKS),
    nearPairs: i32(Math.ceil(nearListed)),
    nearPairStarts: i32(CHUNKS + 1),
  };
}

/** Points in breadth-first order over P's graph, each component from its lowest index. */
function breadthFirstOrder(p: SparseAffinities): Int32Array {
  const n = p.n;
  const order = new Int32Array(n);
  const seen = new Uint8Array(n);
  let head = 0;
  let tail = 0;
  for (let root = 0; root < n; root++) {
    if (seen[root]) continue;
    seen[root] = 1;
    order[tail++] = root;
    while (head < tail) {
      const i = order[head++];
      for (let e = p.indptr[i]; e < p.indptr[i + 1]; e++) {
        const j = p.indices[e];
        if (!seen[j]) {
          seen[j] = 1;
          order[tail++] = j;
        }
      }
    }
  }
  return order;
}

/** Points [start, end) of chunk c. */
export function chunkRange(n: number, c: number): [number, number] {
  return [Math.floor((n * c) / CHUNKS), Math.floor((n * (c + 1)) / CHUNKS)];
}

/** Runs tasks of the phases over shared buffers; one per thread, each with its own FFT workspace. */
export class PhaseRunner {
  private convolution: GridConvolution | undefined;
  private kernelSpacing = NaN;
  private kernelRadius2 = NaN;

  constructor(private readonly b: InterpolationBuffers) {}

  run(phase: Phase, task: number): void {
    if (phase === 'spread') this.spread(task);
    else if (phase === 'convolve') this.convolve(task);
    else if (phase === 'near') this.near(task);
    else this.gather(task);
  }

  private spread(chunk: number): void {
    const b = this.b;
    const { nodes, y, nodeX, nodeY, weightX, weightY, params } = b;
    const m = params[PARAM.m];
    const [start, end] = chunkRange(b.n, chunk);
    this.weights(start, end);
    if (params[PARAM.gridReuse] !== 0) {
      this.attract(chunk);
      return;
    }
    const size = b.maxM * b.maxM;
    const base = chunk * CHARGES * size;
    const charge0 = b.chunkGrids.subarray(base, base + m * m);
    const charge1 = b.chunkGrids.subarray(base + size, base + size + m * m);
    const charge2 = b.chunkGrids.subarray(base + 2 * size, base + 2 * size + m * m);
    const charge3 = b.chunkGrids.subarray(base + 3 * size, base + 3 * size + m * m);
    charge0.fill(0);
    charge1.fill(0);
    charge2.fill(0);
    charge3.fill(0);
    const centreX = params[PARAM.centreX];
    const centreY = params[PARAM.centreY];
    for (let i = start; i < end; i++) {
      const x0 = y[2 * i] - centreX;
      const x1 = y[2 * i + 1] - centreY;
      const norm2 = x0 * x0 + x1 * x1;
      const firstY = nodeY[i];
      for (let kx = 0; kx < nodes; kx++) {
        const row = (nodeX[i] + kx) * m + firstY;
        const wx = weightX[i * nodes + kx];
        for (let ky = 0; ky < nodes; ky++) {
          const w = wx * weightY[i * nodes + ky];
          const at = row + ky;
          charge0[at] += w;
          charge1[at] += w * x0;
          charge2[at] += w * x1;
          charge3[at] += w * norm2;
        }
      }
    }
    this.attract(chunk);
  }

  /** Box of every point of [start, end) and its Lagrange weights on that box's nodes, per axis. */
  private weights(start: number, end: number): void {
    const { nodes, y, nodeX, nodeY, weightX, weightY, denominators, params } = this.b;
    const minX = params[PARAM.minX];
    const minY = params[PARAM.minY];
    const h = params[PARAM.h];
    const boxes = params[PARAM.boxes];
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
    for (let i = start; i < end; i++) {
      nodeX[i] = axis(y[2 * i] - minX, weightX, i * nodes);
      nodeY[i] = axis(y[2 * i + 1] - minY, weightY, i * nodes);
    }
  }

  /**
   * Attraction of the chunk's pairs (rows pairStarts[c] .. pairStarts[c + 1] of the upper triangle) into the
   * chunk's force array, and their p-weighted log term (both triangles: twice the upper sum) when asked.
   */
  private attract(chunk: number): void {
    const { n, y, upperPtr, upperCols, upperVals, pairStarts, chunkForces, params } = this.b;
    const withKl = params[PARAM.withKl] !== 0;
    const forces = chunkForces.subarray(chunk * 2 * n, (chunk + 1) * 2 * n);
    forces.fill(0);
    const logTerm = attract2(
      y,
      upperPtr,
      upperCols,
      upperVals,
      forces,
      pairStarts[chunk],
      pairStarts[chunk + 1],
      withKl,
    );
    this.b.logTerms[chunk] = 2 * logTerm;
  }

  private convolve(pair: number): void {
    const b = this.b;
    const { params, chunkGrids, grids } = b;
    const m = params[PARAM.m];
    const fftSize = params[PARAM.fftSize];
    const spacing = params[PARAM.spacing];
    const size = b.maxM * b.maxM;
    const count = m * m;
    for (let s = 2 * pair; s < 2 * pair + 2; s++) {
      const total = grids.subarray(s * size, s * size + count);
      total.set(chunkGrids.subarray(s * size, s * size + count));
      for (let c = 1; c < CHUNKS; c++) {
        const from = (c * CHARGES + s) * size;
        for (let t = 0; t < count; t++) total[t] += chunkGrids[from + t];
      }
    }
    if (this.convolution?.size !== fftSize || this.convolution.m !== m) {
      this.convolution = new GridConvolution(fftSize, m);
      this.kernelSpacing = NaN;
    }
    const radius2 = params[PARAM.nearRadius2];
    if (spacing !== this.kernelSpacing || radius2 !== this.kernelRadius2) {
      this.convolution.setKernel((da, db) => smoothKernel(spacing * spacing * (da * da + db * db), radius2));
      this.kernelSpacing = spacing;
      this.kernelRadius2 = radius2;
    }
    const first = 2 * pair * size;
    this.convolution.convolvePair(
      grids.subarray(first, first + count),
      grids.subarray(first + size, first + size + count),
    );
  }

  private gather(chunk: number): void {
    const b = this.b;
    const { n, nodes, y, nodeX, nodeY, weightX, weightY, params, grids, repulsion } = b;
    const { attraction, chunkForces } = b;
    const m = params[PARAM.m];
    const size = b.maxM * b.maxM;
    const phi0 = grids.subarray(0, m * m);
    const phi1 = grids.subarray(size, size + m * m);
    const phi2 = grids.subarray(2 * size, 2 * size + m * m);
    const phi3 = grids.subarray(3 * size, 3 * size + m * m);
    const centreX = params[PARAM.centreX];
    const centreY = params[PARAM.centreY];
    const [start, end] = chunkRange(n, chunk);
    for (let t = 2 * start; t < 2 * end; t++) {
      let sum = chunkForces[t];
      for (let c = 1; c < CHUNKS; c++) sum += chunkForces[c * 2 * n + t];
      attraction[t] = sum;
    }
    let z = 0;
    for (let i = start; i < end; i++) {
      let p0 = 0;
      let p1 = 0;
      let p2 = 0;
      let p3 = 0;
      const firstY = nodeY[i];
      for (let kx = 0; kx < nodes; kx++) {
        const row = (nodeX[i] + kx) * m + firstY;
        const wx = weightX[i * nodes + kx];
        for (let ky = 0; ky < nodes; ky++) {
          const w = wx * weightY[i * nodes + ky];
          const at = row + ky;
          p0 += w * phi0[at];
          p1 += w * phi1[at];
          p2 += w * phi2[at];
          p3 += w * phi3[at];
        }
      }
      const x0 = y[2 * i] - centreX;
      const x1 = y[2 * i + 1] - centreY;
      // Σ_j w_ij² (y_i - y_j) = y_i φ_0 - (φ_1, φ_2), charges relative to the grid's centre.
      repulsion[2 * i] = x0 * p0 - p1;
      repulsion[2 * i + 1] = x1 * p0 - p2;
      z += (1 + x0 * x0 + x1 * x1) * p0 - 2 * (x0 * p1 + x1 * p2) + p3;
    }
    if (params[PARAM.nearRadius2] > 0) {
      const { cellIndex, nearForces } = b;
      for (let i = start; i < end; i++) {
        const at = 2 * cellIndex[i];
        let fx = nearForces[at];
        let fy = nearForces[at + 1];
        for (let c = 1; c < CHUNKS; c++) {
          fx += nearForces[c * 2 * n + at];
          fy += nearForces[c * 2 * n + at + 1];
        }
        repulsion[2 * i] += fx;
        repulsion[2 * i + 1] += fy;
      }
    }
    b.zTerms[chunk] = z;
  }

  /**
   * Near field of the cell rows nearRows[c] .. nearRows[c + 1]: for every pair closer than R, once, the exact
   * kernel minus its smooth stand-in, pushed onto both points in the chunk's own force array (indexed as
   * `cellPoints`), and twice its share of Z. Cells are at least R / NEAR_REACH wide, so a point's partners lie in
   * its own cell, the NEAR_REACH cells to its right (one run of `cellPoints` with it) and NEAR_REACH rows below
   * (one run per row). The pairs found are listed in `nearPairs`; with `nearReuse` set, the listed pairs are
   * measured again at the current positions without the scan (pairs that came within R since are left to the grid).
   */
  private near(chunk: number): void {
    const { n, params, cellStart, cellPoints, nearRows, nearForces, nearPairs, nearPairStarts } = this.b;
    const radius2 = params[PARAM.nearRadius2];
    const cellsX = params[PARAM.cellsX];
    const cellsY = params[PARAM.cellsY];
    const forces = nearForces.subarray(chunk * 2 * n, (chunk + 1) * 2 * n);
    forces.fill(0);
    // The stand-in's cubic in d = s - R²: k(R²) + k'(R²) d + k''(R²) d² / 2 + k'''(R²) d³ / 6.
    const q = 1 / (1 + radius2);
    const c0 = q * q;
    const c1 = -2 * c0 * q;
    const c2 = 3 * c0 * q * q;
    const c3 = -4 * c0 * q * q * q;
    let z = 0;
    let at = nearPairStarts[chunk];
    if (params[PARAM.nearReuse] !== 0) {
      const first = cellStart[nearRows[chunk] * cellsX];
      const last = cellStart[nearRows[chunk + 1] * cellsX];
      for (let a = first; a < last; a++) {
        const ax = cellPoints[2 * a];
        const ay = cellPoints[2 * a + 1];
        let fx = 0;
        let fy = 0;
        const end = at + 1 + nearPairs[at];
        for (at++; at < end; at++) {
          const t = nearPairs[at];
          const dx = ax - cellPoints[2 * t];
          const dy = ay - cellPoints[2 * t + 1];
          const s = dx * dx + dy * dy;
          if (s >= radius2) continue;
          const w = 1 / (1 + s);
          const d = s - radius2;
          const kn = w * w - (c0 + d * (c1 + d * (c2 + d * c3)));
          const gx = kn * dx;
          const gy = kn * dy;
          fx += gx;
          fy += gy;
          forces[2 * t] -= gx;
          forces[2 * t + 1] -= gy;
          z += (1 + s) * kn;
        }
        forces[2 * a] += fx;
        forces[2 * a + 1] += fy;
      }
      this.b.nearZ[chunk] = 2 * z;
      return;
    }
    const runs = new Int32Array(2 * (NEAR_REACH + 1));
    for (let r = nearRows[chunk]; r < nearRows[chunk + 1]; r++) {
      for (let cx = 0; cx < cellsX; cx++) {
        const cell = r * cellsX + cx;
        const count = partnerRuns(cellStart, cellsX, cellsY, r, cx, runs);
        for (let a = cellStart[cell]; a < cellStart[cell + 1]; a++) {
          const ax = cellPoints[2 * a];
          const ay = cellPoints[2 * a + 1];
          let fx = 0;
          let fy = 0;
          const countAt = at++;
          runs[0] = a + 1;
          for (let run = 0; run < count; run++) {
            const last = runs[2 * run + 1];
            for (let t = runs[2 * run]; t < last; t++) {
              const dx = ax - cellPoints[2 * t];
              const dy = ay - cellPoints[2 * t + 1];
              const s = dx * dx + dy * dy;
              if (s >= radius2) continue;
              nearPairs[at++] = t;
              const w = 1 / (1 + s);
              const d = s - radius2;
              const kn = w * w - (c0 + d * (c1 + d * (c2 + d * c3)));
              const gx = kn * dx;
              const gy = kn * dy;
              fx += gx;
              fy += gy;
              forces[2 * t] -= gx;
              forces[2 * t + 1] -= gy;
              z += (1 + s) * kn;
            }
          }
          nearPairs[countAt] = at - countAt - 1;
          forces[2 * a] += fx;
          forces[2 * a + 1] += fy;
        }
      }
    }
    this.b.nearZ[chunk] = 2 * z;
  }
}
