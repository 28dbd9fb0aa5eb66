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
      expect(a.score).toBe('probability');
    } finally {
      await model.dispose();
    }
  });
});
