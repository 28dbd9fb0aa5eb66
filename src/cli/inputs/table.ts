/**
 * Table models at the command line: `netlens lime|shapley|kernel-shap model.onnx data.csv --query 7` and
 * `netlens report model.onnx data.csv`. The CSV's columns are matched to the model's features by name; query
 * points are rows of it (--query) or of a second CSV (--query-csv); the background is the data itself, another
 * CSV (--background) or a bundled sample set (--background-samples). Everything is computed and rendered before
 * the first file is written, so a failure leaves no partial output.
 */
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { loadManifest } from '../../data/manifest.js';
import { loadTableSamples } from '../../data/samples.js';
import { readTableCsv, selectRows, type TableData } from '../../data/table-csv.js';
import { OptionError } from '../../errors.js';
import type { OnnxModel } from '../../model.js';
import { lime, type TableLimeOptions, type TableLimeResult } from '../../methods/tabular/lime.js';
import {
  beeswarmSpec,
  dependenceSpec,
  limeBarSpec,
  limeFitSummary,
  meanAbsoluteShapleySpec,
  shapleyBarSpec,
  waterfallSpec,
} from '../../methods/tabular/plots.js';
import { featureIndex, tableSchema, type TableSchema } from '../../methods/tabular/schema.js';
import { tableScorer } from '../../methods/tabular/scorer.js';
import { shapley, shapleyEvaluation, type TableShapleyResult } from '../../methods/tabular/shapley.js';
import { outputNames } from '../../methods/tabular/table.js';
import { renderPlotPng, renderSvg, type TopLevelSpec } from '../../render/plot.js';
import { writeFileAtomic } from '../../render/png.js';
import { buildTableReport } from '../../report/table-report.js';
import { tableRowWorker } from '../../node/table-rows.js';
import { miniBatchSize, parseChoice, parseNumber, parsePositiveInt } from '../options.js';
import { printJson, toJson } from '../output.js';
import { createProgress } from '../progress.js';
import type { CliFlags, InputCommand, InputCommandContext, InputKind } from './index.js';

const DATA_OPTIONS = [
  ['--query <rows>', 'table models: query rows of the CSV, 0-based: 7, 1,4,9 or 0-19'],
  ['--query-csv <file>', 'table models: query points from a second CSV'],
  [
    '--categorical <names>',
    'table models: categorical predictors (comma-separated names), besides the model metadata',
  ],
  ['--target <class>', 'class index or name to explain (default: the predicted class)'],
  ['--seed <n>', 'random seed'],
  ['--out <file|dir>', 'table models: a .png/.svg plot, or a folder for every plot and the JSON'],
  [
    '--plot <kind>',
    'table models: the plot for a single --out file (bar, waterfall, beeswarm, mean, dependence)',
  ],
  ['--feature <name>', 'table models: the feature of the dependence plot (default the most important)'],
] as const;

const SHAPLEY_OPTIONS = [
  ...DATA_OPTIONS,
  ['--score <kind>', "table classifiers: 'probability' (default) or 'logit'"],
  ['--method <method>', "table models: 'interventional' (default) or 'conditional'"],
  ['--max-num-subsets <n>', 'coalitions per query point at most (default min(2^M, 1024))'],
  ['--max-num-background <n>', 'table models: background rows used at most (default 100)'],
  ['--background <file>', 'table models: background data CSV (default the data CSV)'],
  [
    '--background-samples <fixture>',
    'table models: a bundled sample set as background (e.g. tabular-mlp-wine)',
  ],
] as const;

const LIME_OPTIONS = [
  ...DATA_OPTIONS,
  ['--num-important-predictors <n>', 'table models: predictors in the simple model (default min(M, 10))'],
  ['--simple-model-type <type>', "table models: 'linear' (default) or 'tree'"],
  ['--kernel-width <w>', 'table models: kernel width on distances scaled to [0, 1] (default 0.75)'],
  ['--data-locality <where>', "table models: 'global' (default) or 'local' synthetic data"],
  ['--num-neighbors <n>', "table models: rows near the query point that 'local' uses (default 1500)"],
  ['--num-synthetic-data <n>', 'table models: synthetic rows (default 5000)'],
  ['--distance <metric>', 'table models: euclidean (default), seuclidean, cityblock or chebychev'],
] as const;

