/**
 * Seeded Gaussian mixture used by the t-SNE tests and benchmark. `tools/reference/tsne_sklearn.py` implements the
 * same generator, so the scikit-learn reference runs on exactly the same points.
 */
import { OptionError } from '../errors.js';
import { seededRandom } from './random.js';

export interface GaussianMixtureOptions {
  /** Number of points. */
  n: number;
  /** Features per point. */
  dim: number;
  /** Number of clusters; point i belongs to cluster i mod clusters. */
  clusters: number;
  /** Standard deviation of the cluster centres around the origin (points have unit variance around them). */
  centerScale: number;
  seed: number;
}

export interface LabelledData {
  /** n × dim, row-major. */
  data: Float32Array;
  labels: Int32Array;
  n: number;
  dim: number;
}

/** Centres first (clusters × dim normals, scaled), then each point as centre + unit normal noise, in row order. */
export function gaussianMixture(options: GaussianMixtureOptions): LabelledData {
  const { n, dim, clusters, centerScale, seed } = options;
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(dim) || dim < 1) {
    throw new OptionError(
      'INVALID_OPTION',
      `gaussianMixture needs positive integer n and dim, got n=${n}, dim=${dim}`,
    );
  }
  if (!Number.isInteger(clusters) || clusters < 1) {
    throw new OptionError(
      'INVALID_OPTION',
      `gaussianMixture needs a positive integer cluster count, got ${clusters}`,
    );
  }
  const random = seededRandom(seed);
  const centers = new Float64Array(clusters * dim);
  for (let i = 0; i < centers.length; i++) centers[i] = centerScale * random.normal();
  const data = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    labels[i] = c;
    for (let k = 0; k < dim; k++) data[i * dim + k] = centers[c * dim + k] + random.normal();
  }
  return { data, labels, n, dim };
}
