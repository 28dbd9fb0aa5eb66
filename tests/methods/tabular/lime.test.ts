/**
 * MATLAB-style `lime` on table models: the linear simple model recovers the coefficients of a linear model
 * (in raw units, through the model's recorded standardisation), the synthetic regression fixture's important
 * predictors are x0..x3, and the synthetic data is a function of the seed.
 */
import { describe, expect, it } from 'vitest';
import { fixtureModelPath, loadTableSamples } from '../../../src/data/samples.js';
import type { TableData } from '../../../src/data/table-csv.js';
import { OptionError } from '../../../src/errors.js';
import { lime } from '../../../src/methods/tabular/index.js';
import { loadModel } from '../../../src/node/load.js';
import { encodeModel } from '../../../src/onnx/proto.js';
import { createRandom } from '../../../src/util/random.js';
import { tableLinearModel } from '../../helpers/onnx-models.js';

function row(table: TableData, r: number): TableData {
  const m = table.features.length;
  return { features: table.features, rows: 1, values: table.values.slice(r * m, (r + 1) * m) };
}

const FEATURES = ['a', 'b', 'c', 'd'];
const MEAN = [10, -2, 0.5, 100];
const STD = [2, 0.5, 1, 25];
const WEIGHTS = [1.5, -0.8, 0.3, 2];

function rawTable(n: number, seed: number): TableData {
  const random = createRandom(seed);
  const values = new Float32Array(n * 4);
  for (let i = 0; i < values.length; i++) values[i] = random.normal(MEAN[i % 4], STD[i % 4]);
  return { features: FEATURES, rows: n, values };
}