const str = (flags: CliFlags, key: string): string | undefined =>
  typeof flags[key] === 'string' ? (flags[key] as string) : undefined;

/** '7', '1,4,9', '0-19' → row indices. */
export function parseRows(value: string, flag = '--query'): number[] {
  const rows: number[] = [];
  for (const part of value.split(',').map((p) => p.trim())) {
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (range) {
      const [first, last] = [Number(range[1]), Number(range[2])];
      if (last < first) throw new OptionError('INVALID_OPTION', `${flag} range ${part} runs backwards`);
      if (last - first >= 1_000_000)
        throw new OptionError('INVALID_OPTION', `${flag} range ${part} is too long`);
      for (let r = first; r <= last; r++) rows.push(r);
    } else if (/^\d+$/.test(part)) {
      rows.push(Number(part));
    } else {
      throw new OptionError(
        'INVALID_OPTION',
        `${flag} must list row numbers like 7, 1,4,9 or 0-19, got '${value}'`,
      );
    }
  }
  return rows;
}

interface TableInputs {
  schema: TableSchema;
  dataFile: string;
  data: TableData;
  queries: TableData;
  /** Row label per query point (CSV row index, or 'file row'). */
  queryRows: string[];
}

function loadInputs(
  model: OnnxModel,
  args: readonly string[],
  flags: CliFlags,
  defaultAll: boolean,
): TableInputs {
  if (args.length !== 1) {
    throw new OptionError(
      'INVALID_OPTION',
      `a table model takes one CSV file of data, got ${args.length} arguments`,
    );
  }
  const categorical = str(flags, 'categorical')
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const schema = tableSchema(model, categorical);
  const dataFile = args[0];
  const data = readTableCsv(dataFile, schema);
  const queryCsv = str(flags, 'queryCsv');
  const query = str(flags, 'query');
  if (queryCsv !== undefined && query !== undefined) {
    throw new OptionError('INVALID_OPTION', 'give --query rows or --query-csv, not both');
  }
  if (queryCsv !== undefined) {
    const queries = readTableCsv(queryCsv, schema);
    return {
      schema,
      dataFile,
      data,
      queries,
      queryRows: rowLabels(queries.rows, `${path.basename(queryCsv)} row `),
    };
  }
  if (query === undefined && !defaultAll) {
    throw new OptionError(
      'INVALID_OPTION',
      'name the query point: --query ROW (0-based data row) or --query-csv FILE',
    );
  }
  const rows = query === undefined ? Array.from({ length: data.rows }, (_, r) => r) : parseRows(query);
  return { schema, dataFile, data, queries: selectRows(data, rows), queryRows: rows.map((r) => `row ${r}`) };
}

function rowLabels(count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, r) => `${prefix}${r}`);
}

function backgroundOf(inputs: TableInputs, flags: CliFlags): TableData {
  const file = str(flags, 'background');
  const samples = str(flags, 'backgroundSamples');
  if (file !== undefined && samples !== undefined) {
    throw new OptionError('INVALID_OPTION', 'give --background or --background-samples, not both');
  }
  if (file !== undefined) return readTableCsv(file, inputs.schema);
  if (samples !== undefined) return sampleTable(samples, inputs.schema);
  return inputs.data;
}

/** A bundled table sample set with its columns matched to the model's features by name. */
function sampleTable(name: string, schema: TableSchema): TableData {
  if (loadManifest(name).samples.format !== 'table') {
    throw new OptionError('INVALID_OPTION', `--background-samples ${name} is not a table sample set`);
  }
  const set = loadTableSamples(name);
  const at = schema.features.map((f) => {
    const i = set.features.indexOf(f);
    if (i < 0) throw new OptionError('INVALID_OPTION', `sample set ${name} has no feature '${f}'`);
    return i;
  });
  const m = schema.features.length;
  const values = new Float32Array(set.count * m);
  for (let r = 0; r < set.count; r++)
    at.forEach((i, f) => (values[r * m + f] = set.values[r * set.features.length + i]));
  return { features: schema.features, rows: set.count, values };
}

function seedOf(flags: CliFlags): number {
  const raw = str(flags, 'seed') ?? '0';
  const seed = Number(raw);
  if (!Number.isInteger(seed))
    throw new OptionError('INVALID_OPTION', `--seed must be an integer, got '${raw}'`);
  return seed;
}

