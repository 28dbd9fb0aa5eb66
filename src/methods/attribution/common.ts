/**
 * What gradient attributions share: options, the result shape, target resolution on the unmodified batch,
 * and the reduction of a per-channel attribution to one map per image.
 *
 * Attributions keep the input's own layout and are [N·K, ...input item dims] (K explanations per image,
 * item n·K + k); `map` is [N, K, H, W].
 */
import type { BackpropRule, BatchOptions, Model, TensorData } from '../../types.js';
import { checkChoice } from '../batch.js';
import { imageGeometry, type ImageGeometry } from '../image-layout.js';
import {
  resolveTarget,
  selfResolvingTarget,
  targetTensor,
  type ResolvedTarget,
  type Target,
} from '../target.js';

/** How channels become one value per pixel. */
export type ChannelReduction = 'maxAbs' | 'sum' | 'sumAbs' | 'l2';
export const CHANNEL_REDUCTIONS: readonly ChannelReduction[] = ['maxAbs', 'sum', 'sumAbs', 'l2'];

export interface AttributionOptions extends BatchOptions {
  /** What to explain (default: the predicted class). */
  target?: Target;
  /** Tensor class targets refer to; default `model.reductionLayer()` (the input of the final Softmax). */
  reductionLayer?: string;
  /** How the map combines channels (default depends on the method). */
  channelReduction?: ChannelReduction;
  /** Input layout when the model carries no input spec. */
  layout?: 'NCHW' | 'NHWC';
}

export interface AttributionResult {
  method: string;
  /** [N·K, ...input item dims], in the input's layout. */
  attribution: TensorData;
  /** [N, K, H, W]: the attribution reduced over channels. */
  map: TensorData;
  channelReduction: ChannelReduction;
  rule: BackpropRule;
  /** The tensor the target seeds. */
  tensor: string;
  perImage: number;
  classes: (number | undefined)[];
  descriptions: string[];
  /** The explained value f(x) per item. */
  scores: number[];
  /** Network evaluations spent: forward passes and VJP items. */
  cost: { forwardPasses: number; vjpItems: number };
}

export interface PreparedAttribution {
  geometry: ImageGeometry;
  target: ResolvedTarget;
  /** Forward passes spent resolving the target. */
  forwardPasses: number;
  /**
   * Set when the target was resolved without running the batch, for the gradient run to complete: 'scores'
   * (given classes: `target.scores` are placeholders until `fillScores` reads the explained values from the
   * VJP's outputs), 'top-class' (the predicted class: `target` is a placeholder until the run, made by a VJP
   * that seeds itself with the top class, gives the scores to resolve it on).
   */
  pending?: 'scores' | 'top-class';
}

/**
 * Runs the batch once to resolve the target (predicted class, predicted region, scores). With `deferred`, a
 * target the gradient run can resolve by itself (`selfResolvingTarget`) is left to it (see `pending`): the VJP
 * recomputes the forward pass anyway and returns the tensor, so a single image costs one VJP instead of a
 * forward pass and a VJP.
 */
export async function prepareAttribution(
  model: Model,
  input: TensorData,
  options: AttributionOptions,
  { deferred = false }: { deferred?: boolean } = {},
): Promise<PreparedAttribution> {
  const geometry = imageGeometry(input, model.inputSpec, options.layout);
  const reduction = options.reductionLayer ?? (await model.reductionLayer());
  const tensor = targetTensor(options.target, reduction);
  const itemDims = deferred ? await scoreItemDims(model, tensor) : undefined;
  const how = itemDims ? selfResolvingTarget(model, options.target, tensor, itemDims) : undefined;
  if (itemDims && (how === 'scores' || (how === 'top-class' && model.topClassVjp))) {
    const placeholder = {
      data: new Float32Array(geometry.batch * itemDims.reduce((a, b) => a * b, 1)),
      dims: [geometry.batch, ...itemDims],
    };
    return {
      geometry,
      target: resolveTarget(model, options.target, tensor, placeholder),
      forwardPasses: 0,
      pending: how,
    };
  }
  const value = (await model.run(input, [tensor], { miniBatchSize: options.miniBatchSize }))[tensor];
  return {
    geometry,
    target: resolveTarget(model, options.target, tensor, value),
    forwardPasses: geometry.batch,
  };
}

