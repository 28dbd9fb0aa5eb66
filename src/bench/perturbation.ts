/**
 * Speed of the perturbation methods against their floor: the same number of forward passes run as raw
 * ONNX Runtime batch calls on a pre-built batch (no masking, no bookkeeping). A ratio of 1 means the
 * method costs nothing beyond its forward passes.
 */
import * as ort from 'onnxruntime-node';
import { imageLime } from '../methods/lime/image-lime.js';
import { occlusionSensitivity } from '../methods/occlusion.js';
import { sessionOptions, type SessionSettings } from '../onnx/runtime.js';
import type { Model, TensorData } from '../types.js';

export interface PerturbationBenchRow {
  method: string;
  forwardPasses: number;
  /** Median wall time of the method, ms. */
  methodMs: number;
  /** Median wall time of the same number of raw forward passes, ms. */
  floorMs: number;
  ratio: number;
}

export interface PerturbationBenchOptions {
  miniBatchSize?: number;
  /** Timed repetitions (the median is reported) after one warm-up. */
  repeats?: number;
  settings?: SessionSettings;
  /** LIME samples per image (default 2048, MATLAB's). */
  numSamples?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Time of `passes` forward passes as raw runs of `miniBatchSize` copies of the first image. */
async function floorTime(
  session: ort.InferenceSession,
  inputName: string,
  image: TensorData,
  passes: number,
  miniBatchSize: number,
): Promise<number> {
  const size = image.data.length / image.dims[0];
  const full = new Float32Array(miniBatchSize * size);
  for (let k = 0; k < miniBatchSize; k++) full.set(image.data.subarray(0, size), k * size);
  const itemDims = image.dims.slice(1);
  const start = performance.now();
  for (let done = 0; done < passes; done += miniBatchSize) {
    const count = Math.min(miniBatchSize, passes - done);
    const data = count === miniBatchSize ? full : full.slice(0, count * size);
    await session.run({ [inputName]: new ort.Tensor('float32', data, [count, ...itemDims]) });
  }
  return performance.now() - start;
}

/**
 * Runs occlusion (default options) and LIME (superpixels and grid) on `images` and compares each with
 * its floor. `modelBytes` must be the model behind `model` (the floor runs its own session).
 */
export async function benchPerturbation(
  model: Model,
  modelBytes: Uint8Array,
  images: TensorData,
  options: PerturbationBenchOptions = {},
): Promise<PerturbationBenchRow[]> {
  const miniBatchSize = options.miniBatchSize ?? 128;
  const repeats = options.repeats ?? 3;
  const session = await ort.InferenceSession.create(modelBytes, sessionOptions(options.settings ?? {}));
  const methods: { name: string; run: () => Promise<number> }[] = [
    {
      name: 'occlusion (auto mask/stride)',
      run: async () => (await occlusionSensitivity(model, images, { miniBatchSize })).forwardPasses,
    },
    {
      name: 'imageLIME superpixels, linear',
      run: async () =>
        (await imageLime(model, images, { miniBatchSize, numSamples: options.numSamples })).forwardPasses,
    },
    {
      name: 'imageLIME grid, tree',
      run: async () =>
        (
          await imageLime(model, images, {
            miniBatchSize,
            numSamples: options.numSamples,
            segmentation: 'grid',
            model: 'tree',
          })
        ).forwardPasses,
    },
  ];
  const rows: PerturbationBenchRow[] = [];
  for (const method of methods) {
    const passes = await method.run(); // warm-up (also sizes the floor)
    await floorTime(session, model.inputName, images, passes, miniBatchSize);
    const methodTimes: number[] = [];
    const floorTimes: number[] = [];
    // Alternate method and floor so drifts in machine load hit both alike.
    for (let r = 0; r < repeats; r++) {
      const start = performance.now();
      await method.run();
      methodTimes.push(performance.now() - start);
      floorTimes.push(await floorTime(session, model.inputName, images, passes, miniBatchSize));
    }
    const methodMs = median(methodTimes);
    const floorMs = median(floorTimes);
    rows.push({ method: method.name, forwardPasses: passes, methodMs, floorMs, ratio: methodMs / floorMs });
  }
  await session.release();
  return rows;
}
