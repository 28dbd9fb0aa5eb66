/**
 * Interventional Shapley values of many query points as one stream of model rows. Query point q, coalition
 * S and background row b give the row (q_S, b_¬S); the rows of every query point and coalition follow each
 * other and are cut into batches of `batchRows` rows (a batch may span coalitions and query points, so every
 * run has the size the runtime was asked for). Each batch's outputs are summed per run of one coalition (a
 * segment) by a typed loop that takes the softmax as it goes; the segment sums are added to the coalition
 * sums in batch order, and a query point's values are solved through the shared Kernel SHAP factorisation as
 * soon as its last row is scored.
 *
 * Filling batch i and summing its outputs depend on i alone, so an executor may do both on another thread
 * while the model runs the batch before (src/node/table-rows.ts): the values are the same to the last bit.
 */
import type { ProgressCallback } from '../../types.js';
import type { KernelShapDesign } from '../shapley/kernel-shap.js';
import type { ShapleyResult } from '../shapley/game.js';
import { addRowScores, type TableScorer } from './scorer.js';

/** Everything that decides the rows and their reduction (plain data: it can be sent to a worker). */
export interface RowStreamSpec {
  /** Background rows, standardised as the model takes them. */
  background: Float32Array;
  /** Query points, standardised, one after the other. */
  queries: Float32Array;
  /** Coalitions one after the other, `numFeatures` flags each. */
  coalitions: Uint8Array;
  numFeatures: number;
  /** Output columns per row. */
  columns: number;
  /** Whether each output row is summed as its softmax. */
  softmaxed: boolean;
  /** Rows per model run. */
  batchRows: number;
}

/** Runs the model on `count` rows; its result may be overwritten by the next call. */
export type RowRun = (rows: Float32Array, count: number) => Promise<Float32Array>;

/**
 * Runs the batches of a stream: fills each, runs it through `run` (on the calling thread) and hands its
 * segment sums (`batchSegmentSums`) to `onBatch` in batch order.
 */
export interface RowStreamExecutor {
  stream(
    spec: RowStreamSpec,
    run: RowRun,
    onBatch: (index: number, sums: Float64Array) => void,
  ): Promise<void>;
}

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
  /** Who fills and reduces the batches (default: the calling thread, between runs). */
  executor?: RowStreamExecutor;
  onProgress?: ProgressCallback;
}

/** Sizes of a stream. */
export function streamShape(spec: RowStreamSpec) {
  const m = spec.numFeatures;
  const n = spec.background.length / m;
  const count = spec.coalitions.length / m;
  const totalRows = (spec.queries.length / m) * count * n;
  return { m, n, count, totalRows, batches: Math.ceil(totalRows / spec.batchRows) };
}

/** Position of stream row `row`: query point, coalition, background row. */
function positionOf(row: number, n: number, count: number) {
  const block = Math.floor(row / n);
  return { q: Math.floor(block / count), c: block % count, b: row - block * n };
}

/** Builds the rows of batch `index` into `batch` (background block copied, coalition features overwritten). */
export function fillBatch(spec: RowStreamSpec, index: number, batch: Float32Array): number {
  const { m, n, count, totalRows } = streamShape(spec);
  const { background, queries, coalitions } = spec;
  const first = index * spec.batchRows;
  const rows = Math.min(spec.batchRows, totalRows - first);
  for (let filled = 0; filled < rows;) {
    const { q, c, b } = positionOf(first + filled, n, count);
    const take = Math.min(n - b, rows - filled);
    const start = filled * m;
    const end = start + take * m;
    batch.set(background.subarray(b * m, (b + take) * m), start);
    for (let f = 0; f < m; f++) {
      if (!coalitions[c * m + f]) continue;
      const value = queries[q * m + f];
      for (let i = start + f; i < end; i += m) batch[i] = value;
    }
    filled += take;
  }
  return rows;
}

