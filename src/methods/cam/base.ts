/**
 * The shared skeleton of every class activation map. It runs the batch once to get the feature layer's
 * activations A and the target tensor, turns the target into a seed, and — for variants that need them —
 * takes the gradients G = ∂<tensor, seed>/∂A in ONE vector–Jacobian product. A variant then only supplies
 * how channels (or elements) are weighted; the base combines, applies ReLU, normalises and up-samples.
 *
 * Layout of results: K explanations per image (K = 1 unless several classes are asked for), maps shaped
 * [N, K, h, w] at the feature layer's resolution and [N, K, H, W] at the model input's.
 */
import { layerLayoutOf } from '../../onnx/metadata.js';
import { OptionError, UnsupportedError } from '../../errors.js';
import { upsample } from '../../image/upsample.js';
import type { ResizeMethod } from '../../image/resample.js';
import type { BatchOptions, Model, TensorData, VjpFunction } from '../../types.js';
import { checkChoice, repeatItems } from '../batch.js';
import { imageGeometry, type ImageGeometry } from '../image-layout.js';
import { resolveTarget, targetTensor, type ResolvedTarget, type Target } from '../target.js';
import { channelWeightedSum, elementWeightedSum, featureMaps, type FeatureMaps } from './feature-maps.js';

export type CamMethodName =
  | 'cam'
  | 'gradcam'
  | 'hirescam'
  | 'gradcam++'
  | 'xgradcam'
  | 'layercam'
  | 'eigengradcam'
  | 'scorecam'
  | 'ablationcam'
  | 'eigencam';

export interface CamOptions extends BatchOptions {
  /** What to explain (default: the predicted class). See `Target`. */
  target?: Target;
  /**
   * Layer whose activations are weighted; default `model.featureLayer()` (last layer with spatial dims), or the
   * last spatial layer before the target tensor when that one is not before it (segmentation networks).
   */
  featureLayer?: string;
  /** Tensor class targets refer to; default `model.reductionLayer()` (the input of the final Softmax). */
  reductionLayer?: string;
  /**
   * MATLAB's `reductionFcn`, as the linear functional it stands for: given the reduction layer's value for
   * the batch, return the seed (∂reduction/∂value, same dims). Overrides `target`.
   */
  reductionFcn?: (value: TensorData) => TensorData;
  /** Keep only the positive part of the map (default: as in the method's paper). */
  relu?: boolean;
  /** Scale each map to [0, 1] (default false: raw values, like MATLAB's scoreMap). */
  normalize?: boolean;
  /** Interpolation of the up-sampled map (default 'bicubic'). */
  outputUpsampling?: ResizeMethod;
  /** Input layout when the model carries no input spec. */
  layout?: 'NCHW' | 'NHWC';
  /** Layout of the feature layer (default: the model's declared layer layout, else the input's). */
  featureLayout?: 'NCHW' | 'NHWC';
}

export interface CamResult {
  method: CamMethodName;
  /** [N, K, H, W]: the map up-sampled to the model input. */
  map: TensorData;
  /** [N, K, h, w]: the map at the feature layer's resolution. */
  featureMap: TensorData;
  featureLayer: string;
  /** The tensor the target seeds (the reduction layer for class targets). */
  reductionLayer: string;
  /** Explanations per image (K). */
  perImage: number;
  classes: (number | undefined)[];
  descriptions: string[];
  /** The explained value per item (class score before softmax, region sum, ...). */
  scores: number[];
  /** [N·K, C] channel weights, for variants that weight whole channels. */
  channelWeights?: TensorData;
  /** Network evaluations spent: full forward passes, tail passes from the feature layer, VJP items. */
  cost: { forwardPasses: number; tailPasses: number; vjpItems: number };
}

/** What a variant sees. Activations are per image; gradients (when asked for) per item (image n·K + k). */
export interface CamContext {
  model: Model;
  input: TensorData;
  geometry: ImageGeometry;
  featureLayer: string;
  featureLayout: 'NCHW' | 'NHWC';
  /** The feature layer's value as the network produced it (native layout). */
  rawActivations: TensorData;
  activations: FeatureMaps;
  gradients?: FeatureMaps;
  target: ResolvedTarget;
  options: CamOptions;
  /** Record extra network work for the result's cost. */
  spent(cost: { forwardPasses?: number; tailPasses?: number }): void;
}

