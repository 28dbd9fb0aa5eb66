/**
 * The plots people read for table explanations, as vega-lite specs with inline data (render them with
 * `renderSvg` / `renderPlotPng`): LIME's signed coefficients (MATLAB's plot(lime)); for Shapley values a bar
 * chart of one query point (MATLAB's plot(shapley)) or of the mean |φ| over many, a waterfall from the base
 * value to the prediction, a beeswarm summary coloured by feature value, and a dependence plot of one feature.
 */
import { OptionError } from '../../errors.js';
import { PLOT_FONT, type TopLevelSpec } from '../../render/plot.js';
import type { TableLimeResult } from './lime.js';
import { featureIndex } from './schema.js';
import type { TableShapleyResult } from './shapley.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const POSITIVE = '#d6604d';
const NEGATIVE = '#4393c3';

function base(title: string, width: number, height: number): Partial<TopLevelSpec> {
  return { $schema: SCHEMA, title, width, height, background: 'white', config: { font: PLOT_FONT } };
}

const round = (v: number) => Number(v.toPrecision(5));

/** Horizontal bars of signed values, largest |value| (or the given order) on top, red positive, blue negative. */
function signedBars(
  rows: { name: string; value: number }[],
  title: string,
  xTitle: string,
  keepOrder = false,
): TopLevelSpec {
  const values = rows.map((r) => ({
    ...r,
    value: round(r.value),
    sign: r.value >= 0 ? 'positive' : 'negative',
  }));
  const sorted = keepOrder ? rows : [...rows].sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  const order = sorted.map((r) => r.name);
  return {
    ...base(title, 420, Math.max(60, 22 * rows.length)),
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'name', type: 'nominal', sort: order, title: null },
      x: { field: 'value', type: 'quantitative', title: xTitle },
      color: {
        field: 'sign',
        type: 'nominal',
        scale: { domain: ['positive', 'negative'], range: [POSITIVE, NEGATIVE] },
        legend: null,
      },
      tooltip: [{ field: 'name' }, { field: 'value' }],
    },
  } as TopLevelSpec;
}

/**
 * The simple model against the model at the query point, and how well it fits: a regression's values and
 * weighted R², a classifier's classes and the weighted agreement on the synthetic data.
 */
export function limeFitSummary(result: TableLimeResult): string {
  if (result.task === 'classification') {
    return `model ${result.blackboxFitted}, simple ${result.simpleModelType} model ${result.simpleModelFitted} (agreement ${(100 * result.goodnessOfFit.accuracy).toFixed(1)}%)`;
  }
  return `model ${result.blackboxFitted.toPrecision(4)}, simple ${result.simpleModelType} model ${result.simpleModelFitted.toPrecision(4)} (weighted R² ${result.goodnessOfFit.r2.toFixed(3)})`;
}

export function limeBarSpec(result: TableLimeResult): TopLevelSpec {
  const what =
    result.simpleModelType === 'tree'
      ? 'predictor importance'
      : result.task === 'classification'
        ? `log-odds coefficient (${result.targetName})`
        : 'coefficient';
  return signedBars(
    result.importantPredictors.map((name, j) => ({ name, value: result.coefficients[j] })),
    `LIME: ${limeFitSummary(result)}`,
    what,
    true,
  );
}

function outputIndex(result: TableShapleyResult, output: number | string | undefined, query = 0): number {
  if (output === undefined) return result.outputs.length === 1 ? 0 : result.explanations[query].predicted;
  const index = typeof output === 'number' ? output : result.outputs.indexOf(output);
  if (!(index >= 0 && index < result.outputs.length)) {
    throw new OptionError(
      'INVALID_OPTION',
      `unknown output '${output}': expected one of ${result.outputs.join(', ')}`,
    );
  }
  return index;
}

function valuesOf(result: TableShapleyResult, q: number, o: number): Float32Array {
  const m = result.features.length;
  return result.explanations[q].values.subarray(o * m, (o + 1) * m);
}

