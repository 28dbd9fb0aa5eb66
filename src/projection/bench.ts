/**
 * t-SNE benchmark entry for the benchmark runner: the seeded 10-cluster Gaussian mixture (50 features) of the
 * scikit-learn reference (`tools/reference/tsne_sklearn.py`), embedded with the same settings, so that times
 * and KL divergences compare with `tests/projection/reference/tsne-sklearn.json`.
 */
import { gaussianMixture, type GaussianMixtureOptions } from './gaussian-mixture.js';
import { neighbourLabelAgreement } from './quality.js';
import { tsne, type TsneOptions } from './tsne.js';

/** The reference mixture (n varies). */
export const REFERENCE_MIXTURE: Omit<GaussianMixtureOptions, 'n'> = {
  dim: 50,
  clusters: 10,
  centerScale: 1,
  seed: 1,
};

/**
 * scikit-learn's Barnes–Hut settings (sklearn >= 1.2 defaults with a random start): exaggeration 12 for 250
 * iterations, learning rate 'auto', perplexity 30, angle (theta) 0.5, 1000 iterations, the KL computed every 50
 * iterations (its n_iter_check; each costs a logarithm per nonzero of P).
 */
export const SKLEARN_SETTINGS: TsneOptions = {
  algorithm: 'barneshut',
  perplexity: 30,
  exaggeration: 12,
  exaggerationIterations: 250,
  learnRate: 'auto',
  theta: 0.5,
  maxIterations: 1000,
  tolerance: 1e-10,
  numPrint: 50,
};

export interface TsneBenchResult {
  n: number;
  algorithm: string;
  /** Wall time of the whole `tsne` call. */
  seconds: number;
  /** CPU time (user + system) of the process during the call: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  /** Time per stage (seconds): neighbour search (with the calibration on its threads), the rest of P, the descent. */
  stages: { preprocessing: number; neighbours: number; affinities: number; optimization: number };
  /** Threads the jobs ran on. */
  threads: number;
  /** Final KL divergence (Barnes–Hut estimate, as scikit-learn reports it). */
  kl: number;
  iterations: number;
  /** Share of each point's 10 nearest embedded neighbours in its own cluster. */
  agreement10: number;
}

/** `overrides` may set `algorithm: undefined` to take the automatic choice by size. */
export async function benchTsne(n: number, seed = 0, overrides: TsneOptions = {}): Promise<TsneBenchResult> {
  const { data, labels, dim } = gaussianMixture({ n, ...REFERENCE_MIXTURE });
  const start = Date.now();
  const cpu = process.cpuUsage();
  const result = await tsne(data, n, dim, { ...SKLEARN_SETTINGS, ...overrides, seed });
  const used = process.cpuUsage(cpu);
  const seconds = (Date.now() - start) / 1000;
  const { preprocessing, neighbours, affinities, optimization } = result.timings;
  return {
    n,
    algorithm: result.algorithm,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    stages: {
      preprocessing: preprocessing / 1000,
      neighbours: neighbours / 1000,
      affinities: affinities / 1000,
      optimization: optimization / 1000,
    },
    threads: result.threads,
    kl: result.kl[result.kl.length - 1],
    iterations: result.iterations,
    agreement10: neighbourLabelAgreement(result.embedding, n, result.numDimensions, labels, 10),
  };
}
