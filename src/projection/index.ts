/**
 * Projections of a data set (rows = points) to 2-D or 3-D for plotting: t-SNE, UMAP or PCA behind one call.
 * Everything here is plain TypeScript over typed arrays and runs in Node and in the browser.
 */
import { closestNames, OptionError } from '../errors.js';
import { pca, pcaWithProducts, type PcaOptions } from './pca.js';
import type { MatrixProducts } from './randomized-pca.js';
import { tsne, type TsneOptions } from './tsne.js';
import { umap, type UmapOptions } from './umap.js';

export type ProjectionMethod = 'tsne' | 'umap' | 'pca';
const METHODS: readonly ProjectionMethod[] = ['tsne', 'umap', 'pca'];

export type ProjectOptions =
  | ({ method: 'tsne' } & TsneOptions)
  | ({ method: 'umap' } & UmapOptions)
  | ({ method: 'pca' } & PcaProjectOptions);

/** PCA's options, and products for its randomised solver (Node: `ortMatrixProducts()`; JavaScript loops if absent). */
export type PcaProjectOptions = PcaOptions & { matrixProducts?: MatrixProducts };

export interface ProjectionResult {
  method: ProjectionMethod;
  /** n × numDimensions, row-major. */
  embedding: Float32Array;
  n: number;
  numDimensions: number;
  /** t-SNE: KL divergence at the recorded iterations (see `TsneResult.kl`). */
  kl?: number[];
  klIterations?: number[];
  /** t-SNE gradient steps or UMAP epochs. */
  iterations?: number;
  /** PCA: share of the variance explained by each component. */
  explainedVariance?: number[];
}

/** Project the n rows of `data` (n × dim, row-major). */
export async function project(
  data: Float32Array,
  n: number,
  dim: number,
  options: ProjectOptions,
): Promise<ProjectionResult> {
  switch (options.method) {
    case 'tsne': {
      const r = await tsne(data, n, dim, options);
      return {
        method: 'tsne',
        embedding: r.embedding,
        n,
        numDimensions: r.numDimensions,
        kl: r.kl,
        klIterations: r.klIterations,
        iterations: r.iterations,
      };
    }
    case 'umap': {
      const r = await umap(data, n, dim, options);
      return {
        method: 'umap',
        embedding: r.embedding,
        n,
        numDimensions: r.numDimensions,
        iterations: r.epochs,
      };
    }
    case 'pca': {
      const r = options.matrixProducts
        ? await pcaWithProducts(options.matrixProducts, data, n, dim, options)
        : pca(data, n, dim, options);
      return {
        method: 'pca',
        embedding: r.embedding,
        n,
        numDimensions: r.numDimensions,
        explainedVariance: r.explainedVariance,
      };
    }
    default: {
      const method = String((options as { method?: unknown }).method);
      throw new OptionError(
        'INVALID_OPTION',
        `unknown projection method '${method}'; expected one of ${METHODS.join(', ')} ` +
          `(closest: ${closestNames(method, METHODS).join(', ')})`,
      );
    }
  }
}

export { tsne, EXACT_MAX_POINTS, FFT_MIN_POINTS } from './tsne.js';
export type { TsneOptions, TsneResult, TsneAlgorithm } from './tsne.js';
export { umap, TYPED_MIN_POINTS } from './umap.js';
export type { UmapOptions, UmapResult, UmapEngine } from './umap.js';
export { pca, pcaWithProducts } from './pca.js';
export type { DataProducts, MatrixProducts } from './randomized-pca.js';
export type { PcaOptions, PcaResult, PcaSolver } from './pca.js';
export { APPROXIMATE_MIN_POINTS } from './neighbors.js';
export type { NeighbourSearch } from './neighbors.js';
export { prepareDistance, DISTANCE_NAMES } from './distances.js';
export type { Distance, DistanceName, DistanceFunction, PreparedDistance } from './distances.js';
export { gaussianMixture } from './gaussian-mixture.js';
export { neighbourLabelAgreement, trustworthiness } from './quality.js';
