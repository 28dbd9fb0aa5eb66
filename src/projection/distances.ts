/**
 * Pairwise distances between rows of an n × dim data matrix, with the names and meanings of MATLAB's `pdist`
 * (the `distance` option of `tsne`). Metrics that need statistics of the whole data set (seuclidean, mahalanobis)
 * or a per-row transform (cosine, correlation, spearman) are prepared once, so each pair costs one pass over dim.
 */
import { OptionError } from '../errors.js';

export const DISTANCE_NAMES = [
  'euclidean',
  'seuclidean',
  'cityblock',
  'chebychev',
  'minkowski',
  'mahalanobis',
  'cosine',
  'correlation',
  'spearman',
  'hamming',
  'jaccard',
] as const;
export type DistanceName = (typeof DISTANCE_NAMES)[number];

/** A user distance between two rows (views into the data, length dim). Must return a finite value >= 0. */
export type DistanceFunction = (a: Float32Array, b: Float32Array) => number;
export type Distance = DistanceName | DistanceFunction;

export interface DistanceParameters {
  /** Minkowski exponent p (default 2). Must be >= 1 for the result to be a metric. */
  exponent?: number;
  /** Per-feature scale for 'seuclidean' (default: the per-feature standard deviation of the data). */
  scale?: ArrayLike<number>;
}

export interface PreparedDistance {
  readonly name: string;
  /** True when the triangle inequality holds, so a vantage-point tree may use it to prune. */
  readonly isMetric: boolean;
  /** Distance between rows i and j. */
  between(i: number, j: number): number;
  /**
   * Set when the distance is the plain euclidean distance between these (possibly transformed) rows, so that
   * neighbour search can run a tight loop instead of calling `between` per pair.
   */
  readonly euclideanRows?: { values: Float32Array | Float64Array; dim: number };
}

/** Prepare `distance` for the rows of `data` (n × dim, row-major). */
export function prepareDistance(
  data: Float32Array,
  n: number,
  dim: number,
  distance: Distance,
  parameters: DistanceParameters = {},
): PreparedDistance {
  if (data.length !== n * dim) {
    throw new OptionError(
      'INVALID_INPUT',
      `data has ${data.length} values, expected n × dim = ${n} × ${dim}`,
    );
  }
  if (typeof distance === 'function') return userDistance(data, dim, distance);
  switch (distance) {
    case 'euclidean':
      return euclideanOver(data, dim, 'euclidean');
    case 'seuclidean':
      return standardizedEuclidean(data, n, dim, parameters.scale);
    case 'cityblock':
      return cityblock(data, dim);
    case 'chebychev':
      return chebychev(data, dim);
    case 'minkowski':
      return minkowski(data, dim, parameters.exponent ?? 2);
    case 'mahalanobis':
      return mahalanobis(data, n, dim);
    case 'cosine':
      return oneMinusDot(
        'cosine',
        normalizedRows(data, n, dim, 'cosine', (row) => row),
        dim,
      );
    case 'correlation':
      return oneMinusDot('correlation', normalizedRows(data, n, dim, 'correlation', centerRow), dim);
    case 'spearman':
      return oneMinusDot(
        'spearman',
        normalizedRows(data, n, dim, 'spearman', (row) => centerRow(rankRow(row))),
        dim,
      );
    case 'hamming':
      return hamming(data, dim);
    case 'jaccard':
      return jaccard(data, dim);
    default:
      throw new OptionError(
        'INVALID_OPTION',
        `unknown distance '${String(distance)}'; expected one of ${DISTANCE_NAMES.join(', ')} or a function`,
      );
  }
}

function euclideanOver(values: Float32Array | Float64Array, dim: number, name: string): PreparedDistance {
  return {
    name,
    isMetric: true,
    euclideanRows: { values, dim },
    between(i, j) {
      const a = i * dim;
      const b = j * dim;
      let sum = 0;
      for (let k = 0; k < dim; k++) {
        const diff = values[a + k] - values[b + k];
        sum += diff * diff;
      }
      return Math.sqrt(sum);
    },
  };
}

/** Per-feature sample standard deviation (n - 1 in the denominator, as MATLAB's `std`). */
export function featureStandardDeviations(data: Float32Array, n: number, dim: number): Float64Array {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) mean[k] += data[i * dim + k];
  for (let k = 0; k < dim; k++) mean[k] /= n;
  const std = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dim; k++) {
      const diff = data[i * dim + k] - mean[k];
      std[k] += diff * diff;
    }
  }
  for (let k = 0; k < dim; k++) std[k] = n > 1 ? Math.sqrt(std[k] / (n - 1)) : 0;
  return std;
}

