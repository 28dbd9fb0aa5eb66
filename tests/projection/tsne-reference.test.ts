import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REFERENCE_MIXTURE, SKLEARN_SETTINGS } from '../../src/projection/bench.js';
import { sparseAffinities } from '../../src/projection/affinities.js';
import { prepareDistance } from '../../src/projection/distances.js';
import { sparseKlDivergence } from '../../src/projection/exact.js';
import { gaussianMixture } from '../../src/projection/gaussian-mixture.js';
import { nearestNeighbors } from '../../src/projection/neighbors.js';
import { neighbourLabelAgreement } from '../../src/projection/quality.js';
import { seededRandom } from '../../src/projection/random.js';
import { tsne } from '../../src/projection/tsne.js';

/** Written by tools/reference/tsne_sklearn.py (scikit-learn's Barnes–Hut t-SNE on the same mixture). */
interface SklearnReference {
  sklearn: string;
  mixture: typeof REFERENCE_MIXTURE;
  settings: {
    perplexity: number;
    early_exaggeration: number;
    exaggeration_iterations: number;
    angle: number;
  };
  dataSamples: Record<string, { first: number[]; last: number[]; sum: number }>;
  runs: Array<{ n: number; kl: number; iterations: number; seconds: number; agreement10: number }>;
}

const reference = JSON.parse(
  readFileSync(new URL('./reference/tsne-sklearn.json', import.meta.url), 'utf8'),
) as SklearnReference;

describe('t-SNE against scikit-learn on a 10-cluster Gaussian mixture (5 000 points × 50 features)', () => {
  const n = 5000;
  const { data, labels, dim } = gaussianMixture({ n, ...REFERENCE_MIXTURE });

  it('uses the same data and settings as the reference', () => {
    expect(reference.mixture).toEqual(REFERENCE_MIXTURE);
    const samples = reference.dataSamples[String(n)];
    expect(Array.from(data.slice(0, 4))).toEqual(samples.first);
    expect(Array.from(data.slice(-4))).toEqual(samples.last);
    let sum = 0;
    for (const v of data) sum += v;
    expect(sum).toBeCloseTo(samples.sum, 6);
    expect(SKLEARN_SETTINGS.perplexity).toBe(reference.settings.perplexity);
    expect(SKLEARN_SETTINGS.exaggeration).toBe(reference.settings.early_exaggeration);
    expect(SKLEARN_SETTINGS.exaggerationIterations).toBe(reference.settings.exaggeration_iterations);
    expect(SKLEARN_SETTINGS.theta).toBe(reference.settings.angle);
  });

  it('separates the clusters (10-NN label agreement >= 0.95) at a final KL within 5% of scikit-learn', async () => {
    const sklearnKl = reference.runs.filter((run) => run.n === n).map((run) => run.kl);
    expect(sklearnKl.length).toBeGreaterThan(0);
    const meanKl = sklearnKl.reduce((a, b) => a + b, 0) / sklearnKl.length;

    const result = await tsne(data, n, dim, { ...SKLEARN_SETTINGS, seed: 0 });
    expect(result.iterations).toBe(1000);
    const kl = result.kl[result.kl.length - 1];
    expect(neighbourLabelAgreement(result.embedding, n, 2, labels, 10)).toBeGreaterThanOrEqual(0.95);
    expect(Math.abs(kl - meanKl) / meanKl).toBeLessThanOrEqual(0.05);

    // The reported KL (tree estimate of the normaliser, as scikit-learn reports it) is the embedding's true KL
    // for these affinities, up to the tree's approximation.
    const neighbours = nearestNeighbors(prepareDistance(data, n, dim, 'euclidean'), n, 90, seededRandom(0));
    const trueKl = sparseKlDivergence(sparseAffinities(neighbours, n, 30), result.embedding, 2);
    expect(Math.abs(kl - trueKl) / trueKl).toBeLessThan(0.01);
  });
});
