/**
 * Input affinities P of t-SNE: per-point Gaussian conditionals fitted to the perplexity, symmetrised as
 * P = (P_cond + P_condᵀ) / sum, so that P sums to 1. Sparse (k nearest neighbours, for Barnes–Hut) or dense (all
 * pairs, for the exact algorithm).
 */
import type { PreparedDistance } from './distances.js';
import type { NeighbourLists } from './neighbors.js';
import { fitRow } from './perplexity.js';

/** Symmetric sparse matrix in compressed rows; column indices ascending within a row. */
export interface SparseAffinities {
  n: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

export function sparseAffinities(
  neighbours: NeighbourLists,
  n: number,
  perplexity: number,
): SparseAffinities {
  const { k, indices: knnIndices, distances } = neighbours;
  let conditional: Float64Array;
  if (neighbours.conditional?.perplexity === perplexity) {
    // Fitted by the search (on its threads), from the same distances.
    conditional = Float64Array.from(neighbours.conditional.values);
  } else {
    const distSq = new Float64Array(n * k);
    for (let t = 0; t < distSq.length; t++) distSq[t] = distances[t] * distances[t];
    conditional = new Float64Array(n * k);
    for (let i = 0; i < n; i++) fitRow(distSq, i * k, k, perplexity, conditional, i * k);
  }

  // Rows of the conditional matrix, sorted by column so rows can be merged with the transpose's rows.
  const rowCols = new Int32Array(knnIndices);
  const rowVals = conditional;
  for (let i = 0; i < n; i++) sortRowByColumn(rowCols, rowVals, i * k, (i + 1) * k);

  // Transpose by counting sort; scanning rows in order leaves each transposed row sorted by column.
  const tPtr = new Int32Array(n + 1);
  for (let t = 0; t < rowCols.length; t++) tPtr[rowCols[t] + 1]++;
  for (let i = 0; i < n; i++) tPtr[i + 1] += tPtr[i];
  const tCols = new Int32Array(rowCols.length);
  const tVals = new Float64Array(rowCols.length);
  const fill = tPtr.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (let t = i * k; t < (i + 1) * k; t++) {
      const slot = fill[rowCols[t]]++;
      tCols[slot] = i;
      tVals[slot] = rowVals[t];
    }
  }

  // Merge row i of the conditional matrix with row i of its transpose: first count, then fill.
  const indptr = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    let a = i * k;
    const aEnd = a + k;
    let b = tPtr[i];
    const bEnd = tPtr[i + 1];
    let count = 0;
    while (a < aEnd || b < bEnd) {
      const ca = a < aEnd ? rowCols[a] : n;
      const cb = b < bEnd ? tCols[b] : n;
      if (ca <= cb) a++;
      if (cb <= ca) b++;
      count++;
    }
    indptr[i + 1] = indptr[i] + count;
  }
  const indices = new Int32Array(indptr[n]);
  const values = new Float64Array(indptr[n]);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let a = i * k;
    const aEnd = a + k;
    let b = tPtr[i];
    const bEnd = tPtr[i + 1];
    let out = indptr[i];
    while (a < aEnd || b < bEnd) {
      const ca = a < aEnd ? rowCols[a] : n;
      const cb = b < bEnd ? tCols[b] : n;
      let v = 0;
      if (ca <= cb) v += rowVals[a++];
      if (cb <= ca) v += tVals[b++];
      indices[out] = Math.min(ca, cb);
      values[out++] = v;
      total += v;
    }
  }
  for (let t = 0; t < values.length; t++) values[t] /= total;
  return { n, indptr, indices, values };
}

/** Insertion sort of one row's (column, value) pairs by column; rows are short (3 × perplexity). */
function sortRowByColumn(cols: Int32Array, vals: Float64Array, start: number, end: number): void {
  for (let t = start + 1; t < end; t++) {
    const c = cols[t];
    const v = vals[t];
    let s = t - 1;
    while (s >= start && cols[s] > c) {
      cols[s + 1] = cols[s];
      vals[s + 1] = vals[s];
      s--;
    }
    cols[s + 1] = c;
    vals[s + 1] = v;
  }
}

/** All-pairs squared distances, n × n, with Infinity on the diagonal (a point is not its own neighbour). */
export function squaredDistanceMatrix(distance: PreparedDistance, n: number): Float64Array {
  const distSq = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    distSq[i * n + i] = Infinity;
    for (let j = i + 1; j < n; j++) {
      const d = distance.between(i, j);
      distSq[i * n + j] = d * d;
      distSq[j * n + i] = d * d;
    }
  }
  return distSq;
}

/**
 * Dense symmetric P (n × n, zero diagonal) from all-pairs squared distances. Works in place: `distSq` is
 * overwritten and returned, so the exact algorithm holds a single n × n matrix.
 */
export function denseAffinities(distSq: Float64Array, n: number, perplexity: number): Float64Array {
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    row.set(distSq.subarray(i * n, (i + 1) * n));
    fitRow(row, 0, n, perplexity, distSq, i * n);
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    distSq[i * n + i] = 0;
    for (let j = i + 1; j < n; j++) {
      const v = distSq[i * n + j] + distSq[j * n + i];
      distSq[i * n + j] = v;
      distSq[j * n + i] = v;
      total += 2 * v;
    }
  }
  for (let t = 0; t < distSq.length; t++) distSq[t] /= total;
  return distSq;
}

/** Σ p log p over the nonzero entries: the constant part of KL(P‖Q). */
export function entropyTerm(values: ArrayLike<number>): number {
  let sum = 0;
  for (let t = 0; t < values.length; t++) {
    const p = values[t];
    if (p > 0) sum += p * Math.log(p);
  }
  return sum;
}