/**
 * Euclidean distance after dividing each feature by its scale. A constant feature (scale 0) differs by 0 between
 * every pair, so it is left out rather than turning every distance into NaN.
 */
function standardizedEuclidean(
  data: Float32Array,
  n: number,
  dim: number,
  scale: ArrayLike<number> | undefined,
): PreparedDistance {
  const s = scale ?? featureStandardDeviations(data, n, dim);
  if (s.length !== dim) {
    throw new OptionError(
      'INVALID_OPTION',
      `seuclidean scale has ${s.length} values, expected one per feature (${dim})`,
    );
  }
  const scaled = new Float64Array(n * dim);
  for (let k = 0; k < dim; k++) {
    const sk = s[k];
    if (!(sk >= 0)) throw new OptionError('INVALID_OPTION', `seuclidean scale[${k}] must be >= 0, got ${sk}`);
    const factor = sk > 0 ? 1 / sk : 0;
    for (let i = 0; i < n; i++) scaled[i * dim + k] = data[i * dim + k] * factor;
  }
  return euclideanOver(scaled, dim, 'seuclidean');
}

function cityblock(data: Float32Array, dim: number): PreparedDistance {
  return {
    name: 'cityblock',
    isMetric: true,
    between(i, j) {
      const a = i * dim;
      const b = j * dim;
      let sum = 0;
      for (let k = 0; k < dim; k++) sum += Math.abs(data[a + k] - data[b + k]);
      return sum;
    },
  };
}

function chebychev(data: Float32Array, dim: number): PreparedDistance {
  return {
    name: 'chebychev',
    isMetric: true,
    between(i, j) {
      const a = i * dim;
      const b = j * dim;
      let max = 0;
      for (let k = 0; k < dim; k++) {
        const diff = Math.abs(data[a + k] - data[b + k]);
        if (diff > max) max = diff;
      }
      return max;
    },
  };
}

function minkowski(data: Float32Array, dim: number, p: number): PreparedDistance {
  if (!(p > 0) || !Number.isFinite(p)) {
    throw new OptionError('INVALID_OPTION', `minkowski exponent must be a positive finite number, got ${p}`);
  }
  return {
    name: 'minkowski',
    // For p < 1 the triangle inequality fails.
    isMetric: p >= 1,
    between(i, j) {
      const a = i * dim;
      const b = j * dim;
      let sum = 0;
      for (let k = 0; k < dim; k++) sum += Math.abs(data[a + k] - data[b + k]) ** p;
      return sum ** (1 / p);
    },
  };
}

/**
 * sqrt((x - y) C⁻¹ (x - y)ᵀ) with C the sample covariance of the data. With C = L Lᵀ (Cholesky), this is the
 * euclidean distance between rows whitened by L⁻¹, which is computed once. A singular covariance (fewer points than
 * features, or linearly dependent features) has no inverse: that is an error, not a silent pseudo-inverse.
 */
function mahalanobis(data: Float32Array, n: number, dim: number): PreparedDistance {
  const covariance = sampleCovariance(data, n, dim);
  const lower = cholesky(covariance, dim);
  if (!lower) {
    throw new OptionError(
      'INVALID_OPTION',
      `mahalanobis distance needs an invertible covariance, but the covariance of these ${n} points × ${dim} features ` +
        `is singular; reduce the features first (numPCAComponents < ${Math.min(n - 1, dim)}) or use 'seuclidean'`,
    );
  }
  const whitened = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    // Forward substitution L z = x (the mean cancels in differences, so rows are not centred).
    const row = i * dim;
    for (let r = 0; r < dim; r++) {
      let sum = data[row + r];
      for (let c = 0; c < r; c++) sum -= lower[r * dim + c] * whitened[row + c];
      whitened[row + r] = sum / lower[r * dim + r];
    }
  }
  return euclideanOver(whitened, dim, 'mahalanobis');
}

/** Sample covariance (n - 1 in the denominator), dim × dim row-major. */
export function sampleCovariance(data: Float32Array, n: number, dim: number): Float64Array {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) mean[k] += data[i * dim + k];
  for (let k = 0; k < dim; k++) mean[k] /= n;
  const covariance = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dim; k++) centred[k] = data[i * dim + k] - mean[k];
    for (let r = 0; r < dim; r++) {
      const cr = centred[r];
      for (let c = 0; c <= r; c++) covariance[r * dim + c] += cr * centred[c];
    }
  }
  const denominator = Math.max(n - 1, 1);
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c <= r; c++) {
      const v = covariance[r * dim + c] / denominator;
      covariance[r * dim + c] = v;
      covariance[c * dim + r] = v;
    }
  }
  return covariance;
}

