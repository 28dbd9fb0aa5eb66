/**
 * The one path every gradient attribution takes: a stream of derived inputs (the images themselves, path
 * points, noisy copies) goes through one compiled VJP in chunks of `miniBatchSize`, each with its seed, and
 * the gradients are handed back chunk by chunk — so memory stays bounded by the chunk, not the job count.
 */
import type { Model, ProgressCallback, TensorData, VjpFunction } from '../../types.js';

/** Most items per VJP run when the caller sets no `miniBatchSize`. */
const MAX_GRADIENT_CHUNK = 128;
/**
 * Bytes of the largest activation of one run the default chunk aims at. A VJP is mostly memory-bound
 * element-wise passes over the activations; once one tensor no longer fits a core's cache, each item costs
 * more: measured on torchvision's MobileNetV2 (largest tensor 4.8 MB an image, one thread), 31 ms an image at
 * batch 1 against 37 ms at 4 and 42 ms at 16; ResNet-18 is flat (66–69 ms), fashion-cnn gains 15 % from 1 to 16.
 */
const GRADIENT_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Items per VJP run: the caller's `miniBatchSize`, else as many as keep the model's largest float activation
 * (per item, from its layers) within GRADIENT_CHUNK_BYTES, at least 1 and at most 128.
 */
export async function gradientChunkSize(model: Model, requested: number | undefined): Promise<number> {
  if (requested !== undefined) return requested;
  let largest = 0;
  for (const layer of await model.layers()) {
    const elements = layer.shape.slice(1).reduce((a, b) => a * Math.max(b, 1), 1);
    largest = Math.max(largest, elements * 4);
  }
  if (largest === 0) return MAX_GRADIENT_CHUNK;
  return Math.max(1, Math.min(MAX_GRADIENT_CHUNK, Math.floor(GRADIENT_CHUNK_BYTES / largest)));
}

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
  const chunk = Math.min(miniBatchSize, total);
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