function targetOf(flags: CliFlags): number | string | undefined {
  const t = str(flags, 'target')?.trim();
  if (t === undefined) return undefined;
  if (t === '' || t.includes(','))
    throw new OptionError('INVALID_OPTION', '--target takes one class index or name for table models');
  return /^\d+$/.test(t) ? Number(t) : t;
}

const optInt = (flags: CliFlags, key: string, flag: string) =>
  str(flags, key) !== undefined ? parsePositiveInt(str(flags, key)!, flag) : undefined;
const optNumber = (flags: CliFlags, key: string, flag: string) =>
  str(flags, key) !== undefined ? parseNumber(str(flags, key)!, flag) : undefined;
const optChoice = <T extends string>(flags: CliFlags, key: string, flag: string, choices: readonly T[]) =>
  str(flags, key) !== undefined ? parseChoice(str(flags, key)!, flag, choices) : undefined;

type PlotKind = 'bar' | 'waterfall' | 'beeswarm' | 'mean' | 'dependence';

interface OutputFile {
  name: string;
  spec?: TopLevelSpec;
  text?: string;
}

/** Renders every plot first, then writes: one file (.png / .svg) or a folder of them. */
async function writeOutputs(out: string, single: OutputFile, all: readonly OutputFile[]): Promise<string[]> {
  const lower = out.toLowerCase();
  if (lower.endsWith('.png') || lower.endsWith('.svg')) {
    if (!single.spec) throw new OptionError('INVALID_OPTION', `nothing to plot into ${out}`);
    const bytes = lower.endsWith('.svg') ? await renderSvg(single.spec) : await renderPlotPng(single.spec);
    await writeFileAtomic(out, bytes);
    return [out];
  }
  if (lower.endsWith('.json'))
    throw new OptionError(
      'INVALID_OPTION',
      `--out takes a .png/.svg file or a folder; use --json for JSON on stdout`,
    );
  const rendered: { file: string; bytes: Uint8Array | string }[] = [];
  for (const f of all) {
    rendered.push({
      file: path.join(out, f.name),
      bytes: f.spec ? await renderPlotPng(f.spec) : (f.text ?? ''),
    });
  }
  await mkdir(out, { recursive: true });
  for (const r of rendered) await writeFileAtomic(r.file, r.bytes);
  return rendered.map((r) => r.file);
}

const fmt = (v: number) =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toPrecision(4);
const signed = (v: number) => `${v >= 0 ? '+' : ''}${fmt(v)}`;

function limeJson(inputs: TableInputs, results: readonly TableLimeResult[]) {
  return {
    method: 'lime',
    data: inputs.dataFile,
    features: inputs.schema.features,
    explanations: results.map((r, q) => {
      const { syntheticData: _synthetic, query, features: _features, ...rest } = r;
      return { query: inputs.queryRows[q], queryPoint: query, ...rest };
    }),
  };
}