/** Lower Cholesky factor, or undefined when the matrix is not (numerically) positive definite. */
function cholesky(matrix: Float64Array, dim: number): Float64Array | undefined {
  let largestDiagonal = 0;
  for (let k = 0; k < dim; k++) largestDiagonal = Math.max(largestDiagonal, matrix[k * dim + k]);
  // Pivots this small relative to the largest variance mean the matrix is singular up to rounding.
  const floor = largestDiagonal * dim * 1e-12;
  const lower = new Float64Array(dim * dim);
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c <= r; c++) {
      let sum = matrix[r * dim + c];
      for (let k = 0; k < c; k++) sum -= lower[r * dim + k] * lower[c * dim + k];
      if (r === c) {
        if (!(sum > floor)) return undefined;
        lower[r * dim + r] = Math.sqrt(sum);
      } else {
        lower[r * dim + c] = sum / lower[c * dim + c];
      }
    }
  }
  return lower;
}

function centerRow(row: Float64Array): Float64Array {
  let mean = 0;
  for (let k = 0; k < row.length; k++) mean += row[k];
  mean /= row.length;
  for (let k = 0; k < row.length; k++) row[k] -= mean;
  return row;
}

/** Ranks 1..dim, ties sharing their average rank (as Spearman's coefficient defines them). */
export function rankRow(row: Float64Array): Float64Array {
  const order = Array.from(row.keys()).sort((a, b) => row[a] - row[b]);
  const ranks = new Float64Array(row.length);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && row[order[end]] === row[order[start]]) end++;
    const average = (start + end + 1) / 2; // mean of ranks start+1 .. end
    for (let t = start; t < end; t++) ranks[order[t]] = average;
    start = end;
  }
  return ranks;
}

/** Each row transformed, then scaled to unit length, so the distance is 1 - dot product. */
function normalizedRows(
  data: Float32Array,
  n: number,
  dim: number,
  name: string,
  transform: (row: Float64Array) => Float64Array,
): Float64Array {
  const out = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const row = transform(Float64Array.from(data.subarray(i * dim, (i + 1) * dim)));
    let norm = 0;
    for (let k = 0; k < dim; k++) norm += row[k] * row[k];
    norm = Math.sqrt(norm);
    if (!(norm > 0)) {
      const what = name === 'cosine' ? 'all zeros' : 'constant';
      throw new OptionError(
        'INVALID_INPUT',
        `${name} distance is undefined for row ${i}, which is ${what}; remove such rows or use another distance`,
      );
    }
    for (let k = 0; k < dim; k++) out[i * dim + k] = row[k] / norm;
  }
  return out;
}

/** 1 - cos is not a metric (no triangle inequality), so neighbour search falls back to brute force. */
function oneMinusDot(name: string, rows: Float64Array, dim: number): PreparedDistance {
  return {
    name,
    isMetric: false,
    between(i, j) {
      const a = i * dim;
      const b = j * dim;
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += rows[a + k] * rows[b + k];
      // Rounding can push 1 - dot of identical rows slightly below 0.
      return Math.max(0, 1 - dot);
    },
  };
}

function hamming(data: Float32Array, dim: number): PreparedDistance {
  return {
    name: 'hamming',
    isMetric: true,
    between(i, j) {
      const a = i * dim;
      const b = j * dim;
      let differ = 0;
      for (let k = 0; k < dim; k++) if (data[a + k] !== data[b + k]) differ++;
      return differ / dim;
    },
  };
}

/** Share of the coordinates where at least one row is nonzero that differ; 0 when both rows are all zero. */
function jaccard(data: Float32Array, dim: number): PreparedDistance {
  return {
    name: 'jaccard',
    isMetric: true,
    between(i, j) {
      const a = i * dim;
      const b = j * dim;
      let nonzero = 0;
      let differ = 0;
      for (let k = 0; k < dim; k++) {
        const x = data[a + k];
        const y = data[b + k];
        if (x !== 0 || y !== 0) {
          nonzero++;
          if (x !== y) differ++;
        }
      }
      return nonzero === 0 ? 0 : differ / nonzero;
    },
  };
}

/** A user function is not known to obey the triangle inequality, so it is searched by brute force. */
function userDistance(data: Float32Array, dim: number, fn: DistanceFunction): PreparedDistance {
  return {
    name: fn.name || 'custom',
    isMetric: false,
    between(i, j) {
      const d = fn(data.subarray(i * dim, (i + 1) * dim), data.subarray(j * dim, (j + 1) * dim));
      if (!(d >= 0) || !Number.isFinite(d)) {
        throw new OptionError(
          'INVALID_OPTION',
          `the distance function returned ${d} for rows ${i} and ${j}; it must return a finite number >= 0`,
        );
      }
      return d;
    },
  };
}
