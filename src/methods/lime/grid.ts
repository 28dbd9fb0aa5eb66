/**
 * Grid segmentation and user label matrices: the two non-superpixel ways to cut an image into
 * LIME features.
 */
import { OptionError } from '../../errors.js';
import type { GridAxis } from '../grid-upsample.js';
import type { Segmentation } from './slic.js';

export interface GridSegmentation extends Segmentation {
  rows: number;
  cols: number;
  /** Pixel centres of the cell rows / columns, for smooth up-sampling of per-cell values. */
  yAxis: GridAxis;
  xAxis: GridAxis;
}

/**
 * A rows x cols grid with rows * cols <= numSegments, cells as square as the image allows
 * (a square image and a square number give exactly that many cells). Cell boundaries are
 * floor(i * size / count); ids run row by row.
 */
export function gridSegments(height: number, width: number, numSegments: number): GridSegmentation {
  if (!Number.isInteger(numSegments) || numSegments < 1) {
    throw new OptionError('INVALID_OPTION', `numFeatures must be a positive integer, got ${numSegments}`);
  }
  let rows = Math.max(1, Math.min(height, Math.floor(Math.sqrt((numSegments * height) / width))));
  let cols = Math.max(1, Math.min(width, Math.floor(numSegments / rows)));
  // A very wide image can leave rows above what the column budget allows.
  rows = Math.max(1, Math.min(rows, Math.floor(numSegments / cols)));
  cols = Math.max(1, Math.min(width, Math.floor(numSegments / rows)));
  return gridCells(height, width, rows, cols);
}

/**
 * A grid of exactly rows x cols cells (e.g. frequency bands x time segments of a spectrogram). Cell
 * boundaries are floor(i * size / count); ids run row by row.
 */
export function gridCells(height: number, width: number, rows: number, cols: number): GridSegmentation {
  for (const [name, count, size] of [
    ['rows', rows, height],
    ['columns', cols, width],
  ] as const) {
    if (!Number.isInteger(count) || count < 1 || count > size) {
      throw new OptionError(
        'INVALID_OPTION',
        `grid ${name} must be an integer from 1 to ${size}, got ${count}`,
      );
    }
  }
  const rowOf = new Int32Array(height);
  const colOf = new Int32Array(width);
  for (let r = 0; r < rows; r++) {
    for (let y = Math.floor((r * height) / rows); y < Math.floor(((r + 1) * height) / rows); y++)
      rowOf[y] = r;
  }
  for (let c = 0; c < cols; c++) {
    for (let x = Math.floor((c * width) / cols); x < Math.floor(((c + 1) * width) / cols); x++) colOf[x] = c;
  }
  const labels = new Int32Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) labels[y * width + x] = rowOf[y] * cols + colOf[x];
  }
  return {
    labels,
    height,
    width,
    count: rows * cols,
    rows,
    cols,
    yAxis: { first: (height / rows - 1) / 2, step: height / rows, count: rows },
    xAxis: { first: (width / cols - 1) / 2, step: width / cols, count: cols },
  };
}

/** A user-supplied label matrix: one integer label per pixel, row-major. */
export interface LabelMatrix {
  data: ArrayLike<number>;
  dims: readonly [number, number];
}

/**
 * Turns a user label matrix into consecutive ids 0..count-1 (in increasing label order);
 * `values[id]` is the user's label for that id.
 */
export function labelsFromMatrix(
  matrix: LabelMatrix,
  height: number,
  width: number,
): Segmentation & { values: number[] } {
  if (matrix.dims[0] !== height || matrix.dims[1] !== width || matrix.data.length !== height * width) {
    throw new OptionError(
      'INVALID_OPTION',
      `segmentation label matrix must be ${height}x${width} (${height * width} labels), got [${matrix.dims}] with ${matrix.data.length}`,
    );
  }
  const distinct = new Set<number>();
  for (let i = 0; i < matrix.data.length; i++) {
    const v = matrix.data[i];
    if (!Number.isInteger(v))
      throw new OptionError('INVALID_OPTION', `segmentation labels must be integers, got ${v}`);
    distinct.add(v);
  }
  const values = [...distinct].sort((a, b) => a - b);
  const idOf = new Map(values.map((v, i) => [v, i]));
  const labels = new Int32Array(height * width);
  for (let i = 0; i < labels.length; i++) labels[i] = idOf.get(matrix.data[i]) as number;
  return { labels, height, width, count: values.length, values };
}
