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
import { resolveTarget, targetTensor, type ResolvedTarget, type Target } from '../target.js';

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
}

/** Runs the batch once to resolve the target (predicted class, predicted region, scores). */
export async function prepareAttribution(
  model: Model,
  input: TensorData,
  options: AttributionOptions,
): Promise<PreparedAttribution> {
  const geometry = imageGeometry(input, model.inputSpec, options.layout);
  const reduction = options.reductionLayer ?? (await model.reductionLayer());
  const tensor = targetTensor(options.target, reduction);
  const value = (await model.run(input, [tensor], { miniBatchSize: options.miniBatchSize }))[tensor];
  return {
    geometry,
    target: resolveTarget(model, options.target, tensor, value),
    forwardPasses: geometry.batch,
  };
}

export function channelReduction(options: AttributionOptions, fallback: ChannelReduction): ChannelReduction {
  return checkChoice('channelReduction', options.channelReduction, CHANNEL_REDUCTIONS, fallback);
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
  for (let item = 0; item < items; item++) {
    const base = item * geo.size;
    for (let p = 0; p < pixels; p++) {
      let acc = how === 'maxAbs' ? 0 : 0;
      for (let c = 0; c < geo.channels; c++) {
        const v = attribution.data[base + c * geo.channelStride + p * geo.pixelStride];
        if (how === 'maxAbs') acc = Math.max(acc, Math.abs(v));
        else if (how === 'sum') acc += v;
        else if (how === 'sumAbs') acc += Math.abs(v);
        else acc += v * v;
      }
      out[item * pixels + p] = how === 'l2' ? Math.sqrt(acc) : acc;
    }
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
