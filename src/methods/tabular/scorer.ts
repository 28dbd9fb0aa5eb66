/**
 * The model as the table methods see it: raw rows in, one score per output column out. The recorded
 * standardisation is applied here, so every method works (and reports) in the units of the user's data.
 * Classifiers give the softmax probability (MATLAB's score) or the logit of every class; a model with one
 * output column is a regression and its output is used as it is.
 */
import type { Model } from '../../types.js';
import { classScorer, type ScoreKind } from '../class-scores.js';
import { standardize, type TableSchema } from './schema.js';

export type TableScoreKind = ScoreKind | 'output';

export interface TableScorer {
  /** Output columns: classes, or 1 for a regression. */
  columns: number;
  kind: TableScoreKind;
  /** Rows evaluated so far (what the forward passes cost). */
  rowsEvaluated: number;
  /** [rows, columns] scores of `rows` raw rows. */
  score(raw: Float32Array, rows: number): Promise<Float32Array>;
  /** The same for rows already standardised as the model takes them (see `standardize`). */
  scoreStandardized(rows: Float32Array, count: number): Promise<Float32Array>;
}

/** Rows per ONNX Runtime call by default: table rows are small, so big batches amortise the call cost. */
export const TABLE_MINI_BATCH = 4096;

export interface TableScorerOptions {
  score?: ScoreKind;
  miniBatchSize?: number;
}

export async function tableScorer(
  model: Model,
  schema: TableSchema,
  options: TableScorerOptions = {},
): Promise<TableScorer> {
  const m = schema.features.length;
  const miniBatchSize = options.miniBatchSize ?? TABLE_MINI_BATCH;
  const runOutput = async (ready: Float32Array, rows: number): Promise<Float32Array> => {
    const out = await model.run({ data: ready, dims: [rows, m] }, [model.outputName], { miniBatchSize });
    return out[model.outputName].data as Float32Array;
  };
  const probe = await runOutput(
    standardize(
      schema,
      Float32Array.from(schema.features, (_, f) => schema.mean?.[f] ?? 0),
    ),
    1,
  );
  const columns = probe.length;
  const kind: TableScoreKind = columns === 1 ? 'output' : (options.score ?? 'probability');
  let scoreReady: (ready: Float32Array, rows: number) => Promise<Float32Array>;
  if (kind === 'output' || (kind === 'probability' && model.outputKind === 'probabilities')) {
    scoreReady = runOutput;
  } else if (kind === 'probability') {
    scoreReady = async (ready, rows) => softmaxRowsInPlace(await runOutput(ready, rows), columns);
  } else {
    const classes = await classScorer(model, kind);
    scoreReady = async (ready, rows) =>
      (await classes({ data: ready, dims: [rows, m] }, { miniBatchSize })).data as Float32Array;
  }
  const scorer: TableScorer = {
    columns,
    kind,
    rowsEvaluated: 0,
    score: (raw, rows) => scorer.scoreStandardized(standardize(schema, raw), rows),
    async scoreStandardized(ready, rows) {
      scorer.rowsEvaluated += rows;
      return scoreReady(ready, rows);
    },
  };
  return scorer;
}

/** Softmax of each row of a [rows, k] array, in place (the array is the runtime's fresh output). */
function softmaxRowsInPlace(scores: Float32Array, k: number): Float32Array {
  for (let at = 0; at < scores.length; at += k) {
    let max = scores[at];
    for (let c = 1; c < k; c++) if (scores[at + c] > max) max = scores[at + c];
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp(scores[at + c] - max);
      scores[at + c] = e;
      sum += e;
    }
    for (let c = 0; c < k; c++) scores[at + c] /= sum;
  }
  return scores;
}
