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
