/**
 * Shapley values of table features, as MATLAB's `shapley`: for each query point, every feature's share of
 * the deviation of the prediction from the average prediction over the background data, for every output
 * column at once (each class of a classifier, the response of a regression). Values come from Kernel SHAP
 * over the chosen value function (`method`); with a budget of 2^M coalitions (the default whenever
 * 2^M <= 1024) every coalition is evaluated and the values are exact. Additivity holds by construction:
 * Σ_f φ_f = f(q) − mean f(background), and the largest deviation is reported.
 */
import type { BatchOptions, CoalitionGraphPath, Model } from '../../types.js';
import { checkSeed, DEFAULT_SEED } from '../../util/random.js';
import { checkChoice, checkPositiveInt } from '../batch.js';
import type { ScoreKind } from '../class-scores.js';
import { kernelShap, kernelShapDesign } from '../shapley/kernel-shap.js';
import type { ShapleyResult } from '../shapley/game.js';
import { graphInterventionalShapley } from './graph-interventional.js';
import { interventionalShapley, type RowStreamExecutor } from './interventional.js';
import type { TableData } from '../../data/table-csv.js';
import { standardize, tableSchema, type CategoricalPredictors, type TableSchema } from './schema.js';
import { TABLE_MINI_BATCH, tableScorer, type TableScoreKind } from './scorer.js';
import { checkTableData, evenlySpacedRows, outputNames } from './table.js';
import { tableGame, type ShapleyMethod } from './value-functions.js';

export interface TableShapleyOptions extends BatchOptions {
  /** Rows to explain (raw values, the model's feature order). */
  queryPoints: TableData;
  /** 'interventional' (default) or 'conditional'. */
  method?: ShapleyMethod;
  /** Coalitions per query point at most, the empty and the full one included (default min(2^M, 1024)). */
  maxNumSubsets?: number;
  /** Background rows used at most, evenly spaced through the given ones (default 100). */
  maxNumBackground?: number;
  /** Classifiers: 'probability' (default, MATLAB's score) or 'logit'. */
  score?: ScoreKind;
  categoricalPredictors?: CategoricalPredictors;
  /** The schema to use instead of the one read from the model (e.g. with categorical levels). */
  schema?: TableSchema;
  /** Seed of the coalition sampling (default 0). */
  seed?: number;
  /**
   * Interventional: where the coalition values are computed. 'graph': the rows scored and averaged inside ONNX
   * Runtime, in one graph around the model (only the means come back; see `TableShapleyResult.graphPath` for how
   * it gets the rows); 'rows': the rows built and
   * the outputs averaged in JavaScript (`rowExecutor`). Default: 'rows' when a `rowExecutor` is given or the
   * model offers no coalition graph (inputs besides its [N, F] table), else 'graph'. Asking for 'graph' where it
   * cannot be built is an UnsupportedError saying why.
   */
  evaluation?: ShapleyEvaluation;
  /**
   * Interventional, 'rows': who builds the model rows and averages the outputs (default the calling thread,
   * between runs). In Node, `tableRowWorker()` does it on a worker thread while the model runs; same values.
   */
  rowExecutor?: RowStreamExecutor;
}

export type ShapleyEvaluation = 'graph' | 'rows';

/** The evaluation `shapley` uses for these options (see `TableShapleyOptions.evaluation`). */
export function shapleyEvaluation(
  model: Model,
  options: Pick<TableShapleyOptions, 'evaluation' | 'rowExecutor'>,
): ShapleyEvaluation {
  const evaluation = checkChoice<ShapleyEvaluation | 'auto'>(
    'evaluation',
    options.evaluation,
    ['graph', 'rows'],
    'auto',
  );
  if (evaluation !== 'auto') return evaluation;
  return options.rowExecutor || !model.coalitionMeans || model.inputs.length !== 1 ? 'rows' : 'graph';
}

export interface TableShapleyExplanation {
  /** The query point (raw values). */
  query: Float32Array;
  /** f(q) per output. */
  prediction: Float32Array;
  /** Index of the largest output (the predicted class of a classifier). */
  predicted: number;
  /** φ per output and feature, output-major: [outputs × features]. */
  values: Float32Array;
  /** Largest |Σ_f φ − (f(q) − base)| over outputs. */
  additivityError: number;
}

