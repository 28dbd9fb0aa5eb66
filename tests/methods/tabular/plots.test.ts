/** Table plots render from their inline data, and the numbers drawn are the explanation's. */
import { describe, expect, it } from 'vitest';
import { fixtureModelPath, loadTableSamples } from '../../../src/data/samples.js';
import type { TableData } from '../../../src/data/table-csv.js';
import {
  beeswarmSpec,
  dependenceSpec,
  lime,
  limeBarSpec,
  meanAbsoluteShapleySpec,
  shapley,
  shapleyBarSpec,
  waterfallSpec,
} from '../../../src/methods/tabular/index.js';
import { loadModel } from '../../../src/node/load.js';
import { renderSvg } from '../../../src/render/plot.js';

type Row = Record<string, number | string>;
const rowsOf = (spec: unknown) => (spec as { data: { values: Row[] } }).data.values;

describe('table plots', () => {
  it('draw LIME coefficients and Shapley bars, waterfall, beeswarm and dependence', async () => {
    const model = await loadModel(fixtureModelPath('tabular-mlp-wine'));
    try {
      const set = loadTableSamples('tabular-mlp-wine');
      const m = set.features.length;
      const data: TableData = { features: set.features, rows: set.count, values: set.values };
      const queries: TableData = { features: set.features, rows: 12, values: set.values.slice(0, 12 * m) };
      const r = await shapley(model, data, { queryPoints: queries, maxNumSubsets: 200 });
      const l = await lime(model, data, {
        queryPoint: { features: set.features, rows: 1, values: set.values.slice(0, m) },
        numImportantPredictors: 5,
        numSyntheticData: 500,
      });

      const limeRows = rowsOf(limeBarSpec(l));
      expect(limeRows.map((x) => x.name)).toEqual(l.importantPredictors);
      limeRows.forEach((x, j) => expect(x.value).toBeCloseTo(l.coefficients[j], 3));

      const o = r.explanations[0].predicted;
      const waterfall = rowsOf(waterfallSpec(r, 0));
      expect(waterfall.length).toBe(m);
      expect(waterfall[0].start).toBeCloseTo(r.baseValue[o], 4);
      expect(waterfall[m - 1].end).toBeCloseTo(r.explanations[0].prediction[o], 3);

      const bars = rowsOf(shapleyBarSpec(r, 0));
      expect(bars.map((x) => x.name)).toEqual(set.features);
      const swarm = rowsOf(beeswarmSpec(r));
      expect(swarm.length).toBe(12 * m);
      for (const x of swarm) {
        expect(Math.abs(x.offset as number)).toBeLessThanOrEqual(1);
        expect(x.colour).toBeGreaterThanOrEqual(0);
      }
      const proline = rowsOf(dependenceSpec(r, 'proline'));
      proline.forEach((x, q) => expect(x.featureValue).toBeCloseTo(set.values[q * m + m - 1], 2));
      expect(() => dependenceSpec(r, 'prolin')).toThrow(/unknown feature 'prolin'/);

      for (const spec of [
        limeBarSpec(l),
        shapleyBarSpec(r, 3),
        meanAbsoluteShapleySpec(r),
        waterfallSpec(r, 1),
        beeswarmSpec(r),
        dependenceSpec(r, 0),
      ]) {
        const svg = await renderSvg(spec);
        expect(svg).toMatch(/^<svg/);
        expect(svg).toContain(set.features[0]);
      }
    } finally {
      await model.dispose();
    }
  });
});
