/**
 * Interventional Shapley values of table features: on the synthetic regression fixture (y = 3·x0 − 2·x1 +
 * 1.5·x2² + 2·x0·x3, x4..x7 unused) they match the values of the true function on the same background rows;
 * on the wine classifier a 1 024-coalition budget stays close to exact enumeration.
 */
import { describe, expect, it } from 'vitest';
import { fixtureModelPath, loadTableSamples } from '../../src/data/samples.js';
import { OptionError } from '../../src/errors.js';
import { loadModel } from '../../src/node/load.js';
import { tabularShap } from '../../src/methods/shapley/index.js';

function rows(values: Float32Array, features: number, first: number, count: number) {
  return { data: values.slice(first * features, (first + count) * features), dims: [count, features] };
}

/** Interventional Shapley values of the synthetic target function against the given background rows. */
function trueValues(query: Float32Array, background: Float32Array, features: number): number[] {
  const n = background.length / features;
  const mean = (f: (b: Float32Array) => number) => {
    let s = 0;
    for (let r = 0; r < n; r++) s += f(background.subarray(r * features, (r + 1) * features));
    return s / n;
  };
  const [m0, m1, m3] = [mean((b) => b[0]), mean((b) => b[1]), mean((b) => b[3])];
  const m2sq = mean((b) => b[2] ** 2);
  const m03 = mean((b) => b[0] * b[3]);
  // 2·x0·x3 is a two-player game: v(∅) = 2·m03, v({0}) = 2·q0·m3, v({3}) = 2·m0·q3, v({0, 3}) = 2·q0·q3.
  const [ve, v0, v3, v03] = [2 * m03, 2 * query[0] * m3, 2 * m0 * query[3], 2 * query[0] * query[3]];
  return [
    3 * (query[0] - m0) + 0.5 * (v0 - ve + (v03 - v3)),
    -2 * (query[1] - m1),
    1.5 * (query[2] ** 2 - m2sq),
    0.5 * (v3 - ve + (v03 - v0)),
    ...new Array<number>(features - 4).fill(0),
  ];
}

describe('tabularShap', () => {
  it('recovers the Shapley values of the function the synthetic regression model learned', async () => {
    const model = await loadModel(fixtureModelPath('tabular-mlp-synthetic'));
    try {
      const set = loadTableSamples('tabular-mlp-synthetic', { normalized: true });
      const F = set.features.length;
      const background = rows(set.values, F, 0, 200);
      const queries = rows(set.values, F, 300, 10);
      const r = await tabularShap(model, background, queries, { maxNumBackground: 200 });
      expect(r.score).toBe('output');
      expect(r.backgroundRows).toBe(200);
      expect(r.forwardRows).toBe(10 + 10 * 256 * 200);
      const truths = r.explanations.map((_, q) =>
        trueValues(queries.data.subarray(q * F, (q + 1) * F), background.data, F),
      );
      const scale = Math.max(...truths.flat().map(Math.abs));
      r.explanations.forEach((e, q) => {
        expect(e.exact).toBe(true);
        const sum = e.shapleyValues.reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo(e.prediction - e.baseValue, 4);
        for (let f = 0; f < F; f++)
          expect(Math.abs(e.shapleyValues[f] - truths[q][f])).toBeLessThan(0.04 * scale);
      });
    } finally {
      await model.dispose();
    }
  });

  it('on the wine classifier: 1 024 coalitions stay close to exact enumeration; efficiency holds', async () => {
    const model = await loadModel(fixtureModelPath('tabular-mlp-wine'));
    try {
      const set = loadTableSamples('tabular-mlp-wine', { normalized: true });
      const F = set.features.length;
      const background = rows(set.values, F, 0, 40);
      const queries = rows(set.values, F, 40, 3);
      const sampled = await tabularShap(model, background, queries);
      const exact = await tabularShap(model, background, queries, { maxNumSubsets: 2 ** F });
      expect(sampled.score).toBe('probability');
      sampled.explanations.forEach((e, q) => {
        expect(e.exact).toBe(false);
        expect(e.numSubsets).toBe(1024);
        expect(exact.explanations[q].exact).toBe(true);
        expect(e.target).toBe(exact.explanations[q].target);
        expect(e.shapleyValues.reduce((a, b) => a + b, 0)).toBeCloseTo(e.prediction - e.baseValue, 5);
        const truth = exact.explanations[q].shapleyValues;
        const scale = Math.max(...Array.from(truth, Math.abs));
        const rms = Math.sqrt(truth.reduce((s, v, f) => s + (v - e.shapleyValues[f]) ** 2, 0) / F);
        expect(rms).toBeLessThan(0.05 * scale);
      });
      const logits = await tabularShap(model, background, queries, { score: 'logit', target: 'class_1' });
      expect(logits.score).toBe('logit');
      expect(logits.explanations.map((e) => e.target)).toEqual([1, 1, 1]);
      await expect(tabularShap(model, background, rows(set.values, F - 1, 0, 2))).rejects.toThrow(
        OptionError,
      );
    } finally {
      await model.dispose();
    }
  });
});