async function runLime(
  model: OnnxModel,
  args: readonly string[],
  flags: CliFlags,
  { globals }: InputCommandContext,
): Promise<void> {
  const inputs = loadInputs(model, args, flags, false);
  const options: Omit<TableLimeOptions, 'queryPoint'> = {
    schema: inputs.schema,
    numImportantPredictors: optInt(flags, 'numImportantPredictors', '--num-important-predictors'),
    simpleModelType: optChoice(flags, 'simpleModelType', '--simple-model-type', ['linear', 'tree'] as const),
    kernelWidth: optNumber(flags, 'kernelWidth', '--kernel-width'),
    dataLocality: optChoice(flags, 'dataLocality', '--data-locality', ['global', 'local'] as const),
    numNeighbors: optInt(flags, 'numNeighbors', '--num-neighbors'),
    numSyntheticData: optInt(flags, 'numSyntheticData', '--num-synthetic-data'),
    distance: optChoice(flags, 'distance', '--distance', [
      'euclidean',
      'seuclidean',
      'cityblock',
      'chebychev',
    ] as const),
    target: targetOf(flags),
    seed: seedOf(flags),
    miniBatchSize: miniBatchSize(flags),
  };
  // LIME has one plot: checked so that a mistaken --plot is an error, not ignored.
  optChoice(flags, 'plot', '--plot', ['bar'] as const);
  const progress = createProgress('lime', !globals.json && globals.progress !== false);
  const results: TableLimeResult[] = [];
  for (let q = 0; q < inputs.queries.rows; q++) {
    progress.onProgress({ done: q, total: inputs.queries.rows, stage: inputs.queryRows[q] });
    results.push(await lime(model, inputs.data, { ...options, queryPoint: selectRows(inputs.queries, [q]) }));
  }
  progress.stop();
  const out = str(flags, 'out');
  let files: string[] = [];
  if (out) {
    const plots = results.map((r, q) => ({
      name: `lime-${inputs.queryRows[q].replace(/[^A-Za-z0-9.-]+/g, '-')}.png`,
      spec: limeBarSpec(r),
    }));
    if (results.length > 1 && /\.(png|svg)$/i.test(out)) {
      throw new OptionError(
        'INVALID_OPTION',
        `${results.length} query points: give --out a folder, not ${out}`,
      );
    }
    files = await writeOutputs(out, plots[0], [
      ...plots,
      { name: 'lime.json', text: `${toJson(limeJson(inputs, results))}\n` },
    ]);
  }
  if (globals.json) {
    printJson({ ...limeJson(inputs, results), files });
    return;
  }
  results.forEach((r, q) => {
    const terms = r.importantPredictors.map((name, j) => `${name} ${signed(r.coefficients[j])}`).join(', ');
    process.stdout.write(`${inputs.queryRows[q]}: ${limeFitSummary(r)}: ${terms}\n`);
  });
  if (files.length)
    process.stdout.write(`wrote ${files.length === 1 ? files[0] : `${files.length} files to ${out}`}\n`);
}

function shapleyJson(inputs: TableInputs, r: TableShapleyResult) {
  const maxError = Math.max(...r.explanations.map((e) => e.additivityError));
  return {
    method: 'shapley',
    valueFunction: r.method,
    data: inputs.dataFile,
    features: r.features,
    outputs: r.outputs,
    score: r.score,
    baseValue: r.baseValue,
    exact: r.exact,
    numSubsets: r.numSubsets,
    backgroundRows: r.backgroundRows,
    seed: r.seed,
    forwardRows: r.forwardRows,
    ...(r.evaluation ? { evaluation: r.evaluation } : {}),
    ...(r.graphPath ? { graphPath: r.graphPath } : {}),
    additivity: { statement: 'sum of values = prediction − baseValue, per output', maxError },
    meanAbsoluteShapley: r.meanAbsoluteShapley,
    explanations: r.explanations.map((e, q) => ({
      query: inputs.queryRows[q],
      queryPoint: e.query,
      prediction: e.prediction,
      predicted: r.outputs[e.predicted],
      shapleyValues: e.values,
      additivityError: e.additivityError,
    })),
  };
}

/**
 * From this many query points on, `shapley` builds its rows on a worker thread (it starts in tens of ms) when
 * the coalition values cannot be computed inside the runtime.
 */
const WORKER_QUERY_POINTS = 10;