export interface TableShapleyResult {
  method: ShapleyMethod;
  features: string[];
  /** Output column names: class labels, or ['output']. */
  outputs: string[];
  score: TableScoreKind;
  /** Mean output over the background rows (v(∅)). */
  baseValue: Float32Array;
  explanations: TableShapleyExplanation[];
  /** Mean |φ| over the query points per output and feature (MATLAB's MeanAbsoluteShapley). */
  meanAbsoluteShapley: Float32Array;
  exact: boolean;
  numSubsets: number;
  backgroundRows: number;
  seed: number;
  /** Model rows evaluated. */
  forwardRows: number;
  /** Interventional: where the coalition values were computed (see `TableShapleyOptions.evaluation`). */
  evaluation?: ShapleyEvaluation;
  /**
   * Evaluation 'graph': 'first-layer' where the model starts with an affine first layer (per-feature Add, Sub,
   * Mul, Div by constants into a Gemm or MatMul) whose output the graph builds for every coalition row from
   * per-query parts, 'rows' where it builds the rows and runs the whole model. Same values either way.
   */
  graphPath?: CoalitionGraphPath;
}

export async function shapley(
  model: Model,
  background: TableData,
  options: TableShapleyOptions,
): Promise<TableShapleyResult> {
  const schema = options.schema ?? tableSchema(model, options.categoricalPredictors);
  const m = schema.features.length;
  checkTableData('background', background, schema);
  checkTableData('queryPoints', options.queryPoints, schema);
  const method = checkChoice<ShapleyMethod>(
    'method',
    options.method,
    ['interventional', 'conditional'],
    'interventional',
  );
  const maxNumBackground = checkPositiveInt('maxNumBackground', options.maxNumBackground, 100);
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  const score = checkChoice<ScoreKind>('score', options.score, ['probability', 'logit'], 'probability');
  const scorer = await tableScorer(model, schema, { score, miniBatchSize: options.miniBatchSize });
  const k = scorer.columns;
  const rawRows = evenlySpacedRows(background, maxNumBackground);
  const rows = standardize(schema, rawRows);
  const readyQueries = standardize(schema, options.queryPoints.values);
  const queries = options.queryPoints.rows;
  const predictions = await scorer.scoreStandardized(readyQueries, queries);

  const design = kernelShapDesign(m, { maxNumSubsets: options.maxNumSubsets, seed });
  const results: ShapleyResult[] = new Array<ShapleyResult>(queries);
  const evaluation = method === 'interventional' ? shapleyEvaluation(model, options) : undefined;
  let graphPath: CoalitionGraphPath | undefined;
  if (evaluation) {
    const stream = {
      scorer,
      design,
      background: rows,
      queries: readyQueries,
      numFeatures: m,
      miniBatchSize: options.miniBatchSize ?? TABLE_MINI_BATCH,
      onProgress: options.onProgress,
    };
    const onQuery = (q: number, result: ShapleyResult) => (results[q] = result);
    if (evaluation === 'graph') graphPath = await graphInterventionalShapley(model, stream, onQuery);
    else await interventionalShapley({ ...stream, executor: options.rowExecutor }, onQuery);
  } else {
    const scratch = {};
    for (let q = 0; q < queries; q++) {
      const game = tableGame(method, {
        scorer,
        background: rows,
        numFeatures: m,
        query: readyQueries.subarray(q * m, (q + 1) * m),
        categorical: schema.categorical,
        scratch,
      });
      results[q] = await kernelShap(game, {
        design,
        onProgress: options.onProgress
          ? (e) => options.onProgress!({ ...e, stage: `coalitions, query point ${q + 1}/${queries}` })
          : undefined,
      });
    }
  }
  const explanations = results.map((shap, q): TableShapleyExplanation => {
    const prediction = predictions.slice(q * k, (q + 1) * k);
    let additivityError = 0;
    for (let o = 0; o < k; o++) {
      let sum = 0;
      for (let f = 0; f < m; f++) sum += shap.values[o * m + f];
      additivityError = Math.max(additivityError, Math.abs(sum - (prediction[o] - shap.emptyValue[o])));
    }
    return {
      query: options.queryPoints.values.slice(q * m, (q + 1) * m),
      prediction,
      predicted: argmax(prediction),
      values: Float32Array.from(shap.values),
      additivityError,
    };
  });
  const baseValue = Float32Array.from(results[queries - 1].emptyValue);
  const exact = design.exact;
  const numSubsets = design.coalitions.length;
  const meanAbsoluteShapley = new Float32Array(k * m);
  for (const e of explanations) e.values.forEach((v, i) => (meanAbsoluteShapley[i] += Math.abs(v) / queries));
  return {
    method,
    features: schema.features,
    outputs: outputNames(model, k),
    score: scorer.kind,
    baseValue,
    explanations,
    meanAbsoluteShapley,
    exact,
    numSubsets,
    backgroundRows: rows.length / m,
    seed,
    forwardRows: scorer.rowsEvaluated,
    ...(evaluation ? { evaluation } : {}),
    ...(graphPath ? { graphPath } : {}),
  };
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