describe('lime on table models', () => {
  it('recovers the coefficients of a linear model through its standardisation', async () => {
    const metadata = {
      'netlens.input': JSON.stringify({ kind: 'table', features: FEATURES, mean: MEAN, std: STD }),
    };
    const model = await loadModel(
      encodeModel(tableLinearModel(Float32Array.from(WEIGHTS), Float32Array.from([0.7]), 4, metadata)),
    );
    try {
      const data = rawTable(300, 1);
      for (const dataLocality of ['global', 'local'] as const) {
        const r = await lime(model, data, {
          queryPoint: row(data, 3),
          dataLocality,
          numNeighbors: 100,
          numSyntheticData: 500,
        });
        expect(r.importantPredictors.length).toBe(4);
        // y = Σ w (x − mean) / std + 0.7: per raw unit the coefficient is w / std.
        r.importantIndices.forEach((f, j) => expect(r.coefficients[j]).toBeCloseTo(WEIGHTS[f] / STD[f], 4));
        const intercept = 0.7 - WEIGHTS.reduce((s, w, f) => s + (w * MEAN[f]) / STD[f], 0);
        expect(r.intercept).toBeCloseTo(intercept, 3);
        if (r.task !== 'regression') throw new Error('a one-output model is a regression');
        expect(r.goodnessOfFit.r2).toBeGreaterThan(0.999999);
        expect(r.simpleModelFitted).toBeCloseTo(r.blackboxFitted, 4);
        // Most important first: the effect over one std of the data is about |w|: d, a, b, c.
        expect(r.importantPredictors).toEqual(['d', 'a', 'b', 'c']);
      }
      const two = await lime(model, data, {
        queryPoint: row(data, 3),
        numImportantPredictors: 2,
        numSyntheticData: 500,
      });
      expect(two.importantPredictors).toEqual(['d', 'a']);
      await expect(
        lime(model, data, { queryPoint: row(data, 3), numImportantPredictors: 5 }),
      ).rejects.toThrow(OptionError);
    } finally {
      await model.dispose();
    }
  });

  it('finds x0..x3 important on the synthetic regression fixture (linear and tree)', async () => {
    const model = await loadModel(fixtureModelPath('tabular-mlp-synthetic'));
    try {
      const set = loadTableSamples('tabular-mlp-synthetic');
      const data: TableData = { features: set.features, rows: set.count, values: set.values };
      // A query where every informative term has a clear slope (x0, x3 away from 0 for the product, x2 for the square).
      const query: TableData = {
        features: set.features,
        rows: 1,
        values: Float32Array.from([1, -1, 1.2, 1, 0.1, -0.2, 0.3, 0]),
      };
      const linear = await lime(model, data, {
        queryPoint: query,
        numImportantPredictors: 4,
        kernelWidth: 0.3,
      });
      expect([...linear.importantPredictors].sort()).toEqual(['x0', 'x1', 'x2', 'x3']);
      const all = await lime(model, data, { queryPoint: query, kernelWidth: 0.3 });
      expect(all.importantPredictors.length).toBe(8);
      expect([...all.importantPredictors.slice(0, 4)].sort()).toEqual(['x0', 'x1', 'x2', 'x3']);
      const tree = await lime(model, data, {
        queryPoint: query,
        numImportantPredictors: 4,
        simpleModelType: 'tree',
        numSyntheticData: 2000,
      });
      expect(tree.simpleModelType).toBe('tree');
      expect([...tree.importantPredictors].sort()).toEqual(['x0', 'x1', 'x2', 'x3']);
    } finally {
      await model.dispose();
    }
  });

  it('fits a classification simple model of a classifier: its decision at the query point is the model decision', async () => {
    // Two classes split by the plane 2·x0 − x1 + 0.5·x2 = 0 (logit of class 1 minus class 0); x3 plays no part.
    const normal = [2, -1, 0.5, 0];
    const w = new Float32Array(8);
    normal.forEach((v, f) => (w[f * 2 + 1] = v));
    const model = await loadModel(encodeModel(tableLinearModel(w, Float32Array.from([0, 0]), 4)));
    try {
      const random = createRandom(11);
      const values = new Float32Array(400 * 4);
      for (let i = 0; i < values.length; i++) values[i] = random.normal();
      const data: TableData = { features: ['x0', 'x1', 'x2', 'x3'], rows: 400, values };
      const margin = (q: number) => normal.reduce((s, v, f) => s + v * values[q * 4 + f], 0);
      // Query points clearly on either side of the plane.
      const queries = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((q) => Math.abs(margin(q)) > 1).slice(0, 4);
      expect(new Set(queries.map((q) => margin(q) > 0)).size).toBe(2);
      for (const q of queries) {
        const expected = margin(q) > 0 ? 'class 1' : 'class 0';
        const linear = await lime(model, data, {
          queryPoint: row(data, q),
          numImportantPredictors: 4,
          numSyntheticData: 1500,
        });
        if (linear.task !== 'classification') throw new Error('a two-class model is a classifier');
        expect(linear.blackboxFitted).toBe(expected);
        expect(linear.targetName).toBe(expected);
        expect(linear.simpleModelFitted).toBe(expected);
        expect(linear.goodnessOfFit.accuracy).toBeGreaterThan(0.97);
        // The logistic model's direction is the plane's normal (towards the explained class).
        const sign = expected === 'class 1' ? 1 : -1;
        const coef = new Array<number>(4).fill(0);
        linear.importantIndices.forEach((f, j) => (coef[f] = linear.coefficients[j]));
        const dot = coef.reduce((s, c, f) => s + c * sign * normal[f], 0);
        const norms = Math.hypot(...coef) * Math.hypot(...normal);
        expect(dot / norms).toBeGreaterThan(0.98);
        expect(linear.importantPredictors[3]).toBe('x3');

        const tree = await lime(model, data, {
          queryPoint: row(data, q),
          simpleModelType: 'tree',
          numImportantPredictors: 3,
          numSyntheticData: 1500,
        });
        if (tree.task !== 'classification') throw new Error('a two-class model is a classifier');
        expect(tree.simpleModelFitted).toBe(expected);
        expect(tree.goodnessOfFit.accuracy).toBeGreaterThan(0.9);
        expect([...tree.importantPredictors].sort()).toEqual(['x0', 'x1', 'x2']);
      }
      // The other class as the linear model's positive one: the simple model says "not" it.
      const q = queries[0];
      const other = margin(q) > 0 ? 0 : 1;
      const flipped = await lime(model, data, {
        queryPoint: row(data, q),
        target: other,
        numSyntheticData: 1500,
      });
      expect(flipped.simpleModelFitted).toBe(`not class ${other}`);
      await expect(
        lime(model, data, { queryPoint: row(data, q), simpleModelType: 'tree', target: 1 }),
      ).rejects.toThrow(OptionError);
    } finally {
      await model.dispose();
    }
  });

  it('same seed, same result; another seed, other synthetic rows', async () => {
    const model = await loadModel(fixtureModelPath('tabular-mlp-wine'));
    try {
      const set = loadTableSamples('tabular-mlp-wine');
      const data: TableData = { features: set.features, rows: set.count, values: set.values };
      const options = { queryPoint: row(data, 7), numSyntheticData: 800, seed: 3 };
      const a = await lime(model, data, options);
      const b = await lime(model, data, options);
      const c = await lime(model, data, { ...options, seed: 4 });
      expect(JSON.stringify({ ...a, syntheticData: Array.from(a.syntheticData.values) })).toBe(
        JSON.stringify({ ...b, syntheticData: Array.from(b.syntheticData.values) }),
      );
      expect(Array.from(c.syntheticData.values)).not.toEqual(Array.from(a.syntheticData.values));
      expect(a.targetName).toBe(set.classNames![a.target]);
      expect(a.task).toBe('classification');
      expect(a.blackboxFitted).toBe(a.targetName);
    } finally {
      await model.dispose();
    }
  });

  it('draws categorical predictors from their levels and explains them as "same level as the query"', async () => {
    // y = 2·c + x with c a level code in {0, 1, 2}: only levels seen in the data may be drawn.
    const model = await loadModel(
      encodeModel(tableLinearModel(Float32Array.from([2, 1]), Float32Array.from([0]), 2)),
    );
    try {
      const random = createRandom(8);
      const values = new Float32Array(200 * 2);
      for (let i = 0; i < 200; i++) values.set([i % 3, random.normal()], i * 2);
      const data: TableData = { features: ['x0', 'x1'], rows: 200, values };
      const query: TableData = { features: data.features, rows: 1, values: Float32Array.from([2, 0.5]) };
      const r = await lime(model, data, {
        queryPoint: query,
        categoricalPredictors: ['x0'],
        numSyntheticData: 600,
      });
      const drawn = new Set(Array.from({ length: 600 }, (_, i) => r.syntheticData.values[i * 2]));
      expect([...drawn].sort()).toEqual([0, 1, 2]);
      // Being at level 2 raises y by 2·(2 − mean of the other levels 0 and 1) = 3 on average.
      const j = r.importantPredictors.indexOf('x0');
      expect(r.coefficients[j]).toBeGreaterThan(2.5);
      expect(r.coefficients[j]).toBeLessThan(3.5);
      // x1's slope is 1; the levels 0 and 1 left in the residual are independent of x1 (sampling error ~0.05).
      expect(Math.abs(r.coefficients[r.importantPredictors.indexOf('x1')] - 1)).toBeLessThan(0.15);
    } finally {
      await model.dispose();
    }
  });
});
