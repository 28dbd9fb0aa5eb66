/**
 * Linear 2-D convolution of real fields on an M × M grid with a real, even kernel, through FFTs of an L × L
 * circulant embedding (L a power of two, L >= 2M - 1, so no wrap-around reaches the M × M corner). The FFTs are
 * fft.js's radix-4 transforms, one row or column at a time. Two real fields ride in one complex transform (one
 * as the real part, one as the imaginary part): the kernel's transform is real, so the two never mix.
 */
import FFT from 'fft.js';

/** Columns transformed together (8 complex doubles = two cache lines per row). */
const COLUMN_BLOCK = 8;

export class GridConvolution {
  /** Grid side of the fields (nodes per dimension). */
  readonly m: number;
  private readonly fft: FFT;
  /** L × L complex values, interleaved (re, im), row-major. */
  private readonly grid: Float64Array;
  /** Real transform of the kernel (its imaginary part vanishes for an even kernel). */
  private readonly kernelHat: Float64Array;
  private readonly blockIn: Float64Array[];
  /** Second L × L complex buffer of convolvePair. */
  private readonly spare: Float64Array;
  private readonly lineOut: Float64Array;

  constructor(
    /** FFT side, a power of two. */
    readonly size: number,
    m: number,
  ) {
    if ((size & (size - 1)) !== 0 || size < 2) throw new RangeError(`FFT size ${size} is not a power of two`);
    if (2 * m - 1 > size)
      throw new RangeError(`grid of ${m} nodes needs an FFT side >= ${2 * m - 1}, got ${size}`);
    this.m = m;
    this.fft = new FFT(size);
    this.grid = new Float64Array(2 * size * size);
    this.spare = new Float64Array(2 * size * size);
    this.kernelHat = new Float64Array(size * size);
    this.blockIn = Array.from({ length: COLUMN_BLOCK }, () => new Float64Array(2 * size));
    this.lineOut = new Float64Array(2 * size);
  }

  /** Sets the kernel from its value at node offsets (a, b), |a|, |b| < M; `kernel(a, b)` must equal `kernel(-a, b)`, `kernel(b, a)` etc. */
  setKernel(kernel: (a: number, b: number) => number): void {
    const { size: l, m, grid } = this;
    grid.fill(0);
    for (let r = 0; r < l; r++) {
      const a = r < m ? r : r > l - m ? r - l : NaN;
      if (Number.isNaN(a)) continue;
      for (let c = 0; c < l; c++) {
        const b = c < m ? c : c > l - m ? c - l : NaN;
        if (Number.isNaN(b)) continue;
        grid[2 * (r * l + c)] = kernel(a, b);
      }
    }
    this.transform2d(false, l, l);
    for (let t = 0; t < l * l; t++) this.kernelHat[t] = grid[2 * t];
  }

  /**
   * Replaces the M × M fields `first` and `second` (row-major) by their convolutions with the kernel. The column
   * transforms run as row transforms of the transposed grid (two buffers, so fft.js's out-of-place transforms
   * need no copies back): rows of the M data rows, transpose, all L rows, times the kernel's transform (symmetric:
   * the kernel is even in both offsets and symmetric in them), inverse all L rows, transpose the M rows needed
   * back, inverse those M rows.
   */
  convolvePair(first: Float64Array, second: Float64Array): void {
    const { size: l, m, kernelHat, fft } = this;
    const a = this.grid;
    const b = this.spare;
    const row = (buffer: Float64Array, r: number) => buffer.subarray(2 * r * l, 2 * (r + 1) * l);
    for (let r = 0; r < m; r++) {
      const line = row(a, r);
      line.fill(0);
      for (let c = 0; c < m; c++) {
        line[2 * c] = first[r * m + c];
        line[2 * c + 1] = second[r * m + c];
      }
      fft.transform(row(b, r), line);
    }
    transposeRows(b, a, m, l);
    for (let r = 0; r < l; r++) fft.transform(row(b, r), row(a, r));
    for (let t = 0; t < l * l; t++) {
      b[2 * t] *= kernelHat[t];
      b[2 * t + 1] *= kernelHat[t];
    }
    for (let r = 0; r < l; r++) fft.inverseTransform(row(a, r), row(b, r));
    transposeColumns(a, b, m, l);
    for (let r = 0; r < m; r++) {
      const line = row(a, r);
      fft.inverseTransform(line, row(b, r));
      for (let c = 0; c < m; c++) {
        first[r * m + c] = line[2 * c];
        second[r * m + c] = line[2 * c + 1];
      }
    }
  }

