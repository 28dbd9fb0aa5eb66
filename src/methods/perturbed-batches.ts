/**
 * Runs the network over many perturbed copies of images without holding them all: copies are written
 * in chunks of `miniBatchSize` into two reused buffers, and the next chunk is written while the runtime
 * works on the current one, so building inputs overlaps the forward passes.
 */
import type { ProgressCallback, TensorData } from '../types.js';
import type { ClassScorer } from './class-scores.js';

export interface PerturbedRun {
  /** Number of perturbed copies. */
  total: number;
  /** Elements per copy and the dims of one copy (without the batch axis). */
  size: number;
  itemDims: readonly number[];
  miniBatchSize: number;
  /** Writes copy `item` into `buffer` starting at element `offset`. */
  write(buffer: Float32Array, offset: number, item: number): void;
  /** Receives the [count, C] scores of copies first..first+count-1. */
  collect(scores: TensorData, first: number, count: number): void;
  onProgress?: ProgressCallback;
  /** Progress units already done before this run and the grand total, when a method runs several. */
  progressOffset?: number;
  progressTotal?: number;
}

export async function runPerturbed(scorer: ClassScorer, run: PerturbedRun): Promise<void> {
  const { total, size, miniBatchSize } = run;
  if (total === 0) return;
  const chunkSize = Math.min(miniBatchSize, total);
  const buffers = [new Float32Array(chunkSize * size), new Float32Array(chunkSize * size)];
  const chunks = Math.ceil(total / chunkSize);
  const fill = (chunk: number): TensorData => {
    const first = chunk * chunkSize;
    const count = Math.min(chunkSize, total - first);
    // A short last chunk gets an exact-size buffer so the runtime never sees a view of a larger one.
    const buffer = count === chunkSize ? buffers[chunk % 2] : new Float32Array(count * size);
    for (let k = 0; k < count; k++) run.write(buffer, k * size, first + k);
    return { data: buffer, dims: [count, ...run.itemDims] };
  };
  const offset = run.progressOffset ?? 0;
  const grandTotal = run.progressTotal ?? total;
  let next = fill(0);
  for (let chunk = 0; chunk < chunks; chunk++) {
    const running = scorer(next, { miniBatchSize });
    if (chunk + 1 < chunks) next = fill(chunk + 1);
    const scores = await running;
    const first = chunk * chunkSize;
    const count = scores.dims[0];
    run.collect(scores, first, count);
    run.onProgress?.({ done: offset + first + count, total: grandTotal, stage: 'forward passes' });
  }
}
