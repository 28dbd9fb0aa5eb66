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

/**
 * Calls kept in flight once a run has at least MIN_CALLS_FOR_WORKERS of them: each may go to one of the
 * model's worker sessions (`sessionWorkers`, 2 by default), which pays once their start-up (about
 * 0.1 s for MobileNetV2's gradient) is spread over a few calls. Up to 8 in flight keep a larger pool busy too,
 * each call at most 2^18 input values (see call-size.ts) unless one item is larger. The results are still
 * taken in job order.
 */
const IN_FLIGHT = 8;
const MIN_CALLS_FOR_WORKERS = 4;

export async function runDerivedGradients(run: DerivedGradientRun): Promise<void> {
  const { total, miniBatchSize } = run;
  if (total === 0) return;
  const size = run.itemDims.reduce((a, b) => a * b, 1);
  const seedSize = run.seedDims.reduce((a, b) => a * b, 1);
  const chunk = callChunkSize(miniBatchSize, total, size);
  const offset = run.progressOffset ?? 0;
  const grand = run.progressTotal ?? total;
  const calls = Math.ceil(total / chunk);
  const concurrent = calls >= MIN_CALLS_FOR_WORKERS;
  const start = (first: number) => {
    const count = Math.min(chunk, total - first);
    const inputs = new Float32Array(count * size);
    const seeds = new Float32Array(count * seedSize);
    for (let j = 0; j < count; j++) {
      run.write(inputs, j * size, first + j);
      run.seed(seeds, j * seedSize, first + j);
    }
    const result = run.vjp(
      { data: inputs, dims: [count, ...run.itemDims] },
      { data: seeds, dims: [count, ...run.seedDims] },
      { miniBatchSize: count, ...(concurrent ? { concurrent } : {}) },
    );
    // Handled here too: a call failing while an earlier one is awaited must not go unhandled.
    result.catch(() => undefined);
    return { first, count, result };
  };
  const inFlight: ReturnType<typeof start>[] = [];
  let next = 0;
  while (next < total || inFlight.length > 0) {
    while (next < total && inFlight.length < (concurrent ? IN_FLIGHT : 1)) {
      inFlight.push(start(next));
      next += chunk;
    }
    const { first, count, result } = inFlight.shift() as ReturnType<typeof start>;
    const done = await result;
    run.collect(done.grads[0], done.output, first, count);
    run.onProgress?.({ done: offset + first + count, total: grand, stage: run.stage ?? 'gradients' });
  }
}
