/**
 * The work of one evaluation of the interpolation gradient (interpolation.ts), cut into three phases of
 * independent tasks over typed arrays, so that the same code runs on one thread or on several that share the
 * arrays (SharedArrayBuffer):
 *
 * - 'spread' (one task per chunk of points): each point's box and Lagrange weights, its charges spread onto the
 *   chunk's own copy of the grid, and the exact attraction of the chunk's rows of P.
 * - 'convolve' (one task per pair of charges): the chunks' grids summed in chunk order, then convolved with the
 *   kernel by FFT.
 * - 'gather' (one task per chunk): each point's potentials read back from the grid, its repulsive force and its
 *   share of the normaliser Z.
 *
 * The points are cut into CHUNKS fixed ranges whatever the number of threads, and every sum runs in a fixed order
 * (within a chunk, then over chunks in order), so the gradient is the same to the last bit on any number of
 * threads.
 */
import type { SparseAffinities } from './affinities.js';
import { GridConvolution } from './fft-convolution.js';

/** Point ranges of the spread and gather phases (fixed, so results do not depend on the thread count). */
export const CHUNKS = 4;
/** Pairs of charges (1, y_x) and (y_y, |y|²), each convolved in one complex FFT pass. */
export const PAIRS = 2;
export const CHARGES = 4;

export type Phase = 'spread' | 'convolve' | 'gather';
export const PHASES: readonly Phase[] = ['spread', 'convolve', 'gather'];

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
  length: 10,
} as const;

/** Every array the phases read or write; backed by SharedArrayBuffers when threads share them. */
export interface InterpolationBuffers {
  n: number;
  /** Lagrange nodes per box and dimension. */
  nodes: number;
  /** Largest grid side the buffers hold. */
  maxM: number;
  /** Denominators of the Lagrange basis on the nodes (k + 0.5) / nodes of the unit box. */
  denominators: Float64Array;
  /** P in compressed rows (both triangles). */
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
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
}

export type Allocate = (bytes: number) => ArrayBufferLike;

export function allocateBuffers(
  p: SparseAffinities,
  nodes: number,
  maxM: number,
  allocate: Allocate,
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
  const indptr = i32(n + 1);
  indptr.set(p.indptr);
  const indices = i32(p.indices.length);
  indices.set(p.indices);
  const values = f64(p.values.length);
  values.set(p.values);
  return {
    n,
    nodes,
    maxM,
    denominators,
    indptr,
    indices,
    values,
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
  };
}

/** Points [start, end) of chunk c. */
export function chunkRange(n: number, c: number): [number, number] {
  return [Math.floor((n * c) / CHUNKS), Math.floor((n * (c + 1)) / CHUNKS)];
}

/** Runs tasks of the phases over shared buffers; one per thread, each with its own FFT workspace. */
export class PhaseRunner {
  private convolution: GridConvolution | undefined;
  private kernelSpacing = NaN;

  constructor(private readonly b: InterpolationBuffers) {}

  run(phase: Phase, task: number): void {
    if (phase === 'spread') this.spread(task);
    else if (phase === 'convolve') this.convolve(task);
    else this.gather(task);
  }

  private spread(chunk: number): void {
    const b = this.b;
    const { nodes, y, nodeX, nodeY, weightX, weightY, params } = b;
    const m = params[PARAM.m];
    const [start, end] = chunkRange(b.n, chunk);
    this.weights(start, end);
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
    this.attract(chunk, start, end);
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

  /** Attractive forces of rows [start, end) of P, and their p-weighted log term when asked. */
  private attract(chunk: number, start: number, end: number): void {
    const { y, indptr, indices, values, attraction, params } = this.b;
    const withKl = params[PARAM.withKl] !== 0;
    let logTerm = 0;
    for (let i = start; i < end; i++) {
      const x0 = y[2 * i];
      const x1 = y[2 * i + 1];
      let a0 = 0;
      let a1 = 0;
      const last = indptr[i + 1];
      for (let e = indptr[i]; e < last; e++) {
        const j = indices[e];
        const d0 = x0 - y[2 * j];
        const d1 = x1 - y[2 * j + 1];
        const q = 1 + d0 * d0 + d1 * d1;
        const pw = values[e] / q;
        a0 += pw * d0;
        a1 += pw * d1;
        if (withKl) logTerm += values[e] * Math.log(q);
      }
      attraction[2 * i] = a0;
      attraction[2 * i + 1] = a1;
    }
    this.b.logTerms[chunk] = logTerm;
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
    if (spacing !== this.kernelSpacing) {
      this.convolution.setKernel((da, db) => {
        const q = 1 + spacing * spacing * (da * da + db * db);
        return 1 / (q * q);
      });
      this.kernelSpacing = spacing;
    }
    const first = 2 * pair * size;
    this.convolution.convolvePair(
      grids.subarray(first, first + count),
      grids.subarray(first + size, first + size + count),
    );
  }

  private gather(chunk: number): void {
    const b = this.b;
    const { nodes, y, nodeX, nodeY, weightX, weightY, params, grids, repulsion } = b;
    const m = params[PARAM.m];
    const size = b.maxM * b.maxM;
    const phi0 = grids.subarray(0, m * m);
    const phi1 = grids.subarray(size, size + m * m);
    const phi2 = grids.subarray(2 * size, 2 * size + m * m);
    const phi3 = grids.subarray(3 * size, 3 * size + m * m);
    const centreX = params[PARAM.centreX];
    const centreY = params[PARAM.centreY];
    const [start, end] = chunkRange(b.n, chunk);
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
    b.zTerms[chunk] = z;
  }
}