  /**
   * In-place 2-D transform: forward runs rows (the first `rowsBefore`) then columns; inverse runs columns then
   * rows (the first `rowsAfter`). fft.js's inverse divides by the side, so the 2-D inverse divides by L².
   */
  private transform2d(inverse: boolean, rowsBefore: number, rowsAfter: number): void {
    if (!inverse) this.rows(false, rowsBefore);
    this.columns(inverse);
    if (inverse) this.rows(true, rowsAfter);
  }

  private rows(inverse: boolean, count: number): void {
    const { size: l, grid, fft, lineOut } = this;
    for (let r = 0; r < count; r++) {
      const row = grid.subarray(2 * r * l, 2 * (r + 1) * l);
      if (inverse) fft.inverseTransform(lineOut, row);
      else fft.transform(lineOut, row);
      row.set(lineOut);
    }
  }

  /** Columns in blocks of COLUMN_BLOCK, so each row's read touches one or two cache lines instead of a stride. */
  private columns(inverse: boolean): void {
    const { size: l, grid, fft, blockIn, lineOut } = this;
    for (let c0 = 0; c0 < l; c0 += COLUMN_BLOCK) {
      const width = Math.min(COLUMN_BLOCK, l - c0);
      for (let r = 0; r < l; r++) {
        const from = 2 * (r * l + c0);
        for (let b = 0; b < width; b++) {
          blockIn[b][2 * r] = grid[from + 2 * b];
          blockIn[b][2 * r + 1] = grid[from + 2 * b + 1];
        }
      }
      for (let b = 0; b < width; b++) {
        if (inverse) fft.inverseTransform(lineOut, blockIn[b]);
        else fft.transform(lineOut, blockIn[b]);
        blockIn[b].set(lineOut);
      }
      for (let r = 0; r < l; r++) {
        const to = 2 * (r * l + c0);
        for (let b = 0; b < width; b++) {
          grid[to + 2 * b] = blockIn[b][2 * r];
          grid[to + 2 * b + 1] = blockIn[b][2 * r + 1];
        }
      }
    }
  }
}

/** Square tiles of the transposes: 16 complex values (two cache lines) per tile row. */
const TILE = 16;

/**
 * to[c][r] = from[r][c] for the first `rows` rows of `from` (L × L complex); to's entries r >= rows are zeroed,
 * so `to` holds the transpose of `from` with its other rows taken as zero.
 */
function transposeRows(from: Float64Array, to: Float64Array, rows: number, l: number): void {
  for (let c = 0; c < l; c++) to.fill(0, 2 * (c * l + rows), 2 * (c + 1) * l);
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < l; c0 += TILE) {
      const c1 = Math.min(l, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) {
          to[2 * (c * l + r)] = from[2 * (r * l + c)];
          to[2 * (c * l + r) + 1] = from[2 * (r * l + c) + 1];
        }
      }
    }
  }
}

/** to[r][c] = from[c][r] for the first `rows` rows of `to` (all L columns). */
function transposeColumns(from: Float64Array, to: Float64Array, rows: number, l: number): void {
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < l; c0 += TILE) {
      const c1 = Math.min(l, c0 + TILE);
      for (let c = c0; c < c1; c++) {
        for (let r = r0; r < r1; r++) {
          to[2 * (r * l + c)] = from[2 * (c * l + r)];
          to[2 * (r * l + c) + 1] = from[2 * (c * l + r) + 1];
        }
      }
    }
  }
}
