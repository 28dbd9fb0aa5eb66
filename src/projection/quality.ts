/** Quality measures of an embedding. */
import { OptionError } from '../errors.js';
import { prepareDistance } from './distances.js';
import { nearestNeighbors } from './neighbors.js';
import { seededRandom } from './random.js';

/**
 * Share of each point's k nearest embedded neighbours that carry its label, averaged over points: near 1 when
 * labelled clusters stay together in the embedding.
 */
export function neighbourLabelAgreement(
  embedding: Float32Array,
  n: number,
  numDimensions: number,
  labels: ArrayLike<number>,
  k = 10,
): number {
  if (labels.length !== n) {
    throw new OptionError(
      'INVALID_INPUT',
      `neighbourLabelAgreement needs one label per point (${n}), got ${labels.length}`,
    );
  }
  if (!Number.isInteger(k) || k < 1 || k >= n) {
    throw new OptionError(
      'INVALID_OPTION',
      `neighbourLabelAgreement k must be an integer in [1, ${n - 1}], got ${k}`,
    );
  }
  const neighbours = nearestNeighbors(
    prepareDistance(embedding, n, numDimensions, 'euclidean'),
    n,
    k,
    seededRandom(0),
  );
  let agree = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) if (labels[neighbours.indices[i * k + t]] === labels[i]) agree++;
  }
  return agree / (n * k);
}

/**
 * Trustworthiness (Venna & Kaski 2001; scikit-learn's `trustworthiness`, euclidean): 1 minus a penalty for every
 * point among a point's k nearest embedded neighbours that is not among its k nearest input neighbours, weighted
 * by how far down the input ranking it sits. 1 when every embedded neighbourhood is an input neighbourhood.
 * O(n² (dim + k)) time: meant for a few thousand points.
 */
export function trustworthiness(
  data: Float32Array,
  dim: number,
  embedding: Float32Array,
  numDimensions: number,
  n: number,
  k = 10,
): number {
  if (!Number.isInteger(k) || k < 1 || 2 * n - 3 * k - 1 <= 0) {
    throw new OptionError(
      'INVALID_OPTION',
      `trustworthiness k must be a positive integer below 2n/3, got ${k}`,
    );
  }
  if (data.length !== n * dim || embedding.length !== n * numDimensions) {
    throw new OptionError(
      'INVALID_INPUT',
      `trustworthiness needs n × dim data and n × numDimensions embedding`,
    );
  }
  const embedded = nearestNeighbors(
    prepareDistance(embedding, n, numDimensions, 'euclidean'),
    n,
    k,
    seededRandom(0),
    undefined,
    'exact',
  );
  const row = new Float64Array(n);
  let penalty = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let c = 0; c < dim; c++) {
        const d = data[i * dim + c] - data[j * dim + c];
        sum += d * d;
      }
      row[j] = sum;
    }
    row[i] = -1;
    for (let t = 0; t < k; t++) {
      const d = row[embedded.indices[i * k + t]];
      // Input rank of the embedded neighbour: 1 + the points (other than i) strictly closer to i.
      let rank = 1;
      for (let j = 0; j < n; j++) if (row[j] < d && j !== i) rank++;
      if (rank > k) penalty += rank - k;
    }
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;
}
