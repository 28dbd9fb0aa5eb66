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
  /** The model tensor `rawStandardized` reads: the main output, or the logits before its final activation. */
  rawTensor: string;
  /**
   * For a stream of batches of at most `maxRows` rows: a function giving what `rawStandardized` gives, in a
   * buffer that its next call may overwrite (the model's prepared run where it has one: no per-call checks
   * or allocations).
   */
  rawStream(maxRows: number): Promise<(rows: Float32Array, count: number) => Promise<Float32Array>>;
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
  // The raw tensor: the model's main output, or the logits feeding its final Softmax.
  let rawTensor = model.outputName;
  if (kind === 'logit') {
    rawTensor = await model.reductionLayer();
    const classes = await classScorer(model, kind);
    rawReady = async (ready, rows) =>
      (await classes({ data: ready, dims: [rows, m] }, { miniBatchSize })).data as Float32Array;
  }
  const scorer: TableScorer = {
    columns,
    kind,
    softmaxed,
    rawTensor,
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
    async rawStream(maxRows) {
      const prepared = rawTensor === model.outputName ? await model.preparedRun?.(maxRows) : undefined;
      if (!prepared) return scorer.rawStandardized;
      return (ready, rows) => {
        scorer.rowsEvaluated += rows;
        return prepared(ready, rows);
      };
    },
  };
  return scorer;
}

/** Below this exp(d) rounds to 0 in float32 and adds nothing to a sum that holds 1. */
const EXP_FLOOR = -104;
/** exp(d) = 2^(j/32) · e^r with j = round(32·d/ln 2): a table of 2^(-j/32) and a short polynomial in |r| <= ln2/64. */
const EXP_STEPS = 32;
const EXP_SCALE = EXP_STEPS / Math.LN2;
const EXP_STEP = Math.LN2 / EXP_STEPS;
const EXP_TABLE = Float64Array.from({ length: Math.ceil(-EXP_FLOOR * EXP_SCALE) + 2 }, (_, j) =>
  Math.pow(2, -j / EXP_STEPS),
);
/** Adding and subtracting 1.5·2^52 rounds a double to the nearest integer (ties to even). */
const ROUND = 6755399441055744;

/**
 * e^d for d <= 0, within 2e-14 of Math.exp (relative; Math.exp is itself within an ulp), far below the float32
 * rounding the softmax is stored with, at about a third of its cost: the per-row softmax is most of what the
 * table methods spend besides the forward pass. exp(0) is exactly 1; NaN stays NaN.
 */
export function expNonPositive(d: number): number {
  if (d < EXP_FLOOR) return 0;
  const j = d * EXP_SCALE + ROUND - ROUND;
  const r = d - j * EXP_STEP;
  return EXP_TABLE[-j | 0] * (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r / 720))))));
}

/** Softmax of each row of a [rows, k] array, in place (the array is the runtime's fresh output). */
function softmaxRowsInPlace(scores: Float32Array, k: number): Float32Array {
  for (let at = 0; at < scores.length; at += k) {
    let max = scores[at];
    for (let c = 1; c < k; c++) if (scores[at + c] > max) max = scores[at + c];
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = expNonPositive(scores[at + c] - max);
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
    if (columns === 1 || columns === 3) addPlain(raw, from * columns, end, columns, sums, at);
    else {
      for (let r = from * columns; r < end; r += columns) {
        for (let o = 0; o < columns; o++) sums[at + o] += raw[r + o];
      }
    }
    return;
  }
  if (columns === 3) {
    addSoftmax3(raw, from * 3, end, sums, at);
    return;
  }
  if (exps.length < columns) exps = new Float64Array(columns);
  const e = exps;
  for (let r = from * columns; r < end; r += columns) {
    let max = raw[r];
    for (let o = 1; o < columns; o++) if (raw[r + o] > max) max = raw[r + o];
    let sum = 0;
    for (let o = 0; o < columns; o++) {
      const v = expNonPositive(raw[r + o] - max);
      // Stored rounded to float32 and summed unrounded, as the in-place softmax does: same bits either way.
      e[o] = Math.fround(v);
      sum += v;
    }
    for (let o = 0; o < columns; o++) sums[at + o] += Math.fround(e[o] / sum);
  }
}

/** The same for three classes, unrolled (the common small classifier): the same operations in the same order. */
function addSoftmax3(raw: Float32Array, start: number, end: number, sums: Float64Array, at: number): void {
  let s0 = sums[at];
  let s1 = sums[at + 1];
  let s2 = sums[at + 2];
  for (let r = start; r < end; r += 3) {
    const x0 = raw[r];
    const x1 = raw[r + 1];
    const x2 = raw[r + 2];
    let max = x0;
    if (x1 > max) max = x1;
    if (x2 > max) max = x2;
    const v0 = expNonPositive(x0 - max);
    const v1 = expNonPositive(x1 - max);
    const v2 = expNonPositive(x2 - max);
    const sum = v0 + v1 + v2;
    s0 += Math.fround(Math.fround(v0) / sum);
    s1 += Math.fround(Math.fround(v1) / sum);
    s2 += Math.fround(Math.fround(v2) / sum);
  }
  sums[at] = s0;
  sums[at + 1] = s1;
  sums[at + 2] = s2;
}

/** Plain sums for one or three columns, in registers: the same additions in the same order as the loop above. */
function addPlain(
  raw: Float32Array,
  start: number,
  end: number,
  columns: 1 | 3,
  sums: Float64Array,
  at: number,
): void {
  if (columns === 1) {
    let s = sums[at];
    for (let r = start; r < end; r++) s += raw[r];
    sums[at] = s;
    return;
  }
  let s0 = sums[at];
  let s1 = sums[at + 1];
  let s2 = sums[at + 2];
  for (let r = start; r < end; r += 3) {
    s0 += raw[r];
    s1 += raw[r + 1];
    s2 += raw[r + 2];
  }
  sums[at] = s0;
  sums[at + 1] = s1;
  sums[at + 2] = s2;
}