/** One query point's Shapley values (default the first, for its predicted class). */
export function shapleyBarSpec(
  result: TableShapleyResult,
  query = 0,
  output?: number | string,
): TopLevelSpec {
  checkQuery(result, query);
  const o = outputIndex(result, output, query);
  const phi = valuesOf(result, query, o);
  return signedBars(
    result.features.map((name, f) => ({ name, value: phi[f] })),
    `Shapley values (${result.method}) for ${result.outputs[o]}, query point ${query}`,
    'Shapley value',
  );
}

/** Mean |φ| over the query points per feature (MATLAB's plot of MeanAbsoluteShapley). */
export function meanAbsoluteShapleySpec(result: TableShapleyResult, output?: number | string): TopLevelSpec {
  const o = outputIndex(result, output);
  const m = result.features.length;
  return signedBars(
    result.features.map((name, f) => ({ name, value: result.meanAbsoluteShapley[o * m + f] })),
    `Mean |Shapley value| over ${result.explanations.length} query points, ${result.outputs[o]}`,
    'mean |Shapley value|',
  );
}

function checkQuery(result: TableShapleyResult, query: number): void {
  if (!(Number.isInteger(query) && query >= 0 && query < result.explanations.length)) {
    throw new OptionError(
      'INVALID_OPTION',
      `query point ${query} is out of range 0..${result.explanations.length - 1}`,
    );
  }
}

/** From the base value (mean prediction) feature by feature, largest |φ| first, to the prediction. */
export function waterfallSpec(result: TableShapleyResult, query = 0, output?: number | string): TopLevelSpec {
  checkQuery(result, query);
  const o = outputIndex(result, output, query);
  const phi = valuesOf(result, query, o);
  const order = result.features.map((_, f) => f).sort((a, b) => Math.abs(phi[b]) - Math.abs(phi[a]) || a - b);
  const baseValue = result.baseValue[o];
  let level = baseValue;
  const values = order.map((f) => {
    const start = level;
    level += phi[f];
    const raw = result.explanations[query].query[f];
    return {
      name: `${result.features[f]} = ${round(raw)}`,
      start: round(start),
      end: round(level),
      value: round(phi[f]),
      sign: phi[f] >= 0 ? 'positive' : 'negative',
    };
  });
  const names = values.map((v) => v.name);
  return {
    ...base(
      `Shapley waterfall for ${result.outputs[o]}, query point ${query}: ${round(baseValue)} → ${round(result.explanations[query].prediction[o])}`,
      420,
      Math.max(60, 22 * values.length),
    ),
    data: { values },
    layer: [
      {
        mark: 'bar',
        encoding: {
          y: { field: 'name', type: 'nominal', sort: names, title: null },
          x: {
            field: 'start',
            type: 'quantitative',
            title: `${result.outputs[o]} (base value → prediction)`,
            scale: { zero: false },
          },
          x2: { field: 'end' },
          color: {
            field: 'sign',
            type: 'nominal',
            scale: { domain: ['positive', 'negative'], range: [POSITIVE, NEGATIVE] },
            legend: null,
          },
          tooltip: [{ field: 'name' }, { field: 'value' }],
        },
      },
      {
        mark: { type: 'rule', strokeDash: [4, 3], color: '#555' },
        encoding: { x: { datum: round(baseValue) } },
      },
    ],
  } as TopLevelSpec;
}

/** Rank of each value within its array, scaled to [0, 1] (ties share the lower rank). */
function normalizedRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v || a.i - b.i);
  const out = new Array<number>(values.length).fill(0);
  const last = Math.max(1, values.length - 1);
  order.forEach(({ i }, r) => (out[i] = r / last));
  return out;
}

/**
 * Every query point's φ per feature, one row per feature (largest mean |φ| on top), points spread vertically
 * by a deterministic swarm offset and coloured from low (blue) to high (red) feature value.
 */