/**
 * The item dims of `tensor` where the model declares them: the main output's, for the output itself and for
 * the logits its final softmax or sigmoid reads (same shape).
 */
async function scoreItemDims(model: Model, tensor: string): Promise<number[] | undefined> {
  if (tensor !== model.outputName && tensor !== (await model.reductionLayer())) return undefined;
  const dims = model.outputs.find((o) => o.name === model.outputName)?.shape.slice(1);
  return dims?.every((d) => typeof d === 'number' && d > 0) ? (dims as number[]) : undefined;
}

/**
 * Fills the explained values <tensor, seed> of jobs first.. from `output`, the target tensor's values the VJP
 * returned for them ([count, ...item dims], job j's row j − first).
 */
export function fillScores(target: ResolvedTarget, output: TensorData, first: number, count: number): void {
  const size = target.seeds.data.length / target.seeds.dims[0];
  for (let j = 0; j < count; j++) {
    let s = 0;
    for (let i = 0; i < size; i++) s += output.data[j * size + i] * target.seeds.data[(first + j) * size + i];
    target.scores[first + j] = s;
  }
}

export function channelReduction(options: AttributionOptions, fallback: ChannelReduction): ChannelReduction {
  return checkChoice('channelReduction', options.channelReduction, CHANNEL_REDUCTIONS, fallback);
}

/**
 * Set by the noise tunnel on the options of the method it wraps: it reads only the attributions of the noisy
 * copies, so their maps are not made (a channel reduction of every copy, 25 of them per image by default).
 */
export const MAPS_UNREAD: unique symbol = Symbol('maps unread');

/** The result's map: the attribution reduced over channels, or an empty one where nobody reads it. */
export function attributionMap(
  attribution: TensorData,
  geo: ImageGeometry,
  perImage: number,
  how: ChannelReduction,
  options: AttributionOptions,
): TensorData {
  if ((options as { [MAPS_UNREAD]?: boolean })[MAPS_UNREAD]) {
    return { data: new Float32Array(0), dims: [0, perImage, geo.height, geo.width] };
  }
  return reduceChannels(attribution, geo, perImage, how);
}

/** [items, ...item] attribution → [N, K, H, W] map. */
export function reduceChannels(
  attribution: TensorData,
  geo: ImageGeometry,
  perImage: number,
  how: ChannelReduction,
): TensorData {
  const items = attribution.dims[0];
  const pixels = geo.height * geo.width;
  const out = new Float32Array(items * pixels);
  const data = attribution.data;
  const { channels, channelStride, pixelStride, size } = geo;
  // One pass per channel over a whole item, each reduction its own loop: the per-element branch on `how`
  // and strided reads across channels cost several times more on 224² images.
  const acc = new Float64Array(pixels);
  for (let item = 0; item < items; item++) {
    const base = item * size;
    acc.fill(0);
    for (let c = 0; c < channels; c++) {
      const from = base + c * channelStride;
      if (how === 'maxAbs') {
        for (let p = 0; p < pixels; p++) acc[p] = Math.max(acc[p], Math.abs(data[from + p * pixelStride]));
      } else if (how === 'sum') {
        for (let p = 0; p < pixels; p++) acc[p] += data[from + p * pixelStride];
      } else if (how === 'sumAbs') {
        for (let p = 0; p < pixels; p++) acc[p] += Math.abs(data[from + p * pixelStride]);
      } else {
        for (let p = 0; p < pixels; p++) {
          const v = data[from + p * pixelStride];
          acc[p] += v * v;
        }
      }
    }
    const to = item * pixels;
    if (how === 'l2') for (let p = 0; p < pixels; p++) out[to + p] = Math.sqrt(acc[p]);
    else for (let p = 0; p < pixels; p++) out[to + p] = acc[p];
  }
  return { data: out, dims: [items / perImage, perImage, geo.height, geo.width] };
}

/** Result fields that come from the prepared target. */
export function targetFields(prepared: PreparedAttribution) {
  const t = prepared.target;
  return {
    tensor: t.tensor,
    perImage: t.perImage,
    classes: t.classes,
    descriptions: t.descriptions,
    scores: t.scores,
  };
}