async function runShapley(
  model: OnnxModel,
  args: readonly string[],
  flags: CliFlags,
  { globals }: InputCommandContext,
): Promise<void> {
  const inputs = loadInputs(model, args, flags, true);
  const background = backgroundOf(inputs, flags);
  const plot = optChoice<PlotKind>(flags, 'plot', '--plot', [
    'bar',
    'waterfall',
    'beeswarm',
    'mean',
    'dependence',
  ]);
  const progress = createProgress('shapley', !globals.json && globals.progress !== false);
  // Coalition values inside the runtime where the model allows it; otherwise, for many query points, the rows
  // are built on a worker thread while the model runs (same values as on this thread).
  const rowExecutor =
    shapleyEvaluation(model, {}) === 'rows' &&
    inputs.queries.rows >= WORKER_QUERY_POINTS &&
    availableParallelism() > 1
      ? tableRowWorker()
      : undefined;
  let r: TableShapleyResult;
  try {
    r = await shapley(model, background, {
      queryPoints: inputs.queries,
      schema: inputs.schema,
      method: optChoice(flags, 'method', '--method', ['interventional', 'conditional'] as const),
      maxNumSubsets: optInt(flags, 'maxNumSubsets', '--max-num-subsets'),
      maxNumBackground: optInt(flags, 'maxNumBackground', '--max-num-background'),
      score: optChoice(flags, 'score', '--score', ['probability', 'logit'] as const),
      seed: seedOf(flags),
      miniBatchSize: miniBatchSize(flags),
      rowExecutor,
      onProgress: progress.onProgress,
    });
  } finally {
    rowExecutor?.close();
  }
  progress.stop();
  const target = targetOf(flags);
  const many = r.explanations.length > 1;
  const m = r.features.length;
  const o = target === undefined ? (many ? undefined : r.explanations[0].predicted) : outputOf(r, target);
  const oSummary = o ?? mostCommonPrediction(r);
  const featureName = str(flags, 'feature');
  const top =
    featureName !== undefined
      ? featureIndex(r, featureName)
      : argmax(r.meanAbsoluteShapley.subarray(oSummary * m, (oSummary + 1) * m));
  const specs: Record<PlotKind, () => TopLevelSpec> = {
    bar: () => shapleyBarSpec(r, 0, o),
    waterfall: () => waterfallSpec(r, 0, o),
    beeswarm: () => beeswarmSpec(r, oSummary),
    mean: () => meanAbsoluteShapleySpec(r, oSummary),
    dependence: () => dependenceSpec(r, top, oSummary),
  };
  const out = str(flags, 'out');
  let files: string[] = [];
  if (out) {
    const kind = plot ?? (many ? 'beeswarm' : 'bar');
    if (many && (kind === 'bar' || kind === 'waterfall') && /\.(png|svg)$/i.test(out)) {
      throw new OptionError(
        'INVALID_OPTION',
        `--plot ${kind} shows one query point; ${r.explanations.length} were given (use beeswarm, mean or dependence, or a folder)`,
      );
    }
    const all: OutputFile[] = many
      ? [
          { name: 'beeswarm.png', spec: specs.beeswarm() },
          { name: 'mean-abs.png', spec: specs.mean() },
          {
            name: `dependence-${r.features[top].replace(/[^A-Za-z0-9.-]+/g, '-')}.png`,
            spec: specs.dependence(),
          },
        ]
      : [
          { name: 'bar.png', spec: specs.bar() },
          { name: 'waterfall.png', spec: specs.waterfall() },
        ];
    all.push({ name: 'shapley.json', text: `${toJson(shapleyJson(inputs, r))}\n` });
    files = await writeOutputs(out, { name: path.basename(out), spec: specs[kind]() }, all);
  }
  if (globals.json) {
    printJson({ ...shapleyJson(inputs, r), files });
    return;
  }
  const describe = (values: Float32Array, absolute = false) =>
    r.features
      .map((name, f) => ({ name, v: values[f] }))
      .sort((a, b) => Math.abs(b.v) - Math.abs(a.v))
      .slice(0, 5)
      .map((t) => `${t.name} ${absolute ? fmt(t.v) : signed(t.v)}`)
      .join(', ');
  if (!many) {
    const e = r.explanations[0];
    const k = o ?? e.predicted;
    process.stdout.write(
      `${inputs.queryRows[0]}: ${r.outputs[k]} ${fmt(e.prediction[k])} = mean ${fmt(r.baseValue[k])} + Σφ (${r.method}${r.exact ? ', exact' : `, ${r.numSubsets} coalitions`}; additivity error ${e.additivityError.toExponential(1)}): ${describe(e.values.subarray(k * m, (k + 1) * m))}\n`,
    );
  } else {
    const maxError = Math.max(...r.explanations.map((e) => e.additivityError));
    process.stdout.write(
      `${r.explanations.length} query points, ${r.method} Shapley values${r.exact ? ' (exact)' : ''}; mean |φ| for ${r.outputs[oSummary]}: ${describe(r.meanAbsoluteShapley.subarray(oSummary * m, (oSummary + 1) * m), true)} (largest additivity error ${maxError.toExponential(1)})\n`,
    );
  }
  if (files.length)
    process.stdout.write(`wrote ${files.length === 1 ? files[0] : `${files.length} files to ${out}`}\n`);
}

