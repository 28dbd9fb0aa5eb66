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
  /**
   * The tensor the scores come from, for standardised rows: the scores themselves, or logits when
   * `softmaxed` (then the scores are their row-wise softmax, left to the caller to fuse with its own loop).
   */
  rawStandardized(rows: Float32Array, count: number): Promise<Float32Array>;
  softmaxed: boolean;
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
  const softmaxed = kind === 'probability' && model.outputKind !== 'probabilities';
  let rawReady: (ready: Float32Array, rows: number) => Promise<Float32Array> = runOutput;
  if (kind === 'logit') {
    const classes = await classScorer(model, kind);
    rawReady = async (ready, rows) =>
      (await classes({ data: ready, dims: [rows, m] }, { miniBatchSize })).data as Float32Array;
  }
  const scorer: TableScorer = {
    columns,
    kind,
    softmaxed,
    rowsEvaluated: 0,
    score: (raw, rows) => scorer.scoreStandardized(standardize(schema, raw), rows),
    async scoreStandardized(ready, rows) {
      const raw = await scorer.rawStandardized(ready, rows);
      return softmaxed ? softmaxRowsInPlace(raw, columns) : raw;
    },
    async rawStandardized(ready, rows) {
      scorer.rowsEvaluated += rows;
      return rawReady(ready, rows);
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

let exps = new Float64Array(16);

/**
 * Adds the scores of raw output rows [from, to) — each row's softmax when `softmaxed`, computed as
 * `softmaxRowsInPlace` rounds it — to sums[at .. at + columns): the typed loop that averages model outputs
 * over background rows without materialising the scores.
 */
export function addRowScores(
  raw: Float32Array,
  from: number,
  to: number,
  columns: number,
  softmaxed: boolean,
  sums: Float64Array,
  at: number,
): void {
  const end = to * columns;
  if (!softmaxed) {
    for (let r = from * columns; r < end; r += columns) {
      for (let o = 0; o < columns; o++) sums[at + o] += raw[r + o];
    }
    return;
  }
  if (exps.length < columns) exps = new Float64Array(columns);
  const e = exps;
  for (let r = from * columns; r < end; r += columns) {
    let max = raw[r];
    for (let o = 1; o < columns; o++) if (raw[r + o] > max) max = raw[r + o];
    let sum = 0;
    for (let o = 0; o < columns; o++) {
      const d = raw[r + o] - max;
      // exp(0) is exactly 1: the largest score costs no exponential.
      const v = d === 0 ? 1 : Math.exp(d);
      // Stored rounded to float32 and summed unrounded, as the in-place softmax does: same bits either way.
      e[o] = Math.fround(v);
      sum += v;
    }
    for (let o = 0; o < columns; o++) sums[at + o] += Math.fround(e[o] / sum);
  }
}
