/**
 * MATLAB-style `shapley` on table models. Interventional values on the synthetic regression fixture match the
 * closed form of y = 3·x0 − 2·x1 + 1.5·x2² + 2·x0·x3 within the model's fit error and equal exact enumeration;
 * conditional values move credit onto a correlated feature the model ignores, and match a brute-force
 * computation (own nearest neighbours, Shapley values averaged over every feature order) on a small MLP.
 */
import { describe, expect, it } from 'vitest';
import { fixtureModelPath, loadTableSamples } from '../../../src/data/samples.js';
import type { TableData } from '../../../src/data/table-csv.js';
import { loadModel } from '../../../src/node/load.js';
import { encodeModel } from '../../../src/onnx/proto.js';
import { exactShapley, kernelShap } from '../../../src/methods/shapley/index.js';
import {
  conditionalNeighbours,
  shapley,
  standardize,
  tableGame,
  tableSchema,
  tableScorer,
} from '../../../src/methods/tabular/index.js';
import { createRandom } from '../../../src/util/random.js';
import { tableLinearModel, tableMlpModel, tableMlpReference } from '../../helpers/onnx-models.js';

function rows(values: Float32Array, features: string[], first: number, count: number): TableData {
  const m = features.length;
  return { features, rows: count, values: values.slice(first * m, (first + count) * m) };
}

const truth = (x: ArrayLike<number>) => 3 * x[0] - 2 * x[1] + 1.5 * x[2] ** 2 + 2 * x[0] * x[3];

/** Interventional Shapley values of the true function against the given background rows (closed form). */
function trueValues(query: Float32Array, background: Float32Array, m: number): number[] {
  const n = background.length / m;
  const mean = (f: (b: Float32Array) => number) => {
    let s = 0;
    for (let r = 0; r < n; r++) s += f(background.subarray(r * m, (r + 1) * m));
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
    ...new Array<number>(m - 4).fill(0),
  ];
}