function outputOf(r: TableShapleyResult, target: number | string): number {
  const index =
    typeof target === 'number'
      ? target
      : r.outputs.findIndex((o) => o.toLowerCase() === target.toLowerCase());
  if (!(index >= 0 && index < r.outputs.length)) {
    throw new OptionError(
      'INVALID_OPTION',
      `unknown --target '${target}': expected one of ${r.outputs.join(', ')}`,
    );
  }
  return index;
}

function mostCommonPrediction(r: TableShapleyResult): number {
  const counts = new Array<number>(r.outputs.length).fill(0);
  for (const e of r.explanations) counts[e.predicted]++;
  return argmax(counts);
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

async function runReport(
  model: OnnxModel,
  args: readonly string[],
  flags: CliFlags,
  { modelPath, globals }: InputCommandContext,
): Promise<void> {
  const inputs = loadInputs(model, args, flags, true);
  const out = str(flags, 'out');
  if (!out) throw new OptionError('INVALID_OPTION', '--out <dir> is required');
  const limit = optInt(flags, 'limit', '--limit');
  const progress = createProgress('report', !globals.json && globals.progress !== false);
  const report = await buildTableReport({
    model,
    modelName: path.basename(modelPath),
    dataName: path.basename(inputs.dataFile),
    schema: inputs.schema,
    data: inputs.data,
    rows: limit !== undefined ? Math.min(limit, inputs.data.rows) : inputs.data.rows,
    seed: seedOf(flags),
    miniBatchSize: miniBatchSize(flags),
    onProgress: progress.onProgress,
  });
  progress.stop();
  await mkdir(out, { recursive: true });
  const file = path.join(out, 'index.html');
  await writeFileAtomic(file, report.html);
  if (globals.json) printJson({ file, sections: report.rendered, skipped: [] });
  else process.stdout.write(`wrote ${file} (${report.rendered.length} sections)\n`);
}

async function runPredict(
  model: OnnxModel,
  args: readonly string[],
  flags: CliFlags,
  { globals }: InputCommandContext,
): Promise<void> {
  const inputs = loadInputs(model, args, flags, true);
  const top = parsePositiveInt(str(flags, 'top') ?? '3', '--top');
  const scorer = await tableScorer(model, inputs.schema, { miniBatchSize: miniBatchSize(flags) });
  const scores = await scorer.score(inputs.queries.values, inputs.queries.rows);
  const names = outputNames(model, scorer.columns);
  const k = scorer.columns;
  const rows = inputs.queryRows.map((query, q) => {
    const row = Array.from(scores.subarray(q * k, (q + 1) * k));
    if (k === 1) return { query, [names[0]]: row[0] };
    const best = row
      .map((score, c) => ({ label: names[c], [scorer.kind]: score }))
      .sort((a, b) => (b[scorer.kind] as number) - (a[scorer.kind] as number))
      .slice(0, top);
    return { query, top: best };
  });
  if (globals.json) {
    printJson(rows);
    return;
  }
  rows.forEach((r, q) => {
    const row = scores.subarray(q * k, (q + 1) * k);
    const text =
      k === 1
        ? `${names[0]} ${fmt(row[0])}`
        : Array.from(row, (v, c) => ({ v, c }))
            .sort((a, b) => b.v - a.v)
            .slice(0, top)
            .map(
              ({ v, c }) =>
                `${names[c]} ${scorer.kind === 'probability' ? `${(100 * v).toFixed(1)}%` : fmt(v)}`,
            )
            .join(', ');
    process.stdout.write(`${r.query}: ${text}\n`);
  });
}

const LIME: InputCommand = {
  summary: 'MATLAB lime: a simple model around a CSV row (--query)',
  options: LIME_OPTIONS,
  run: runLime,
};
const SHAPLEY: InputCommand = {
  summary: 'MATLAB shapley of CSV rows (--query), interventional or conditional',
  options: SHAPLEY_OPTIONS,
  run: runShapley,
};

export const TABLE_INPUT: InputKind = {
  kind: 'table',
  commands: {
    lime: LIME,
    shapley: SHAPLEY,
    'kernel-shap': SHAPLEY,
    predict: { summary: 'scores of CSV rows', options: DATA_OPTIONS.slice(0, 3), run: runPredict },
    report: { summary: 'predictions, LIME and Shapley values of CSV rows', options: [], run: runReport },
  },
};