export type CamWeights =
  /** [N·K, C]: map = Σ_c w_c · A_c. */
  | { kind: 'channel'; weights: Float32Array }
  /** [N·K, C, h, w]: map = Σ_c W_c ⊙ A_c. */
  | { kind: 'element'; weights: Float32Array }
  /** [N·K, h, w]: the map itself. */
  | { kind: 'map'; map: Float32Array };

export interface CamVariant {
  name: CamMethodName;
  title: string;
  /** Whether the base must compute gradients of the target with respect to the feature layer. */
  needsGradients: boolean;
  /** ReLU default, as in the method's paper. */
  relu: boolean;
  weigh(ctx: CamContext): CamWeights | Promise<CamWeights>;
}

const UPSAMPLING: readonly ResizeMethod[] = ['bicubic', 'bilinear', 'nearest'];

export async function runCam(
  variant: CamVariant,
  model: Model,
  input: TensorData,
  options: CamOptions = {},
): Promise<CamResult> {
  const geometry = imageGeometry(input, model.inputSpec, options.layout);
  const method = checkChoice('outputUpsampling', options.outputUpsampling, UPSAMPLING, 'bicubic');
  const featureLayout = checkChoice(
    'featureLayout',
    options.featureLayout,
    ['NCHW', 'NHWC'],
    layerLayout(model, geometry.layout),
  );
  const reductionLayer = options.reductionLayer ?? (await model.reductionLayer());
  const target: Target = options.target ?? undefined;
  const tensor = options.reductionFcn ? reductionLayer : targetTensor(target, reductionLayer);
  const featureLayer = options.featureLayer ?? (await defaultFeatureLayer(model, tensor, featureLayout));
  await model.checkLayer(featureLayer);
  const batchOptions = { miniBatchSize: options.miniBatchSize };

  const forward = await model.run(input, [featureLayer, tensor], batchOptions);
  const rawActivations = forward[featureLayer];
  const activations = featureMaps(rawActivations, featureLayout, featureLayer);
  const resolved = resolveTarget(
    model,
    options.reductionFcn ? reductionSeed(options.reductionFcn, tensor, forward[tensor]) : target,
    tensor,
    forward[tensor],
  );
  const cost = { forwardPasses: geometry.batch, tailPasses: 0, vjpItems: 0 };
  const perImage = resolved.perImage;
  const items = geometry.batch * perImage;

  let gradients: FeatureMaps | undefined;
  if (variant.needsGradients) {
    // The forward pass above already made the activations: run the network's tail only, where it can be cut.
    const tail = await tailGradient(model, featureLayer, tensor);
    const vjp = tail ?? (await model.vjp({ output: tensor, wrt: [featureLayer] }));
    const result = await vjp(repeatItems(tail ? rawActivations : input, perImage), resolved.seeds, {
      miniBatchSize: options.miniBatchSize,
      onProgress: options.onProgress,
    });
    gradients = featureMaps(result.grads[0], featureLayout, featureLayer);
    cost.vjpItems += items;
  }

  const ctx: CamContext = {
    model,
    input,
    geometry,
    featureLayer,
    featureLayout,
    rawActivations,
    activations,
    gradients,
    target: resolved,
    options,
    spent: (extra) => {
      cost.forwardPasses += extra.forwardPasses ?? 0;
      cost.tailPasses += extra.tailPasses ?? 0;
    },
  };
  const weights = await variant.weigh(ctx);
  const { height: h, width: w } = activations;
  let raw: Float32Array;
  if (weights.kind === 'channel') raw = channelWeightedSum(activations, weights.weights, perImage);
  else if (weights.kind === 'element') raw = elementWeightedSum(activations, weights.weights, perImage);
  else raw = weights.map;
  if (raw.length !== items * h * w) {
    throw new OptionError(
      'INVALID_OPTION',
      `${variant.name} produced ${raw.length} values, expected ${items * h * w}`,
    );
  }

  if (options.relu ?? variant.relu) for (let i = 0; i < raw.length; i++) if (raw[i] < 0) raw[i] = 0;
  const H = geometry.height;
  const W = geometry.width;
  const up = new Float32Array(items * H * W);
  for (let item = 0; item < items; item++) {
    const small = raw.subarray(item * h * w, (item + 1) * h * w);
    if (options.normalize) normalizeInPlace(small);
    const big = upsample({ data: small.slice(), width: w, height: h }, { width: W, height: H }, method).data;
    if (options.normalize) normalizeInPlace(big);
    up.set(big, item * H * W);
  }
  return {
    method: variant.name,
    map: { data: up, dims: [geometry.batch, perImage, H, W] },
    featureMap: { data: raw, dims: [geometry.batch, perImage, h, w] },
    featureLayer,
    reductionLayer: tensor,
    perImage,
    classes: resolved.classes,
    descriptions: resolved.descriptions,
    scores: resolved.scores,
    channelWeights:
      weights.kind === 'channel' ? { data: weights.weights, dims: [items, activations.channels] } : undefined,
    cost,
  };
}

