/**
 * UMAP through `umap-js`, behind the same interface as t-SNE. Neighbours come from this module's own search
 * (vantage-point tree or brute force), so every distance of `distances.ts` works, and all randomness comes from
 * the seeded generator.
 */
import { UMAP } from 'umap-js';
import { OptionError } from '../errors.js';
import type { ProgressCallback } from '../types.js';
import { prepareDistance, type Distance } from './distances.js';
import { nearestNeighbors } from './neighbors.js';
import { seededRandom } from './random.js';

export interface UmapOptions {
  /** Dimension of the embedding (default 2). */
  numDimensions?: number;
  /** Size of the local neighbourhood, the point itself included (default 15, as umap-js). */
  nNeighbors?: number;
  /** Smallest distance between embedded points (default 0.1). */
  minDist?: number;
  /** Scale of the embedded points (default 1). */
  spread?: number;
  /** Optimisation epochs (default: umap-js's choice from n, 200–500). */
  nEpochs?: number;
  /** Default 'euclidean'. */
  distance?: Distance;
  /** Exponent of the 'minkowski' distance (default 2). */
  exponent?: number;
  seed?: number;
  onProgress?: ProgressCallback;
}

export interface UmapResult {
  /** n × numDimensions, row-major. */
  embedding: Float32Array;
  n: number;
  numDimensions: number;
  epochs: number;
}

const YIELD_EVERY_MS = 100;

export async function umap(
  data: Float32Array,
  n: number,
  dim: number,
  options: UmapOptions = {},
): Promise<UmapResult> {
  const numDimensions = options.numDimensions ?? 2;
  const nNeighbors = options.nNeighbors ?? 15;
  if (!Number.isInteger(numDimensions) || numDimensions < 1) {
    throw new OptionError(
      'INVALID_OPTION',
      `UMAP numDimensions must be a positive integer, got ${numDimensions}`,
    );
  }
  if (!Number.isInteger(nNeighbors) || nNeighbors < 2 || nNeighbors >= n) {
    throw new OptionError(
      'INVALID_OPTION',
      `UMAP nNeighbors must be an integer in [2, ${n - 1}] (below the number of points), got ${nNeighbors}`,
    );
  }
  const random = seededRandom(options.seed ?? 0);
  const distance = prepareDistance(data, n, dim, options.distance ?? 'euclidean', {
    exponent: options.exponent,
  });
  // umap-js counts the point itself as its first neighbour, at distance 0.
  const found = nearestNeighbors(distance, n, nNeighbors - 1, random);
  const knnIndices: number[][] = [];
  const knnDistances: number[][] = [];
  for (let i = 0; i < n; i++) {
    const base = i * (nNeighbors - 1);
    knnIndices.push([i, ...found.indices.subarray(base, base + nNeighbors - 1)]);
    knnDistances.push([0, ...found.distances.subarray(base, base + nNeighbors - 1)]);
  }

  const model = new UMAP({
    nComponents: numDimensions,
    nNeighbors,
    minDist: options.minDist ?? 0.1,
    spread: options.spread ?? 1,
    nEpochs: options.nEpochs,
    random: random.uniform,
  });
  model.setPrecomputedKNN(knnIndices, knnDistances);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from(data.subarray(i * dim, (i + 1) * dim)));
  const epochs = model.initializeFit(rows);
  let lastYield = Date.now();
  for (let epoch = 0; epoch < epochs; epoch++) {
    model.step();
    if (Date.now() - lastYield > YIELD_EVERY_MS) {
      options.onProgress?.({ done: epoch + 1, total: epochs, stage: 'epochs' });
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      lastYield = Date.now();
    }
  }
  options.onProgress?.({ done: epochs, total: epochs, stage: 'epochs' });
  const result = model.getEmbedding();
  const embedding = new Float32Array(n * numDimensions);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < numDimensions; c++) embedding[i * numDimensions + c] = result[i][c];
  return { embedding, n, numDimensions, epochs };
}
