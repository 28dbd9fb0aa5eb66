/**
 * Runs the network over many perturbed copies of images without holding them all: copies are written
 * in chunks of `miniBatchSize` into two reused buffers. The next chunk is written right after the current
 * one is handed to the runtime, so where the runtime runs off the main thread (onnxruntime-web's worker)
 * building inputs overlaps the forward passes; onnxruntime-node runs on the main thread, and there the
 * cost of writing the copies simply adds to the passes.
 */
import type { ProgressCallback, TensorData } from '../types.js';
import type { ClassScorer } from './class-scores.js';
import { callChunkSize } from './call-size.js';

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

/**
 * Input buffers kept between runs. Fresh memory costs the runtime page faults and cache misses on every
 * first touch — measured on shapes-cnn, as much as the forward passes of a 101-pass occlusion — so
 * repeated calls reuse it. A run takes buffers out and puts them back when done, so concurrent runs never
 * share one; at most two are kept, each up to 64 MiB.
 */
const spareBuffers: Float32Array[] = [];
const SPARE_LIMIT = 16 * 1024 * 1024; // floats

function takeBuffer(length: number): Float32Array {
  const i = spareBuffers.findIndex((b) => b.length >= length);
  return i >= 0 ? spareBuffers.splice(i, 1)[0] : new Float32Array(length);
}

function returnBuffer(buffer: Float32Array | undefined): void {
  if (!buffer || buffer.length > SPARE_LIMIT) return;
  spareBuffers.push(buffer);
  spareBuffers.sort((a, b) => b.length - a.length);
  spareBuffers.length = Math.min(spareBuffers.length, 2);
}

export async function runPerturbed(scorer: ClassScorer, run: PerturbedRun): Promise<void> {
  const { total, size, miniBatchSize } = run;
  if (total === 0) return;
  const chunkSize = callChunkSize(miniBatchSize, total, size);
  const chunks = Math.ceil(total / chunkSize);
  // The second buffer is needed only when there is a next chunk to write while one is in flight.
  const buffers = [takeBuffer(chunkSize * size), chunks > 1 ? takeBuffer(chunkSize * size) : undefined];
  const fill = (chunk: number): TensorData => {
    const first = chunk * chunkSize;
    const count = Math.min(chunkSize, total - first);
    // Views at byte offset 0 of a (possibly larger) buffer: the runtime reads exactly count items.
    const buffer = (buffers[chunk % 2] as Float32Array).subarray(0, count * size);
    for (let k = 0; k < count; k++) run.write(buffer, k * size, first + k);
    return { data: buffer, dims: [count, ...run.itemDims] };
  };
  const offset = run.progressOffset ?? 0;
  const grandTotal = run.progressTotal ?? total;
  try {
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
  } finally {
    returnBuffer(buffers[0]);
    returnBuffer(buffers[1]);
  }
}
