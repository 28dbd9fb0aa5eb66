/**
 * Class-score maximisation (Simonyan et al., 2014, with the regularisers of Yosinski et al., 2015): an
 * image that raises a class's pre-softmax score, found by gradient ascent from a gray start. Each step
 * shifts the image by a random jitter (seeded) before taking the gradient and shifts the gradient back,
 * decays values towards the mean pixel (L2), and every `blurEvery` steps blurs the image slightly — which
 * keeps the result from turning into high-frequency noise.
 */
import type { RawImage } from '../../image/types.js';
import type { Model, ProgressCallback, TensorData } from '../../types.js';
import { createRandom } from '../../util/random.js';
import { checkChoice, checkFinite, checkPositiveInt } from '../batch.js';
import { gaussianBlur } from '../gaussian-blur.js';
import { imageGeometry, type ImageGeometry } from '../image-layout.js';
import { resolveClass, classCount, type ClassTarget } from '../target.js';
import { OptionError } from '../../errors.js';
import { clampToPixels, normalizedStep, pixelBounds, startImages, toRawImages } from './ascent.js';

export interface ClassMaximizationOptions {
  /** Gradient steps (default 100). */
  numIterations?: number;
  /** Mean step size in input units (default 0.05). */
  learnRate?: number;
  /** Largest random shift in pixels per step (default 4). */
  jitter?: number;
  /** Blur sigma in pixels (default 0.5) applied every `blurEvery` steps (default 4); 0 disables. */
  blurSigma?: number;
  blurEvery?: number;
  /** Fraction of each value removed per step (default 0.001). */
  l2Decay?: number;
  /** Tensor holding the class scores (default `model.reductionLayer()`). */
  reductionLayer?: string;
  initialImage?: TensorData;
  outputScaling?: 'linear' | 'none';
  onProgress?: ProgressCallback;
  seed?: number;
  layout?: 'NCHW' | 'NHWC';
}

export interface ClassMaximizationResult {
  image: TensorData;
  pictures?: RawImage[];
  classes: number[];
  /** Class score per image before each step, then after the last. */
  objective: number[][];
}

/** Moves every plane of `x` by (dy, dx) with wrap-around (into `out`). */
function roll(x: Float32Array, out: Float32Array, geo: ImageGeometry, dy: number, dx: number): void {
  const { height: H, width: W } = geo;
  for (let n = 0; n < x.length / geo.size; n++) {
    for (let c = 0; c < geo.channels; c++) {
      const base = n * geo.size + c * geo.channelStride;
      for (let y = 0; y < H; y++) {
        const ty = (((y + dy) % H) + H) % H;
        for (let xx = 0; xx < W; xx++) {
          const tx = (((xx + dx) % W) + W) % W;
          out[base + (ty * W + tx) * geo.pixelStride] = x[base + (y * W + xx) * geo.pixelStride];
        }
      }
    }
  }
}

export async function classMaximization(
  model: Model,
  classes: ClassTarget | readonly ClassTarget[],
  options: ClassMaximizationOptions = {},
): Promise<ClassMaximizationResult> {
  const iterations = checkPositiveInt('numIterations', options.numIterations, 100);
  const rate = checkFinite('learnRate', options.learnRate, 0.05, 0);
  const jitter = Math.round(checkFinite('jitter', options.jitter, 4, 0));
  const sigma = checkFinite('blurSigma', options.blurSigma, 0.5, 0);
  const blurEvery = checkPositiveInt('blurEvery', options.blurEvery, 4);
  const decay = checkFinite('l2Decay', options.l2Decay, 0.001, 0);
  const scaling = checkChoice('outputScaling', options.outputScaling, ['linear', 'none'], 'linear');
  const spec = model.inputSpec;
  const itemDims = spec
    ? spec.layout === 'NCHW'
      ? [spec.channels, spec.height, spec.width]
      : [spec.height, spec.width, spec.channels]
    : options.initialImage?.dims.slice(1);
  if (!itemDims) throw new OptionError('INVALID_OPTION', 'the model has no input spec: give initialImage');
  const list = (Array.isArray(classes) ? [...classes] : [classes]) as ClassTarget[];
  if (list.length === 0) throw new OptionError('INVALID_OPTION', 'give at least one class');
  const layer = options.reductionLayer ?? (await model.reductionLayer());
  const size = itemDims.reduce((a, b) => a * b, 1);
  const count = list.length;
  const probe = (await model.run({ data: new Float32Array(size), dims: [1, ...itemDims] }, [layer]))[layer];
  const numClasses = probe.data.length;
  if (probe.dims.length !== 2) {
    throw new OptionError(
      'INVALID_OPTION',
      `class scores '${layer}' must be [N, classes], found [${probe.dims}]`,
    );
  }
  const resolved = list.map((c) => resolveClass(model, c, classCount(model) ?? numClasses));
  const seeds = new Float32Array(count * numClasses);
  resolved.forEach((c, i) => (seeds[i * numClasses + c] = 1));

  const geo = imageGeometry(
    { data: new Float32Array(count * size), dims: [count, ...itemDims] },
    spec,
    options.layout,
  );
  const random = createRandom(options.seed);
  const x = startImages(options.initialImage, count, itemDims, geo, spec, random);
  const bounds = pixelBounds(spec);
  const mid = bounds ? bounds.low.map((lo, c) => (lo + bounds.high[c]) / 2) : new Array(geo.channels).fill(0);
  const shifted = new Float32Array(x.length);
  const back = new Float32Array(x.length);
  const vjp = await model.vjp({ output: layer, wrt: [model.inputName] });
  const objective: number[][] = Array.from({ length: count }, () => []);
  const pixels = geo.height * geo.width;
  for (let it = 0; it < iterations; it++) {
    const dy = jitter > 0 ? random.nextInt(2 * jitter + 1) - jitter : 0;
    const dx = jitter > 0 ? random.nextInt(2 * jitter + 1) - jitter : 0;
    roll(x, shifted, geo, dy, dx);
    const { output, grads } = await vjp(
      { data: shifted, dims: [count, ...itemDims] },
      { data: seeds, dims: [count, numClasses] },
    );
    resolved.forEach((c, i) => objective[i].push(output.data[i * numClasses + c]));
    roll(grads[0].data, back, geo, -dy, -dx);
    normalizedStep(x, back, size, rate);
    if (decay > 0) {
      for (let n = 0; n < count; n++)
        for (let c = 0; c < geo.channels; c++)
          for (let p = 0; p < pixels; p++) {
            const i = n * geo.size + c * geo.channelStride + p * geo.pixelStride;
            x[i] -= decay * (x[i] - mid[c]);
          }
    }
    if (sigma > 0 && (it + 1) % blurEvery === 0)
      x.set(gaussianBlur({ data: x, dims: [count, ...itemDims] }, geo, sigma).data);
    clampToPixels(x, geo, bounds);
    options.onProgress?.({ done: it + 1, total: iterations, stage: 'iterations' });
  }
  const final = (await model.run({ data: x, dims: [count, ...itemDims] }, [layer]))[layer];
  resolved.forEach((c, i) => objective[i].push(final.data[i * numClasses + c]));
  const image = { data: x, dims: [count, ...itemDims] };
  return {
    image,
    pictures: spec ? toRawImages(image, spec, scaling) : undefined,
    classes: resolved,
    objective,
  };
}
