/**
 * Interventional Shapley values of many query points as one stream of model rows. Query point q, coalition
 * S and background row b give the row (q_S, b_¬S); the rows of every query point and coalition follow each
 * other, are built straight into one reusable batch of `miniBatchSize` rows (a batch may span coalitions and
 * query points, so every run has the size the runtime was asked for), and each batch's outputs are averaged
 * per coalition by a typed loop. A query point's values are solved through the shared Kernel SHAP
 * factorisation as soon as its last row is scored.
 */
import type { ProgressCallback } from '../../types.js';
import type { KernelShapDesign } from '../shapley/kernel-shap.js';
import type { ShapleyResult } from '../shapley/game.js';
import { addRowScores, type TableScorer } from './scorer.js';

export interface InterventionalStream {
  scorer: TableScorer;
  design: KernelShapDesign;
  /** Background rows, standardised as the model takes them. */
  background: Float32Array;
  /** Query points, standardised, one after the other. */
  queries: Float32Array;
  numFeatures: number;
  /** Rows per model run. */
  miniBatchSize: number;
  onProgress?: ProgressCallback;
}

/** Position in the stream: query point, coalition, background row. */
interface Cursor {
  q: number;
  c: number;
  b: number;
}

export async function interventionalShapley(
  stream: InterventionalStream,
  onQuery: (q: number, result: ShapleyResult) => void,
): Promise<void> {
  const { scorer, design, background, queries, numFeatures: m, onProgress } = stream;
  const coalitions = design.coalitions;
  const n = background.length / m;
  const count = coalitions.length;
  const k = scorer.columns;
  const queryCount = queries.length / m;
  const totalRows = queryCount * count * n;
  const batchRows = Math.min(stream.miniBatchSize, totalRows);
  const batch = new Float32Array(batchRows * m);
  // Coalition sums of the query points whose rows have started and not yet all been scored.
  const sums = new Map<number, Float64Array>();
  const cursor: Cursor = { q: 0, c: 0, b: 0 };
  const run = await scorer.rawStream(batchRows);
  for (let done = 0; done < totalRows;) {
    const rows = Math.min(batchRows, totalRows - done);
    const start = { ...cursor };
    fillRows(batch, rows, cursor, stream, n);
    const raw = await run(batch.subarray(0, rows * m), rows);
    // Walk the same rows again, now as runs of one coalition each.
    const at = { ...start };
    for (let row = 0; row < rows;) {
      const take = Math.min(n - at.b, rows - row);
      let acc = sums.get(at.q);
      if (!acc) sums.set(at.q, (acc = new Float64Array(count * k)));
      addRowScores(raw, row, row + take, k, scorer.softmaxed, acc, at.c * k);
      row += take;
      if (!advance(at, take, n, count)) continue;
      // The query point's last coalition is complete.
      for (let i = 0; i < acc.length; i++) acc[i] /= n;
      sums.delete(at.q - 1);
      onQuery(at.q - 1, design.solve(acc, k));
    }
    done += rows;
    onProgress?.({
      done: Math.floor(done / n),
      total: queryCount * count,
      stage: `coalitions of ${queryCount} query point${queryCount === 1 ? '' : 's'}`,
    });
  }
}

/** Builds `rows` rows from `cursor` on into `batch` (background block copied, coalition features overwritten). */
function fillRows(
  batch: Float32Array,
  rows: number,
  cursor: Cursor,
  stream: InterventionalStream,
  n: number,
) {
  const { background, queries, numFeatures: m } = stream;
  const coalitions = stream.design.coalitions;
  for (let filled = 0; filled < rows;) {
    const take = Math.min(n - cursor.b, rows - filled);
    const first = filled * m;
    const end = first + take * m;
    batch.set(background.subarray(cursor.b * m, (cursor.b + take) * m), first);
    const z = coalitions[cursor.c];
    const query = cursor.q * m;
    for (let f = 0; f < m; f++) {
      if (!z[f]) continue;
      const value = queries[query + f];
      for (let i = first + f; i < end; i += m) batch[i] = value;
    }
    filled += take;
    advance(cursor, take, n, coalitions.length);
  }
}

/** Moves the cursor `take` rows on within one coalition; true when that finished a query point. */
function advance(cursor: Cursor, take: number, n: number, coalitions: number): boolean {
  cursor.b += take;
  if (cursor.b < n) return false;
  cursor.b = 0;
  cursor.c++;
  if (cursor.c < coalitions) return false;
  cursor.c = 0;
  cursor.q++;
  return true;
}
