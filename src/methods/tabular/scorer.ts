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
}

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
  const miniBatchSize = options.miniBatchSize ?? 4096;
  const runRaw = async (raw: Float32Array, rows: number): Promise<Float32Array> => {
    const out = await model.run({ data: standardize(schema, raw), dims: [rows, m] }, [model.outputName], {
      miniBatchSize,
    });
    return out[model.outputName].data as Float32Array;
  };
  const probe = await runRaw(
    new Float32Array(m).fill(0).map((_, f) => schema.mean?.[f] ?? 0),
    1,
  );
  const columns = probe.length;
  if (columns === 1) {
    const scorer: TableScorer = {
      columns,
      kind: 'output',
      rowsEvaluated: 0,
      async score(raw, rows) {
        scorer.rowsEvaluated += rows;
        return runRaw(raw, rows);
      },
    };
    return scorer;
  }
  const kind = options.score ?? 'probability';
  const classes = await classScorer(model, kind);
  const scorer: TableScorer = {
    columns,
    kind,
    rowsEvaluated: 0,
    async score(raw, rows) {
      scorer.rowsEvaluated += rows;
      const out = await classes({ data: standardize(schema, raw), dims: [rows, m] }, { miniBatchSize });
      return out.data as Float32Array;
    },
  };
  return scorer;
}
