/**
 * The one path every gradient attribution takes: a stream of derived inputs (the images themselves, path
 * points, noisy copies) goes through one compiled VJP in chunks of at most `miniBatchSize` (see call-size.ts), each with its seed, and
 * the gradients are handed back chunk by chunk — so memory stays bounded by the chunk, not the job count.
 */
import type { ProgressCallback, TensorData, VjpFunction } from '../../types.js';
import { callChunkSize } from '../call-size.js';

export interface DerivedGradientRun {
  vjp: VjpFunction;
  /** Number of derived inputs. */
  total: number;
  /** Dims of one input item and of one seed item (batch axis excluded). */
  itemDims: readonly number[];
  seedDims: readonly number[];
  miniBatchSize: number;
  /** Writes derived input `job` into `buffer` at element `offset`. */
  write(buffer: Float32Array, offset: number, job: number): void;
  /** Writes the seed of job `job` into `buffer` at element `offset`. */
  seed(buffer: Float32Array, offset: number, job: number): void;
  /** Receives the gradients wrt the input ([count, ...itemDims]) and the output value of jobs first.. */
  collect(grads: TensorData, output: TensorData, first: number, count: number): void;
  onProgress?: ProgressCallback;
  /** Progress units done before this run and the grand total, when a method runs several. */
  progressOffset?: number;
  progressTotal?: number;
  /** Progress stage label (default 'gradients'). */
  stage?: string;
}

export async function runDerivedGradients(run: DerivedGradientRun): Promise<void> {
  const { total, miniBatchSize } = run;
  if (total === 0) return;
  const size = run.itemDims.reduce((a, b) => a * b, 1);
  const seedSize = run.seedDims.reduce((a, b) => a * b, 1);
  const chunk = callChunkSize(miniBatchSize, total, size);
  const offset = run.progressOffset ?? 0;
  const grand = run.progressTotal ?? total;
  for (let first = 0; first < total; first += chunk) {
    const count = Math.min(chunk, total - first);
    const inputs = new Float32Array(count * size);
    const seeds = new Float32Array(count * seedSize);
    for (let j = 0; j < count; j++) {
      run.write(inputs, j * size, first + j);
      run.seed(seeds, j * seedSize, first + j);
    }
    const result = await run.vjp(
      { data: inputs, dims: [count, ...run.itemDims] },
      { data: seeds, dims: [count, ...run.seedDims] },
      { miniBatchSize: count },
    );
    run.collect(result.grads[0], result.output, first, count);
    run.onProgress?.({ done: offset + first + count, total: grand, stage: run.stage ?? 'gradients' });
  }
}