describe('shapley (interventional) on the synthetic regression fixture', () => {
  it('matches the closed form within the fit error, equals exact enumeration, ignores x4..x7', async () => {
    const model = await loadModel(fixtureModelPath('tabular-mlp-synthetic'));
    try {
      const set = loadTableSamples('tabular-mlp-synthetic');
      const m = set.features.length;
      const background = rows(set.values, set.features, 0, 100);
      const queries = rows(set.values, set.features, 300, 8);
      const r = await shapley(model, background, { queryPoints: queries });
      expect(r.method).toBe('interventional');
      expect(r.outputs).toEqual(['target']);
      expect(r.backgroundRows).toBe(100);
      expect(r.exact).toBe(true);
      expect(r.numSubsets).toBe(256);
      // The model's fit error: its largest deviation from the noiseless function over the sample rows (the
      // features are independent, so the rows each coalition mixes are distributed like these). A Shapley value
      // averages differences of two such means, so it is off by at most twice that.
      const scorer = await tableScorer(model, tableSchema(model));
      const fitted = await scorer.score(set.values, set.count);
      let fitError = 0;
      for (let i = 0; i < set.count; i++) {
        fitError = Math.max(fitError, Math.abs(fitted[i] - truth(set.values.subarray(i * m, (i + 1) * m))));
      }
      expect(fitError).toBeLessThan(1);
      r.explanations.forEach((e, q) => {
        const expected = trueValues(e.query, background.values, m);
        expect(e.additivityError).toBeLessThan(1e-4 * (1 + Math.abs(e.prediction[0])));
        for (let f = 0; f < m; f++) expect(Math.abs(e.values[f] - expected[f])).toBeLessThan(2 * fitError);
        expect(e.query).toEqual(queries.values.subarray(q * m, (q + 1) * m));
      });
      const total = r.meanAbsoluteShapley.reduce((a, b) => a + b, 0);
      for (let f = 4; f < m; f++) expect(r.meanAbsoluteShapley[f]).toBeLessThan(0.02 * total);
      for (let f = 0; f < 4; f++) expect(r.meanAbsoluteShapley[f]).toBeGreaterThan(0.05 * total);

      // Exact enumeration of the same game (the Shapley formula over all 2^8 coalitions).
      const schema = tableSchema(model);
      const game = tableGame('interventional', {
        scorer,
        background: standardize(schema, background.values),
        numFeatures: m,
        query: standardize(schema, queries.values.slice(0, m)),
        categorical: new Array<boolean>(m).fill(false),
      });
      const exact = await exactShapley(game);
      const scale = Math.max(...Array.from(exact.values, Math.abs));
      exact.values.forEach((v, f) =>
        expect(Math.abs(r.explanations[0].values[f] - v)).toBeLessThan(1e-5 * scale),
      );
      // A sampled budget stays near it.
      const sampled = await shapley(model, background, {
        queryPoints: rows(set.values, set.features, 300, 1),
        maxNumSubsets: 64,
      });
      expect(sampled.exact).toBe(false);
      sampled.explanations[0].values.forEach((v, f) =>
        expect(Math.abs(v - exact.values[f])).toBeLessThan(0.1 * scale),
      );
    } finally {
      await model.dispose();
    }
  });

  it('on the wine classifier: one value per class and feature, additivity per class', async () => {
    const model = await loadModel(fixtureModelPath('tabular-mlp-wine'));
    try {
      const set = loadTableSamples('tabular-mlp-wine');
      const r = await shapley(model, rows(set.values, set.features, 0, 40), {
        queryPoints: rows(set.values, set.features, 40, 2),
        maxNumSubsets: 300,
      });
      expect(r.outputs).toEqual(['class_0', 'class_1', 'class_2']);
      expect(r.score).toBe('probability');
      expect(r.meanAbsoluteShapley.length).toBe(3 * 13);
      for (const e of r.explanations) {
        expect(e.values.length).toBe(3 * 13);
        expect(e.additivityError).toBeLessThan(1e-5);
        expect(e.prediction.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
      // The rows of every query point are streamed through shared batches (here 1 000 rows, so batches split
      // coalitions and query points) and averaged with a fused softmax: the same numbers as Kernel SHAP run on
      // each query point's own game, one coalition block at a time (the same bits where the runtime gives each
      // row the same bits in any batch; 1e-6 allows a kernel that does not).
      const streamed = await shapley(model, rows(set.values, set.features, 0, 40), {
        queryPoints: rows(set.values, set.features, 40, 2),
        maxNumSubsets: 300,
        miniBatchSize: 1000,
      });
      const schema = tableSchema(model);
      const scorer = await tableScorer(model, schema);
      for (let q = 0; q < 2; q++) {
        const game = tableGame('interventional', {
          scorer,
          background: standardize(schema, rows(set.values, set.features, 0, 40).values),
          numFeatures: 13,
          query: standardize(schema, rows(set.values, set.features, 40 + q, 1).values),
          categorical: new Array<boolean>(13).fill(false),
        });
        const alone = await kernelShap(game, { maxNumSubsets: 300 });
        alone.values.forEach((v, i) => {
          expect(Math.abs(streamed.explanations[q].values[i] - v)).toBeLessThan(1e-6);
          expect(Math.abs(r.explanations[q].values[i] - v)).toBeLessThan(1e-6);
        });
      }
    } finally {
      await model.dispose();
    }
  });
});

/** x0 ~ N(0, 1), x1 = x0 + 0.1·noise (strongly correlated), x2 ~ N(0, 1) independent. */
function correlatedTable(n: number, seed: number): TableData {
  const random = createRandom(seed);
  const values = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const x0 = random.normal();
    values.set([x0, x0 + 0.1 * random.normal(), random.normal()], i * 3);
  }
  return { features: ['x0', 'x1', 'x2'], rows: n, values };
}

describe('shapley (conditional)', () => {
  it('shares the credit of a feature with the correlated feature the model ignores', async () => {
    // y = 2·x0 + x2: x1 is unused, but it carries the same information as x0.
    const model = await loadModel(
      encodeModel(tableLinearModel(Float32Array.from([2, 0, 1]), Float32Array.from([0]), 3)),
    );
    try {
      const background = correlatedTable(200, 5);
      const query: TableData = {
        features: background.features,
        rows: 1,
        values: Float32Array.from([1.5, 1.52, 0.3]),
      };
      const options = { queryPoints: query, maxNumBackground: 200 };
      const interventional = await shapley(model, background, options);
      const conditional = await shapley(model, background, { ...options, method: 'conditional' });
      const [i0, i1, i2] = interventional.explanations[0].values;
      const [c0, c1, c2] = conditional.explanations[0].values;
      expect(Math.abs(i1)).toBeLessThan(1e-5);
      expect(i0).toBeGreaterThan(2);
      // Knowing x1 tells x0: conditional values split x0's effect between them, both positive.
      expect(c1).toBeGreaterThan(0.25 * i0);
      expect(c0).toBeLessThan(0.75 * i0);
      expect(c0).toBeGreaterThan(0.25 * i0);
      // The independent feature keeps about the same value.
      expect(Math.abs(c2 - i2)).toBeLessThan(0.35 * Math.abs(i2) + 0.1);
      expect(conditional.explanations[0].additivityError).toBeLessThan(1e-5);
    } finally {
      await model.dispose();
    }
  });

  it('matches a brute-force computation on a small MLP', async () => {
    const model = await loadModel(encodeModel(tableMlpModel()));
    try {
      const background = correlatedTable(40, 9);
      const n = background.rows;
      const queries = { features: background.features, rows: 3, values: correlatedTable(3, 10).values };
      const r = await shapley(model, background, { queryPoints: queries, method: 'conditional' });
      expect(r.exact).toBe(true);
      const k = conditionalNeighbours(n);
      expect(k).toBe(4);
      const v = background.values;
      const sd = [0, 1, 2].map((f) => {
        let mean = 0;
        for (let i = 0; i < n; i++) mean += v[i * 3 + f] / n;
        let s = 0;
        for (let i = 0; i < n; i++) s += (v[i * 3 + f] - mean) ** 2 / n;
        return Math.sqrt(s);
      });
      for (let q = 0; q < 3; q++) {
        const x = queries.values.subarray(q * 3, q * 3 + 3);
        const value = (set: number[]): number => {
          if (set.length === 3) return tableMlpReference(x);
          const dist = (i: number) => set.reduce((s, f) => s + ((v[i * 3 + f] - x[f]) / sd[f]) ** 2, 0);
          const all = Array.from({ length: n }, (_, i) => i);
          const pick = set.length === 0 ? all : [...all].sort((a, b) => dist(a) - dist(b)).slice(0, k);
          let s = 0;
          for (const i of pick)
            s += tableMlpReference([0, 1, 2].map((f) => (set.includes(f) ? x[f] : v[i * 3 + f])));
          return s / pick.length;
        };
        // Average marginal contribution over all 3! feature orders.
        const orders = [
          [0, 1, 2],
          [0, 2, 1],
          [1, 0, 2],
          [1, 2, 0],
          [2, 0, 1],
          [2, 1, 0],
        ];
        const phi = [0, 0, 0];
        for (const order of orders) {
          const before: number[] = [];
          for (const f of order) {
            const without = value(before);
            before.push(f);
            phi[f] += (value(before) - without) / orders.length;
          }
        }
        const scale = Math.max(...phi.map(Math.abs), 1e-3);
        phi.forEach((p, f) =>
          expect(Math.abs(r.explanations[q].values[f] - p)).toBeLessThan(1e-4 * scale + 1e-6),
        );
      }
    } finally {
      await model.dispose();
    }
  });
});
