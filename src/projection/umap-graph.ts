/**
 * UMAP's fuzzy simplicial set (McInnes, Healy & Melville 2018, §3) from k-nearest-neighbour lists: per point the
 * distance to its nearest neighbour ρ_i and a scale σ_i found by bisection so that Σ_j exp(-(d_ij - ρ_i) / σ_i)
 * = log2(nNeighbors) ("smooth kNN"), memberships w_ij = exp(-(d_ij - ρ_i) / σ_i), and their fuzzy union
 * w_ij + w_ji - w_ij·w_ji. Constants and corner cases follow umap-learn (local connectivity 1, 64 bisection
 * steps, σ at least 1e-3 × the mean neighbour distance).
 */
import { bisectPositive } from './bisection.js';
import type { NeighbourLists } from './neighbors.js';

/** Symmetric graph in compressed rows, column indices ascending within a row. */
export interface FuzzyGraph {
  n: number;
  indptr: Int32Array;
  indices: Int32Array;
  weights: Float64Array;
}

const BISECTION_STEPS = 64;
const TOLERANCE = 1e-5;
const MIN_SCALE = 1e-3;

/**
 * ρ_i and σ_i of every row of `neighbours` (the point itself not listed; `nNeighbors` counts it, as in
 * umap-learn, so the target is log2(nNeighbors) and the mean distance includes its zero).
 */
export function smoothKnn(
  neighbours: NeighbourLists,
  n: number,
  nNeighbors: number,
): { rho: Float64Array; sigma: Float64Array } {
  const { k, distances } = neighbours;
  const target = Math.log2(nNeighbors);
  const rho = new Float64Array(n);
  const sigma = new Float64Array(n);
  let total = 0;
  for (let t = 0; t < distances.length; t++) total += distances[t];
  const meanDistance = total / (n * nNeighbors);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    let nearest = 0;
    let sum = 0;
    for (let t = 0; t < k; t++) {
      const d = distances[base + t];
      if (nearest === 0 && d > 0) nearest = d;
      sum += d;
    }
    const scale = bisectPositive(1, BISECTION_STEPS, (mid) => {
      let psum = 0;
      for (let t = 0; t < k; t++) {
        const d = distances[base + t] - nearest;
        psum += d > 0 ? Math.exp(-d / mid) : 1;
      }
      return Math.abs(psum - target) < TOLERANCE ? 0 : psum > target ? -1 : 1;
    });
    const floor = MIN_SCALE * (nearest > 0 ? sum / nNeighbors : meanDistance);
    rho[i] = nearest;
    sigma[i] = Math.max(scale, floor);
  }
  return { rho, sigma };
}

export function fuzzySimplicialSet(neighbours: NeighbourLists, n: number, nNeighbors: number): FuzzyGraph {
  const { k, indices, distances } = neighbours;
  const { rho, sigma } = smoothKnn(neighbours, n, nNeighbors);
  // Directed memberships, rows sorted by column.
  const cols = new Int32Array(indices);
  const vals = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let t = i * k; t < (i + 1) * k; t++) {
      const d = distances[t] - rho[i];
      vals[t] = cols[t] === i ? 0 : d <= 0 || sigma[i] === 0 ? 1 : Math.exp(-d / sigma[i]);
    }
    sortByColumn(cols, vals, i * k, (i + 1) * k);
  }
  // Transpose by counting sort (rows scanned in order leave each transposed row sorted).
  const tPtr = new Int32Array(n + 1);
  for (let t = 0; t < cols.length; t++) tPtr[cols[t] + 1]++;
  for (let i = 0; i < n; i++) tPtr[i + 1] += tPtr[i];
  const tCols = new Int32Array(cols.length);
  const tVals = new Float64Array(cols.length);
  const fill = tPtr.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (let t = i * k; t < (i + 1) * k; t++) {
      const slot = fill[cols[t]]++;
      tCols[slot] = i;
      tVals[slot] = vals[t];
    }
  }
  // Fuzzy union of each row with the transpose's row; zero weights are left out.
  const indptr = new Int32Array(n + 1);
  const outCols = new Int32Array(2 * n * k);
  const outVals = new Float64Array(2 * n * k);
  let out = 0;
  for (let i = 0; i < n; i++) {
    let a = i * k;
    const aEnd = a + k;
    let b = tPtr[i];
    const bEnd = tPtr[i + 1];
    while (a < aEnd || b < bEnd) {
      const ca = a < aEnd ? cols[a] : n;
      const cb = b < bEnd ? tCols[b] : n;
      const va = ca <= cb ? vals[a++] : 0;
      const vb = cb <= ca ? tVals[b++] : 0;
      const w = va + vb - va * vb;
      if (w > 0) {
        outCols[out] = Math.min(ca, cb);
        outVals[out++] = w;
      }
    }
    indptr[i + 1] = out;
  }
  return { n, indptr, indices: outCols.slice(0, out), weights: outVals.slice(0, out) };
}

function sortByColumn(cols: Int32Array, vals: Float64Array, start: number, end: number): void {
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
