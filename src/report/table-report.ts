/**
 * The report of a table model over a CSV: the model's predictions per row, LIME and Shapley values for a few
 * rows, and the Shapley summary over the data set (beeswarm, mean |φ|, dependence of the most important
 * feature). One self-contained page like the image report, built from the table methods and their plots.
 */
import type { TableData } from '../data/table-csv.js';
import { lime } from '../methods/tabular/lime.js';
import {
  beeswarmSpec,
  dependenceSpec,
  limeBarSpec,
  limeFitSummary,
  meanAbsoluteShapleySpec,
  waterfallSpec,
} from '../methods/tabular/plots.js';
import type { TableSchema } from '../methods/tabular/schema.js';
import { tableScorer } from '../methods/tabular/scorer.js';
import { shapley } from '../methods/tabular/shapley.js';
import { outputNames } from '../methods/tabular/table.js';
import { renderPlotPng } from '../render/plot.js';
import type { Model, ProgressCallback } from '../types.js';
import { escapeHtml, formatNumber, img, page, table, type PageSection } from './html.js';
import type { BuiltReport } from './report.js';

export interface TableReportInput {
  model: Model;
  modelName: string;
  dataName: string;
  schema: TableSchema;
  data: TableData;
  /** Rows of the data used as query points (the first ones; default all). */
  rows?: number;
  seed: number;
  miniBatchSize?: number;
  onProgress?: ProgressCallback;
}

/** Rows explained one by one: first, middle and last. */
function sampleRows(count: number): number[] {
  return [...new Set([0, Math.floor(count / 2), count - 1])];
}

/** Coalitions per query point in the summary: the report stays quick on many rows. */
const SUMMARY_SUBSETS = 256;

export async function buildTableReport(input: TableReportInput): Promise<BuiltReport> {
  const { model, schema, data, seed } = input;
  const m = schema.features.length;
  const count = Math.min(input.rows ?? data.rows, data.rows);
  const queries: TableData = {
    features: data.features,
    rows: count,
    values: data.values.slice(0, count * m),
  };
  const step = (done: number, stage: string) => input.onProgress?.({ done, total: 4, stage });
  const sections: PageSection[] = [];

  step(0, 'predictions');
  const scorer = await tableScorer(model, schema, { miniBatchSize: input.miniBatchSize });
  const scores = await scorer.score(queries.values, count);
  const outputs = outputNames(model, scorer.columns);
  const shown = Math.min(count, 50);
  const predictionRows = Array.from({ length: shown }, (_, r) => {
    const row = scores.subarray(r * scorer.columns, (r + 1) * scorer.columns);
    const best = row.indexOf(Math.max(...row));
    return scorer.columns === 1 ? [r, row[0]] : [r, outputs[best], row[best]];
  });
  sections.push({
    id: 'predictions',
    title: 'Predictions',
    html:
      `<p>${count} rows of ${escapeHtml(input.dataName)}${shown < count ? ` (the first ${shown} shown)` : ''}; columns matched to the model's ${m} features by name, standardised as the model records.</p>` +
      table(scorer.columns === 1 ? ['row', outputs[0]] : ['row', 'predicted', scorer.kind], predictionRows),
  });

  step(1, 'LIME');
  const explained = sampleRows(count);
  const limeFigures: string[] = [];
  for (const r of explained) {
    const result = await lime(model, data, {
      schema,
      queryPoint: { features: data.features, rows: 1, values: queries.values.slice(r * m, (r + 1) * m) },
      numSyntheticData: 2000,
      seed,
      miniBatchSize: input.miniBatchSize,
    });
    const caption = `row ${r}: ${limeFitSummary(result)}`;
    limeFigures.push(
      `<figure>${img(await renderPlotPng(limeBarSpec(result)), caption, 460)}<figcaption>${escapeHtml(caption)}</figcaption></figure>`,
    );
  }
  sections.push({
    id: 'lime',
    title: 'LIME',
    html: `<p>${scorer.columns > 1 ? "A weighted logistic regression of the model's predicted class against the others" : 'A weighted linear model'} on the most important predictors around each row (2 000 synthetic rows from the data's per-feature distributions; coefficients per raw unit${scorer.columns > 1 ? ', on the log-odds' : ''}), and the simple model's decision at the row against the model's.</p><div class="row">${limeFigures.join('\n')}</div>`,
  });

  step(2, 'Shapley values');
  const summary = await shapley(model, data, {
    schema,
    queryPoints: queries,
    maxNumSubsets: SUMMARY_SUBSETS,
    seed,
    miniBatchSize: input.miniBatchSize,
  });
  const waterfalls: string[] = [];
  for (const r of explained) {
    const e = summary.explanations[r];
    const caption = `row ${r}: ${summary.outputs[e.predicted]}`;
    waterfalls.push(
      `<figure>${img(await renderPlotPng(waterfallSpec(summary, r)), caption, 460)}<figcaption>${escapeHtml(caption)}</figcaption></figure>`,
    );
  }
  const maxError = Math.max(...summary.explanations.map((e) => e.additivityError));
  sections.push({
    id: 'shapley',
    title: 'Shapley values',
    html: `<p>Interventional Shapley values (Kernel SHAP, ${summary.exact ? 'exact' : `${summary.numSubsets} coalitions`}, ${summary.backgroundRows} background rows): from the mean prediction to each row's prediction. Additivity (Σφ = prediction − mean) holds to ${formatNumber(maxError)}.</p><div class="row">${waterfalls.join('\n')}</div>`,
  });

  step(3, 'Shapley summary');
  const counts = new Array<number>(summary.outputs.length).fill(0);
  for (const e of summary.explanations) counts[e.predicted]++;
  const o = counts.indexOf(Math.max(...counts));
  const mean = summary.meanAbsoluteShapley.subarray(o * m, (o + 1) * m);
  const top = mean.indexOf(Math.max(...mean));
  const plots = [
    [beeswarmSpec(summary, o), 'every row, coloured by feature value'],
    [meanAbsoluteShapleySpec(summary, o), 'mean |Shapley value|'],
    [dependenceSpec(summary, top, o), `dependence on ${schema.features[top]}`],
  ] as const;
  const figures: string[] = [];
  for (const [spec, caption] of plots)
    figures.push(
      `<figure>${img(await renderPlotPng(spec), caption, 460)}<figcaption>${escapeHtml(caption)}</figcaption></figure>`,
    );
  sections.push({
    id: 'shapley-summary',
    title: 'Shapley summary',
    html: `<p>Shapley values of all ${count} rows for ${escapeHtml(summary.outputs[o])}.</p><div class="row">${figures.join('\n')}</div>`,
  });
  step(4, 'done');

  const meta = [
    `model <b>${escapeHtml(input.modelName)}</b>`,
    `${count} rows of ${escapeHtml(input.dataName)}`,
    `${m} features`,
    'generated by netlens',
  ].join(' · ');
  return {
    html: page(`netlens report — ${input.modelName}`, meta, sections),
    rendered: sections.map((s) => s.id),
    skipped: [],
    failed: [],
  };
}