export function beeswarmSpec(result: TableShapleyResult, output?: number | string): TopLevelSpec {
  const o = outputIndex(result, output);
  const m = result.features.length;
  const order = result.features
    .map((_, f) => f)
    .sort((a, b) => result.meanAbsoluteShapley[o * m + b] - result.meanAbsoluteShapley[o * m + a] || a - b);
  const values: Record<string, number | string>[] = [];
  for (const f of order) {
    const phi = result.explanations.map((_, q) => valuesOf(result, q, o)[f]);
    const raw = result.explanations.map((e) => e.query[f]);
    const colour = normalizedRanks(raw);
    const offsets = swarmOffsets(phi);
    phi.forEach((v, q) => {
      values.push({
        feature: result.features[f],
        value: round(v),
        featureValue: round(raw[q]),
        colour: round(colour[q]),
        offset: offsets[q],
        query: q,
      });
    });
  }
  return {
    ...base(
      `Shapley values (${result.method}) of ${result.explanations.length} query points, ${result.outputs[o]}`,
      440,
      0,
    ),
    height: { step: 28 },
    data: { values },
    mark: { type: 'circle', size: 22, opacity: 0.85 },
    encoding: {
      y: { field: 'feature', type: 'nominal', sort: order.map((f) => result.features[f]), title: null },
      yOffset: { field: 'offset', type: 'quantitative', scale: { domain: [-1, 1] } },
      x: { field: 'value', type: 'quantitative', title: 'Shapley value' },
      color: {
        field: 'colour',
        type: 'quantitative',
        title: 'feature value',
        scale: { scheme: 'redblue', reverse: true, domain: [0, 1] },
        legend: { values: [0, 1], labelExpr: "datum.value == 0 ? 'low' : 'high'", gradientLength: 120 },
      },
      tooltip: [
        { field: 'feature' },
        { field: 'featureValue', title: 'value' },
        { field: 'value', title: 'Shapley value' },
        { field: 'query' },
      ],
    },
  } as TopLevelSpec;
}

/** Vertical offsets in [−1, 1] that stack points with close values into a symmetric swarm. */
function swarmOffsets(values: readonly number[]): number[] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const bins = 40;
  const width = (hi - lo) / bins || 1;
  const counts = new Map<number, number>();
  const raw = values.map((v) => {
    const bin = Math.min(bins - 1, Math.floor((v - lo) / width));
    const k = counts.get(bin) ?? 0;
    counts.set(bin, k + 1);
    // 0, +1, −1, +2, −2, ...
    return k === 0 ? 0 : (k % 2 === 1 ? 1 : -1) * Math.ceil(k / 2);
  });
  const most = Math.max(1, ...raw.map(Math.abs));
  return raw.map((r) => round(r / most));
}

/** φ of one feature against its value over the query points, coloured by the model's prediction. */
export function dependenceSpec(
  result: TableShapleyResult,
  feature: string | number,
  output?: number | string,
): TopLevelSpec {
  const f = featureIndex(result, feature);
  const o = outputIndex(result, output);
  const values = result.explanations.map((e, q) => ({
    featureValue: round(e.query[f]),
    value: round(valuesOf(result, q, o)[f]),
    prediction: round(e.prediction[o]),
    query: q,
  }));
  return {
    ...base(`Shapley dependence of ${result.features[f]}, ${result.outputs[o]}`, 420, 300),
    data: { values },
    mark: { type: 'circle', size: 36, opacity: 0.85 },
    encoding: {
      x: { field: 'featureValue', type: 'quantitative', title: result.features[f], scale: { zero: false } },
      y: { field: 'value', type: 'quantitative', title: `Shapley value of ${result.features[f]}` },
      color: {
        field: 'prediction',
        type: 'quantitative',
        title: `prediction (${result.outputs[o]})`,
        scale: { scheme: 'viridis' },
      },
      tooltip: [{ field: 'query' }, { field: 'featureValue' }, { field: 'value' }, { field: 'prediction' }],
    },
  } as TopLevelSpec;
}