/** The tail VJP from the feature layer; undefined where the model has none or the tail reads earlier tensors. */
async function tailGradient(model: Model, layer: string, output: string): Promise<VjpFunction | undefined> {
  if (!model.tailVjp) return undefined;
  try {
    return await model.tailVjp(layer, output);
  } catch (err) {
    if (err instanceof UnsupportedError && err.code === 'UNSUPPORTED_LAYER') return undefined;
    throw err;
  }
}

function reductionSeed(fcn: (value: TensorData) => TensorData, tensor: string, value: TensorData): Target {
  const seeds = fcn(value);
  if (!seeds || !(seeds.data instanceof Float32Array) || seeds.data.length !== value.data.length) {
    throw new OptionError(
      'INVALID_OPTION',
      `reductionFcn must return a seed with the dims of '${tensor}' [${value.dims}]`,
    );
  }
  return {
    kind: 'seed',
    tensor,
    seeds: { data: seeds.data, dims: [...value.dims] },
    descriptions: new Array(value.dims[0]).fill(`reductionFcn of ${tensor}`),
  };
}

/**
 * `model.featureLayer()` (the last layer with spatial dims), unless that is the target tensor itself or comes
 * after it — as in segmentation networks, whose score map is the last spatial layer — then the last spatial
 * layer before the target tensor (e.g. the decoder's last ReLU).
 */
export async function defaultFeatureLayer(
  model: Model,
  tensor: string,
  layout: 'NCHW' | 'NHWC',
): Promise<string> {
  const chosen = await model.featureLayer();
  const layers = await model.layers();
  const targetAt = layers.findIndex((l) => l.name === tensor);
  const chosenAt = layers.findIndex((l) => l.name === chosen);
  if (targetAt < 0 || chosenAt < targetAt) return chosen;
  const [h, w] = layout === 'NCHW' ? [2, 3] : [1, 2];
  for (let i = targetAt - 1; i >= 0; i--) {
    const shape = layers[i].shape;
    if (shape.length === 4 && shape[h] > 1 && shape[w] > 1) return layers[i].name;
  }
  return chosen;
}

/**
 * Layout of the model's rank-4 layer tensors: what the model declares (`netlens.layerLayout` metadata, e.g.
 * TF.js imports keep layers NCHW behind an NHWC input), else the input's layout.
 */
export function layerLayout(model: Model, inputLayout: 'NCHW' | 'NHWC'): 'NCHW' | 'NHWC' {
  return layerLayoutOf(model.metadata, inputLayout);
}

/** Min–max to [0, 1]; a constant map becomes all zeros. */
export function normalizeInPlace(values: Float32Array): void {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  for (let i = 0; i < values.length; i++) values[i] = span > 0 ? (values[i] - min) / span : 0;
}

/** Mean over each channel's pixels of a per-item tensor of feature maps: [items, C]. */
export function spatialMeans(maps: FeatureMaps): Float32Array {
  const plane = maps.height * maps.width;
  const out = new Float32Array(maps.items * maps.channels);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let p = 0; p < plane; p++) s += maps.data[i * plane + p];
    out[i] = s / plane;
  }
  return out;
}

/**
 * Channel weights computed from each (item, channel) pair's activation plane and gradient plane: `weight`
 * gets the two arrays, the start of each plane and the plane size. Activations are per image, gradients per
 * explained item (K per image), so item n·K + k reads image n's activations.
 */
export function channelWeightsFromPlanes(
  ctx: CamContext,
  weight: (acts: Float32Array, a: number, grads: Float32Array, g: number, plane: number) => number,
): Float32Array {
  const grads = ctx.gradients!;
  const acts = ctx.activations;
  const k = ctx.target.perImage;
  const plane = grads.height * grads.width;
  const weights = new Float32Array(grads.items * grads.channels);
  for (let item = 0; item < grads.items; item++) {
    const image = Math.floor(item / k);
    for (let c = 0; c < grads.channels; c++) {
      const a = (image * grads.channels + c) * plane;
      const g = (item * grads.channels + c) * plane;
      weights[item * grads.channels + c] = weight(acts.data, a, grads.data, g, plane);
    }
  }
  return weights;
}
