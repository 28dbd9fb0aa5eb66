/**
 * Deep Dream (MATLAB `deepDreamImage(net, layer, channels)`): gradient ascent on the input to raise the
 * mean activation of chosen channels of a layer, over an image pyramid. One image per entry of `channels`
 * (an entry may be a list of channels, whose mean is raised together); all images ascend as one batch.
 *
 * Octaves run coarse to fine: octave o of L works at the input size divided by pyramidScale^(L−1−o). The
 * network keeps its input size (most take only one), so an octave restricts the update to its resolution:
 * the gradient is down-sampled to the octave's size and back before each step. Each step has mean size
 * `learnRate` in input units (x += learnRate · g / mean|g|); values stay within the pixel range when the
 * model has an input spec.
 */
import { OptionError } from '../../errors.js';
import type { RawImage } from '../../image/types.js';
import type { Model, ProgressCallback, TensorData } from '../../types.js';
import { createRandom } from '../../util/random.js';
import { checkChoice, checkFinite, checkPositiveInt } from '../batch.js';
import { imageGeometry } from '../image-layout.js';
import { resolveTarget } from '../target.js';
import {
  clampToPixels,
  normalizedStep,
  pixelBounds,
  smoothToOctave,
  startImages,
  toRawImages,
} from './ascent.js';

export interface DeepDreamOptions {
  /** Octaves (default 3). */
  pyramidLevels?: number;
  /** Size ratio between consecutive octaves (default 1.4). */
  pyramidScale?: number;
  /** Gradient steps per octave (default 10). */
  numIterations?: number;
  /** Mean step size in input units (default 0.05). */
  learnRate?: number;
  /** Start image(s) in the model's input space, [1 or count, ...]; default gray noise (seeded). */
  initialImage?: TensorData;
  /** 'linear' (default): pictures stretched to the full range; 'none': clamped pixel values. */
  outputScaling?: 'linear' | 'none';
  /** Print one line per octave (iterations, objective, size) to the console. */
  verbose?: boolean;
  /** Called after every step: done/total steps, stage 'octave o/L'. */
  onProgress?: ProgressCallback;
  seed?: number;
  /** Input layout when the model carries no input spec. */
  layout?: 'NCHW' | 'NHWC';
  /** Channel axis of the layer (default 1). */
  channelAxis?: number;
}

export interface DeepDreamResult {
  /** [count, ...input item dims]: the dreamed images in the model's input space. */
  image: TensorData;
  /** The same as 8-bit pictures (when the model has an input spec). */
  pictures?: RawImage[];
  layer: string;
  channels: number[][];
  /** Objective (mean activation of the channels) per octave and image: before each step, then after the last. */
  objective: number[][][];
  /** [height, width] the update of each octave is restricted to. */
  octaveSizes: [number, number][];
}

function channelGroups(channels: number | readonly (number | readonly number[])[]): number[][] {
  const list = typeof channels === 'number' ? [channels] : [...channels];
  if (list.length === 0) throw new OptionError('INVALID_OPTION', 'channels must name at least one channel');
  return list.map((entry) => (typeof entry === 'number' ? [entry] : [...entry]));
}

