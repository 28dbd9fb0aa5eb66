/**
 * What every faithfulness metric works on: a model, a batch of images in the model's input layout, one
 * map per image at the input resolution, and the class each map explains. Perturbed copies are scored in
 * mini-batches through the same path the perturbation methods use.
 */
import { OptionError } from '../errors.js';
import { classScorer, type ScoreKind } from '../methods/class-scores.js';
import { imageGeometry, type ImageGeometry } from '../methods/image-layout.js';
import { runPerturbed } from '../methods/perturbed-batches.js';
import type { Model, ProgressCallback, TensorData } from '../types.js';

export interface MetricOptions {
  /** Score compared on perturbed inputs: softmax 'probability' (default) or the pre-softmax 'logit'. */
  score?: ScoreKind;
  /** Images per ONNX Runtime call (default 64). */
  miniBatchSize?: number;
  seed?: number;
  onProgress?: ProgressCallback;
}

export interface MapBatch {
  /** [N, H, W]: one map per image at the input resolution. */
  maps: TensorData;
  /** Class each map explains (one per image). */
  classes: readonly number[];
}

export interface EvalContext {
  model: Model;
  input: TensorData;
  geo: ImageGeometry;
  maps: TensorData;
  classes: readonly number[];
  pixels: number;
}

export function evalContext(model: Model, input: TensorData, batch: MapBatch): EvalContext {
  const geo = imageGeometry(input, model.inputSpec);
  const [n, h, w] = batch.maps.dims;
  if (batch.maps.dims.length !== 3 || n !== geo.batch || h !== geo.height || w !== geo.width) {
    throw new OptionError(
      'INVALID_OPTION',
      `maps must be [${geo.batch}, ${geo.height}, ${geo.width}] (one per image at the input size), got [${batch.maps.dims}]`,
    );
  }
  if (batch.classes.length !== n) {
    throw new OptionError(
      'INVALID_OPTION',
      `expected ${n} classes (one per map), got ${batch.classes.length}`,
    );
  }
  return { model, input, geo, maps: batch.maps, classes: batch.classes, pixels: h * w };
}

/** Map of image `i` as a view. */
export function mapOf(ctx: Pick<EvalContext, 'maps' | 'pixels'>, i: number): Float32Array {
  return ctx.maps.data.subarray(i * ctx.pixels, (i + 1) * ctx.pixels);
}

/** Pixel indices from most to least relevant (largest map value first; ties by pixel index). */
export function relevanceOrder(map: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: map.length }, (_, i) => i);
  order.sort((a, b) => map[b] - map[a] || a - b);
  return order;
}

/**
 * Scores `count` perturbed copies: `write(buffer, offset, item)` fills copy `item` and `imageOf(item)` says
 * which image (and so which class) it belongs to. Returns the class score of every copy.
 */
export async function scoreCopies(
  ctx: EvalContext,
  count: number,
  imageOf: (item: number) => number,
  write: (buffer: Float32Array, offset: number, item: number) => void,
  options: MetricOptions & { progressOffset?: number; progressTotal?: number },
): Promise<Float64Array> {
  const scorer = await classScorer(ctx.model, options.score ?? 'probability');
  const out = new Float64Array(count);
  await runPerturbed(scorer, {
    total: count,
    size: ctx.geo.size,
    itemDims: ctx.input.dims.slice(1),
    miniBatchSize: options.miniBatchSize ?? 64,
    write,
    collect(scores, first, n) {
      const classes = scores.dims[1];
      for (let k = 0; k < n; k++) out[first + k] = scores.data[k * classes + ctx.classes[imageOf(first + k)]];
    },
    onProgress: options.onProgress,
    progressOffset: options.progressOffset,
    progressTotal: options.progressTotal,
  });
  return out;
}

/** Writes image `i` into `buffer` at `offset`, then overwrites `pixels` with the same pixels of `source`. */
export function writeMixed(
  ctx: EvalContext,
  buffer: Float32Array,
  offset: number,
  base: Float32Array,
  source: Float32Array,
  pixels: ArrayLike<number>,
  count: number,
): void {
  buffer.set(base, offset);
  const { channels, channelStride, pixelStride } = ctx.geo;
  for (let k = 0; k < count; k++) {
    const p = pixels[k] * pixelStride;
    for (let c = 0; c < channels; c++) {
      const at = p + c * channelStride;
      buffer[offset + at] = source[at];
    }
  }
}

/**
 * The spread of one image's values (largest minus smallest), the unit noise levels are given in; 1 for a
 * constant image, so a noise level still means something there.
 */
export function valueSpread(image: ArrayLike<number>): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let e = 0; e < image.length; e++) {
    lo = Math.min(lo, image[e]);
    hi = Math.max(hi, image[e]);
  }
  return hi - lo || 1;
}

/** A metric's `numSamples` option: an integer of at least `least`, `fallback` when left out. */
export function sampleCount(value: number | undefined, fallback: number, least = 1): number {
  const samples = value ?? fallback;
  if (!Number.isInteger(samples) || samples < least) {
    const what = least === 1 ? 'a positive integer' : `an integer >= ${least}`;
    throw new OptionError('INVALID_OPTION', `numSamples must be ${what}, got ${samples}`);
  }
  return samples;
}

/** Image `i` of the input as a view. */
export function imageOf(ctx: Pick<EvalContext, 'input' | 'geo'>, i: number): Float32Array {
  return ctx.input.data.subarray(i * ctx.geo.size, (i + 1) * ctx.geo.size);
}