/** Most segments a batch can hold. */
export function maxSegments(spec: RowStreamSpec): number {
  return Math.ceil(spec.batchRows / streamShape(spec).n) + 1;
}

/** Number of segments (runs of one coalition) in batch `index`. */
export function segmentCount(spec: RowStreamSpec, index: number): number {
  const { n, totalRows } = streamShape(spec);
  const first = index * spec.batchRows;
  const last = Math.min(first + spec.batchRows, totalRows) - 1;
  return Math.floor(last / n) - Math.floor(first / n) + 1;
}

/**
 * Sums of the scores of batch `index`'s output rows `raw` per segment, `columns` sums each, into `sums`
 * (each row's softmax when `softmaxed`).
 */
export function batchSegmentSums(
  spec: RowStreamSpec,
  index: number,
  raw: Float32Array,
  sums: Float64Array,
): void {
  const { n, totalRows } = streamShape(spec);
  const k = spec.columns;
  const first = index * spec.batchRows;
  const rows = Math.min(spec.batchRows, totalRows - first);
  sums.fill(0, 0, segmentCount(spec, index) * k);
  for (let row = 0, segment = 0; row < rows; segment++) {
    const take = Math.min(n - ((first + row) % n), rows - row);
    addRowScores(raw, row, row + take, k, spec.softmaxed, sums, segment * k);
    row += take;
  }
}

/** Fills, runs and reduces every batch on the calling thread, one after the other. */
export const inlineRowExecutor: RowStreamExecutor = {
  async stream(spec, run, onBatch) {
    const { m, batches } = streamShape(spec);
    const batch = new Float32Array(spec.batchRows * m);
    const sums = new Float64Array(maxSegments(spec) * spec.columns);
    for (let index = 0; index < batches; index++) {
      const rows = fillBatch(spec, index, batch);
      const raw = await run(batch.subarray(0, rows * m), rows);
      batchSegmentSums(spec, index, raw, sums);
      onBatch(index, sums);
    }
  },
};

export async function interventionalShapley(
  stream: InterventionalStream,
  onQuery: (q: number, result: ShapleyResult) => void,
): Promise<void> {
  const { scorer, design, numFeatures: m, onProgress } = stream;
  const k = scorer.columns;
  const coalitions = new Uint8Array(design.coalitions.length * m);
  design.coalitions.forEach((z, c) => coalitions.set(z, c * m));
  const queryCount = stream.queries.length / m;
  const n = stream.background.length / m;
  const count = design.coalitions.length;
  const totalRows = queryCount * count * n;
  const spec: RowStreamSpec = {
    background: stream.background,
    queries: stream.queries,
    coalitions,
    numFeatures: m,
    columns: k,
    softmaxed: scorer.softmaxed,
    batchRows: Math.min(stream.miniBatchSize, totalRows),
  };
  const run = await scorer.rawStream(spec.batchRows);
  // Coalition sums of the query points whose rows have started and not yet all been scored.
  const open = new Map<number, Float64Array>();
  await (stream.executor ?? inlineRowExecutor).stream(spec, run, (index, sums) => {
    const first = index * spec.batchRows;
    const rows = Math.min(spec.batchRows, totalRows - first);
    for (let row = 0, segment = 0; row < rows; segment++) {
      const { q, c, b } = positionOf(first + row, n, count);
      const take = Math.min(n - b, rows - row);
      let acc = open.get(q);
      if (!acc) open.set(q, (acc = new Float64Array(count * k)));
      for (let o = 0; o < k; o++) acc[c * k + o] += sums[segment * k + o];
      row += take;
      if (c < count - 1 || b + take < n) continue;
      // The query point's last coalition is complete.
      for (let i = 0; i < acc.length; i++) acc[i] /= n;
      open.delete(q);
      onQuery(q, design.solve(acc, k));
    }
    onProgress?.({
      done: Math.floor((first + rows) / n),
      total: queryCount * count,
      stage: `coalitions of ${queryCount} query point${queryCount === 1 ? '' : 's'}`,
    });
  });
}