export async function deepDream(
  model: Model,
  layer: string,
  channels: number | readonly (number | readonly number[])[],
  options: DeepDreamOptions = {},
): Promise<DeepDreamResult> {
  const levels = checkPositiveInt('pyramidLevels', options.pyramidLevels, 3);
  const scale = checkFinite('pyramidScale', options.pyramidScale, 1.4, 1);
  const iterations = checkPositiveInt('numIterations', options.numIterations, 10);
  const rate = checkFinite('learnRate', options.learnRate, 0.05, 0);
  const scaling = checkChoice('outputScaling', options.outputScaling, ['linear', 'none'], 'linear');
  await model.checkLayer(layer);
  const groups = channelGroups(channels);
  const count = groups.length;
  const spec = model.inputSpec;
  const input = model.inputs.find((i) => i.name === model.inputName);
  const itemDims = spec
    ? spec.layout === 'NCHW'
      ? [spec.channels, spec.height, spec.width]
      : [spec.height, spec.width, spec.channels]
    : options.initialImage?.dims.slice(1);
  if (!itemDims) {
    throw new OptionError(
      'INVALID_OPTION',
      `the model's input ${input?.name ?? ''} has no input spec: give initialImage`,
    );
  }
  const size = itemDims.reduce((a, b) => a * b, 1);
  const random = createRandom(options.seed);
  const probe = { data: new Float32Array(size), dims: [1, ...itemDims] };
  const geo = imageGeometry(
    { data: new Float32Array(size * count), dims: [count, ...itemDims] },
    spec,
    options.layout,
  );
  const coarsest = scale ** (levels - 1);
  const noiseSize = {
    width: Math.max(1, Math.round(geo.width / coarsest)),
    height: Math.max(1, Math.round(geo.height / coarsest)),
  };
  const x = startImages(options.initialImage, count, itemDims, geo, spec, random, noiseSize);
  const bounds = pixelBounds(spec);
  clampToPixels(x, geo, bounds);

  // One seed per image: the mean over its channels (and every position) of the layer.
  const layerValue = (await model.run(probe, [layer]))[layer];
  const seedSize = layerValue.data.length;
  const seeds = new Float32Array(count * seedSize);
  groups.forEach((group, i) => {
    const one = resolveTarget(
      model,
      { kind: 'channel', tensor: layer, channels: group, axis: options.channelAxis },
      layer,
      layerValue,
    );
    seeds.set(one.seeds.data, i * seedSize);
  });
  const seedDims = [count, ...layerValue.dims.slice(1)];
  const vjp = await model.vjp({ output: layer, wrt: [model.inputName] });
  const objectiveOf = (value: TensorData): number[] =>
    Array.from({ length: count }, (_, i) => {
      let s = 0;
      for (let j = 0; j < seedSize; j++) s += value.data[i * seedSize + j] * seeds[i * seedSize + j];
      return s;
    });

  const objective: number[][][] = [];
  const octaveSizes: [number, number][] = [];
  const total = levels * iterations;
  for (let o = 0; o < levels; o++) {
    const factor = scale ** (levels - 1 - o);
    const h = Math.max(1, Math.round(geo.height / factor));
    const w = Math.max(1, Math.round(geo.width / factor));
    octaveSizes.push([h, w]);
    const trace: number[][] = Array.from({ length: count }, () => []);
    for (let it = 0; it < iterations; it++) {
      const { output, grads } = await vjp(
        { data: x, dims: [count, ...itemDims] },
        { data: seeds, dims: seedDims },
      );
      objectiveOf(output).forEach((v, i) => trace[i].push(v));
      const g = grads[0].data;
      smoothToOctave(g, geo, h, w);
      normalizedStep(x, g, size, rate);
      clampToPixels(x, geo, bounds);
      options.onProgress?.({ done: o * iterations + it + 1, total, stage: `octave ${o + 1}/${levels}` });
    }
    const after = (await model.run({ data: x, dims: [count, ...itemDims] }, [layer]))[layer];
    objectiveOf(after).forEach((v, i) => trace[i].push(v));
    objective.push(trace);
    if (options.verbose) {
      const first = trace.map((t) => t[0].toFixed(4)).join(', ');
      const last = trace.map((t) => t[t.length - 1].toFixed(4)).join(', ');
      console.log(
        `deepDream octave ${o + 1}/${levels} (${h}x${w}), ${iterations} iterations: objective ${first} -> ${last}`,
      );
    }
  }
  const image = { data: x, dims: [count, ...itemDims] };
  return {
    image,
    pictures: spec ? toRawImages(image, spec, scaling) : undefined,
    layer,
    channels: groups,
    objective,
    octaveSizes,
  };
}
