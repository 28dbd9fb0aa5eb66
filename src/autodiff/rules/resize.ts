/**
 * Resize (and Upsample, its pre-opset-10 form). The op is linear in its input and separable by axis: along
 * every resized axis a, y = W_a·x with W_a [out × in] fixed by the sizes, the scale and the attributes. The
 * gradient applies each W_aᵀ in turn, as a MatMul (transposing the axis to the end unless it is one of the
 * last two).
 *
 * W_a is not recomputed here: the graph resizes a constant identity matrix along one axis with the node's own
 * op and attributes, so the weights are exactly the runtime's, rounding at nearest-mode ties included (ORT
 * folds that node into a constant when the session is created). Nearest upsampling by an integer factor whose
 * pattern is exactly known (every output copies input ⌊o/k⌋) takes a cheaper path: a sum over blocks of k.
 * With respect to the scales and roi: resize-sampling.ts.
 */
import {
  attrString,
  getAttr,
  makeAttr,
  makeNode,
  type AttributeProto,
  type NodeProto,
} from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';
import { pinnedAxes, samplingGradients, type SampledAxis } from './resize-sampling.js';

const f32 = Math.fround;

/** How one axis is resized, as the runtime sees it. */
interface AxisResize {
  inSize: number;
  outSize: number;
  /** The scale the runtime works with: the given one, or out/in (float32) when sizes were given. */
  scale: number;
  /** Whether the runtime was given sizes (then it derives the scale) rather than scales. */
  bySize: boolean;
  roi: [number, number];
  /** The axis (of the node's input). */
  axis: number;
  /** Scale and roi bounds computed at run time: 1-element float tensors (then `scale` is NaN). */
  runtime?: { scale: string; roi?: [string, string] };
}

/** Values given per entry of the opset-18 `axes` attribute, spread over every axis (`fill` elsewhere). */
function spread(values: number[], axes: number[] | undefined, rank: number, fill: number): number[] {
  if (!axes) return values;
  const full = new Array<number>(rank).fill(fill);
  axes.forEach((axis, i) => (full[axis] = values[i]));
  return full;
}

const isLegacy = (node: NodeProto, ctx: RuleContext): boolean => node.opType === 'Upsample' || ctx.opset < 11;

/** Per-axis scales as the runtime uses them, and whether they came from sizes. */
function scalesOf(
  node: NodeProto,
  ctx: RuleContext,
  axes: number[] | undefined,
  inDims: number[],
  outDims: number[],
): { scales: number[]; bySize: boolean; runtime?: string } {
  const rank = inDims.length;
  const legacy = isLegacy(node, ctx);
  const scalesInput = legacy ? node.input![1] : node.input![2];
  if (scalesInput) {
    const given = ctx.constantValue(scalesInput);
    if (!given) {
      // An empty scales tensor means sizes: its length is static even when its values are not.
      const length = ctx.shape(scalesInput)[0];
      if (length !== 0)
        return {
          scales: spread(new Array<number>(length).fill(NaN), axes, rank, 1),
          bySize: false,
          runtime: scalesInput,
        };
    } else if (given.length > 0) return { scales: spread(given, axes, rank, 1), bySize: false };
  } else if (legacy) {
    // Upsample-7 carries its scales as an attribute.
    const attribute = getAttr(node, 'scales');
    if (Array.isArray(attribute)) return { scales: attribute as number[], bySize: false };
  }
  const sizesInput = legacy ? undefined : node.input![3];
  if (!sizesInput) throw ctx.unsupported('a resize with neither scales nor sizes');
  const policy = attrString(node, 'keep_aspect_ratio_policy', 'stretch');
  if (policy === 'stretch') {
    // The runtime divides the requested size by the input size; the probed output size is that request.
    const scales = inDims.map((d, i) => (d <= 0 || outDims[i] < 0 ? 1 : f32(outDims[i] / d)));
    return { scales, bySize: true };
  }
  if (policy !== 'not_larger' && policy !== 'not_smaller')
    throw ctx.unsupported(`keep_aspect_ratio_policy '${policy}'`);
  const sizes = ctx.constantValue(sizesInput);
  if (!sizes) throw ctx.unsupported(`sizes computed at run time with keep_aspect_ratio_policy '${policy}'`);
  const requested = spread(sizes, axes, rank, -1);
  const chosen = axes ?? inDims.map((_, i) => i);
  const ratios = chosen.map((a) => f32(requested[a] / inDims[a]));
  const common = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
  return { scales: inDims.map((_, i) => (chosen.includes(i) ? common : 1)), bySize: false };
}

/**
 * Start and end of tf_crop_and_resize's region of interest per axis ([0, 1] otherwise), or 'runtime' when
 * the roi is computed at run time.
 */
function roiOf(
  node: NodeProto,
  ctx: RuleContext,
  axes: number[] | undefined,
  rank: number,
): [number, number][] | 'runtime' {
  const whole = Array.from({ length: rank }, (): [number, number] => [0, 1]);
  if (!isTfCrop(node, ctx)) return whole;
  const roiInput = node.input![1];
  if (!roiInput) throw ctx.unsupported('tf_crop_and_resize without a roi');
  const roi = ctx.constantValue(roiInput);
  if (!roi) return 'runtime';
  if (roi.length === 0) throw ctx.unsupported('tf_crop_and_resize with an empty roi');
  const n = roi.length / 2;
  const starts = spread(roi.slice(0, n), axes, rank, 0);
  const ends = spread(roi.slice(n), axes, rank, 1);
  return starts.map((s, i) => [s, ends[i]]);
}

const isTfCrop = (node: NodeProto, ctx: RuleContext): boolean =>
  !isLegacy(node, ctx) && attrString(node, 'coordinate_transformation_mode', '') === 'tf_crop_and_resize';

/** Element `at` of a 1-D run-time tensor, as a 1-element float tensor. */
function element(ctx: RuleContext, tensor: string, at: number): string {
  return ctx.op('Slice', [tensor, ctx.constInt64([at]), ctx.constInt64([at + 1])]);
}

/**
 * One entry per input axis; undefined for axes the runtime leaves untouched (scale 1). With scales or roi
 * computed at run time, every axis they cover is resized with its run-time values (an axis whose size is
 * kept may still be resampled).
 */
function resizedAxes(node: NodeProto, ctx: RuleContext): (AxisResize | undefined)[] {
  const inDims = ctx.shape(node.input![0]);
  const outDims = ctx.shape(node.output![0]);
  const rank = inDims.length;
  const rawAxes = ctx.opset >= 18 ? (getAttr(node, 'axes') as number[] | undefined) : undefined;
  const axes = rawAxes?.map((a) => (a < 0 ? a + rank : a));
  const { scales, bySize, runtime } = scalesOf(node, ctx, axes, inDims, outDims);
  const roi = roiOf(node, ctx, axes, rank);
  const covered = axes ?? inDims.map((_, i) => i);
  return inDims.map((inSize, i) => {
    const outSize = outDims[i];
    const slot = covered.indexOf(i);
    if (runtime || roi === 'runtime') {
      if (slot < 0) return undefined;
      const scale = runtime ? element(ctx, runtime, slot) : ctx.constFloat([scales[i]]);
      const bounds: [string, string] | undefined =
        roi === 'runtime'
          ? [element(ctx, node.input![1], slot), element(ctx, node.input![1], slot + covered.length)]
          : undefined;
      if (!runtime && scales[i] === 1 && !bounds) return undefined;
      return {
        inSize,
        outSize,
        scale: runtime ? NaN : scales[i],
        bySize,
        roi: roi === 'runtime' ? [0, 1] : roi[i],
        axis: i,
        runtime: { scale, roi: bounds },
      };
    }
    if (scales[i] === 1) return undefined;
    if (inSize < 0 || outSize < 0)
      throw ctx.unsupported('resizing an axis whose size varies with the batch size');
    if (!bySize && Math.floor(f32(scales[i] * inSize)) !== outSize) {
      throw ctx.unsupported(`output size ${outSize} on axis ${i} does not follow from scale ${scales[i]}`);
    }
    return { inSize, outSize, scale: scales[i], bySize, roi: roi[i], axis: i };
  });
}

/** Nearest rounding of the exactly known coordinate x (no float error: see `repeatFactor`). */
function roundNearest(x: number, mode: string): number {
  const halfAway = Math.sign(x) * Math.floor(Math.abs(x) + 0.5);
  if (mode === 'floor') return Math.floor(x);
  if (mode === 'ceil') return Math.ceil(x);
  if (mode === 'round_prefer_ceil') return halfAway;
  return x === Math.trunc(x) + 0.5 ? Math.floor(x) : halfAway;
}

/**
 * k when nearest resizing copies input element ⌊o/k⌋ to every output o (upsampling by an integer k), else
 * undefined. Only for coordinate modes whose coordinates are exact here: o/k and (o ± ½)/k are computed
 * exactly whenever they are ties, and lie at least 1/2k from a tie otherwise.
 */
function repeatFactor(node: NodeProto, ctx: RuleContext, a: AxisResize): number | undefined {
  const k = a.outSize / a.inSize;
  if (attrString(node, 'mode', 'nearest') !== 'nearest' || !Number.isInteger(k) || k < 2 || a.scale !== k) {
    return undefined;
  }
  const legacy = isLegacy(node, ctx);
  const coordinate = legacy ? 'asymmetric' : attrString(node, 'coordinate_transformation_mode', 'half_pixel');
  const rounding = legacy ? 'floor' : attrString(node, 'nearest_mode', 'round_prefer_floor');
  const source: Record<string, ((o: number) => number) | undefined> = {
    asymmetric: (o) => o / k,
    half_pixel: (o) => (o + 0.5) / k - 0.5,
    pytorch_half_pixel: (o) => (o + 0.5) / k - 0.5,
    tf_half_pixel_for_nn: (o) => (o + 0.5) / k,
  };
  const at = source[coordinate];
  if (!at) return undefined;
  for (let o = 0; o < a.outSize; o++) {
    const index = Math.min(Math.max(roundNearest(at(o), rounding), 0), a.inSize - 1);
    if (index !== Math.floor(o / k)) return undefined;
  }
  return k;
}

/** Attributes the weights probe must not inherit: it is 2-D, given explicit scales or sizes, and pads with 0. */
const PROBE_DROPS = new Set(['axes', 'keep_aspect_ratio_policy', 'extrapolation_value', 'scales']);

/**
 * W (`along` 0: [out × in]) or Wᵀ (`along` 1: [in × out]) as a graph tensor: the node's own op applied to an
 * [in × in] identity, resizing only axis `along`.
 */
function weights(node: NodeProto, ctx: RuleContext, a: AxisResize, along: 0 | 1): string {
  if (a.runtime || a.outSize === a.inSize) return paddedProbeWeights(node, ctx, a, along);
  const n = a.inSize;
  const identity = ctx.constFloat(
    Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0)),
    [n, n],
  );
  const pick = (resized: number, kept: number): number[] => (along === 0 ? [resized, kept] : [kept, resized]);
  const scales = ctx.constFloat(pick(a.scale, 1));
  const inputs: string[] = [identity];
  const extra: AttributeProto[] = [];
  if (isLegacy(node, ctx)) {
    if (node.input![1]) inputs.push(scales);
    else extra.push(makeAttr('scales', pick(a.scale, 1), 'floats'));
  } else {
    const optional = (name: string | undefined): string =>
      name ?? (ctx.opset >= 13 ? '' : ctx.constFloat([], [0]));
    const tfCrop = attrString(node, 'coordinate_transformation_mode', '') === 'tf_crop_and_resize';
    const [start, end] = a.roi;
    inputs.push(optional(tfCrop ? ctx.constFloat([...pick(start, 0), ...pick(end, 1)]) : undefined));
    // Sizes give the same scale whenever out/in rounds to it; given scales, ONNX shape inference (in double)
    // may disagree with the runtime (in float) on the output size, and the MatMul would then not type-check.
    if (a.bySize || f32(a.outSize / n) === a.scale)
      inputs.push(optional(undefined), ctx.constInt64(pick(a.outSize, n)));
    else if (Math.floor(a.scale * n) === a.outSize) inputs.push(scales);
    else
      throw ctx.unsupported(
        `scale ${a.scale} on an axis of ${n}: shape inference and the runtime disagree on the size`,
      );
    if (tfCrop) extra.push(makeAttr('extrapolation_value', 0, 'float'));
  }
  const output = ctx.fresh('resize_weights');
  const probe = makeNode(node.opType!, inputs, [output]);
  probe.attribute = [...(node.attribute ?? []).filter((attr) => !PROBE_DROPS.has(attr.name ?? '')), ...extra];
  ctx.emit(probe);
  return output;
}

/**
 * W or Wᵀ as in `weights`, for scales or roi computed at run time (fed to the probe as data) and for axes whose
 * size is kept. The probe resizes [1, in, in, 2]: one-hot signal k along axis 1 (kept), the resized axis 2,
 * and a last axis of two equal copies upsampled by 2, so that the probe's output never has its input's shape
 * (the runtime would then copy its input, whatever the scale) while equal values stay equal; linear and cubic
 * modes accept 4-D inputs whose two outer scales are 1. An identity whose size follows the batch is built at
 * run time (EyeLike).
 */
function paddedProbeWeights(node: NodeProto, ctx: RuleContext, a: AxisResize, along: 0 | 1): string {
  const n = a.inSize;
  let identity: string;
  if (n >= 0) {
    identity = ctx.constFloat(
      Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0)),
      [n, n],
    );
  } else {
    const size = ctx.op('Slice', [
      ctx.shapeTensor(node.input![0]),
      ctx.constInt64([a.axis]),
      ctx.constInt64([a.axis + 1]),
    ]);
    const square = ctx.op('Concat', [size, size], { axis: 0 });
    identity = ctx.op('EyeLike', [ctx.op('ConstantOfShape', [square])]);
  }
  const column = ctx.unsqueeze(identity, [0, 3]);
  const doubled = ctx.op('Concat', [column, column], { axis: 3 });
  if (!a.runtime && Math.floor(a.scale * n) !== a.outSize) {
    throw ctx.unsupported(
      `scale ${a.scale} on an axis of ${n}: shape inference and the runtime disagree on the size`,
    );
  }
  const scale = a.runtime?.scale ?? ctx.constFloat([a.scale]);
  const scales = ctx.op('Concat', [ctx.constFloat([1, 1]), scale, ctx.constFloat([2])], { axis: 0 });
  const inputs: string[] = [doubled];
  const extra: AttributeProto[] = [];
  if (isLegacy(node, ctx)) {
    if (!node.input![1])
      throw ctx.unsupported('Upsample with scales as an attribute and an axis of kept size');
    inputs.push(scales);
  } else {
    let roi = ctx.opset >= 13 ? '' : ctx.constFloat([], [0]);
    if (isTfCrop(node, ctx)) {
      const [start, end] = a.runtime?.roi ?? a.roi.map((v) => ctx.constFloat([v]));
      const whole = (v: string, kept: number): string[] => [
        ctx.constFloat([kept, kept]),
        v,
        ctx.constFloat([kept]),
      ];
      roi = ctx.op('Concat', [...whole(start, 0), ...whole(end, 1)], { axis: 0 });
      extra.push(makeAttr('extrapolation_value', 0, 'float'));
    }
    inputs.push(roi, scales);
  }
  const output = ctx.fresh('resize_weights');
  const probe = makeNode(node.opType!, inputs, [output]);
  probe.attribute = [...(node.attribute ?? []).filter((attr) => !PROBE_DROPS.has(attr.name ?? '')), ...extra];
  ctx.emit(probe);
  // [1, in, out, 4] → Wᵀ [in, out]
  const transposed = ctx.squeeze(ctx.op('Gather', [output, ctx.constInt64([0], [])], { axis: 3 }), [0]);
  return along === 1 ? transposed : ctx.op('Transpose', [transposed], { perm: [1, 0] });
}

/** g with W_aᵀ applied along `axis`; `dims` are g's current dims (-1 for the batch). */
function applyTransposed(
  node: NodeProto,
  ctx: RuleContext,
  g: string,
  dims: number[],
  axis: number,
  a: AxisResize,
): string {
  const rank = dims.length;
  const k = repeatFactor(node, ctx, a);
  if (k !== undefined && dims.filter((d) => d < 0).length <= 1) {
    const blocks = [...dims.slice(0, axis), a.inSize, k, ...dims.slice(axis + 1)];
    return ctx.reduceSum(ctx.op('Reshape', [g, ctx.constInt64(blocks)]), [axis + 1], false);
  }
  // [.., out] · W = [.., in];  Wᵀ · [.., out, w] = [.., in, w].
  if (axis === rank - 1) return ctx.op('MatMul', [g, weights(node, ctx, a, 0)], {}, 'resize_grad');
  if (axis === rank - 2) return ctx.op('MatMul', [weights(node, ctx, a, 1), g], {}, 'resize_grad');
  const toEnd = [...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis), axis];
  const back = new Array<number>(rank);
  toEnd.forEach((p, i) => (back[p] = i));
  const moved = ctx.op('Transpose', [g], { perm: toEnd });
  const product = ctx.op('MatMul', [moved, weights(node, ctx, a, 0)], {}, 'resize_grad');
  return ctx.op('Transpose', [product], { perm: back });
}

/** g with W_a applied along `axis` (the forward resize of that axis); `dims` are g's current dims. */
function applyForward(
  node: NodeProto,
  ctx: RuleContext,
  g: string,
  rank: number,
  axis: number,
  a: AxisResize,
) {
  // [.., in] · Wᵀ = [.., out];  W · [.., in, w] = [.., out, w].
  if (axis === rank - 1) return ctx.op('MatMul', [g, weights(node, ctx, a, 1)], {}, 'resized');
  if (axis === rank - 2) return ctx.op('MatMul', [weights(node, ctx, a, 0), g], {}, 'resized');
  const toEnd = [...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis), axis];
  const back = new Array<number>(rank);
  toEnd.forEach((p, i) => (back[p] = i));
  const moved = ctx.op('Transpose', [g], { perm: toEnd });
  const product = ctx.op('MatMul', [moved, weights(node, ctx, a, 1)], {}, 'resized');
  return ctx.op('Transpose', [product], { perm: back });
}

/**
 * Gradients with respect to roi (input 1) and scales (input 2), computed at run time by definition (they are
 * graph tensors): see resize-sampling.ts. Sizes are integers and never differentiated.
 */
function parameterGradients(node: NodeProto, ctx: RuleContext, dY: string): (string | undefined)[] {
  const wantsRoi = Boolean(node.input![1]) && ctx.needsGradient(1);
  const wantsScales = Boolean(node.input![2]) && ctx.needsGradient(2);
  if (!wantsRoi && !wantsScales) return [];
  if (isLegacy(node, ctx)) throw ctx.unsupported('Upsample or opset-10 Resize with respect to its scales');
  const x = node.input![0];
  const inDims = ctx.shape(x);
  const outDims = ctx.shape(node.output![0]);
  const rank = inDims.length;
  if ([...inDims, ...outDims].some((d) => d < 0)) {
    throw ctx.unsupported('gradient with respect to the scales or roi with sizes that vary with the batch');
  }
  const axes = resizedAxes(node, ctx);
  const pinned = pinnedAxes(attrString(node, 'mode', 'nearest'), inDims, outDims);
  const sampled = axes.map((a): SampledAxis | undefined =>
    a?.runtime
      ? {
          axis: a.axis,
          inSize: a.inSize,
          outSize: a.outSize,
          scale: a.runtime.scale,
          roi: a.runtime.roi ?? [ctx.constFloat([a.roi[0]]), ctx.constFloat([a.roi[1]])],
        }
      : undefined,
  );
  const resizedExcept = (axis: number): string => {
    let g = x;
    axes.forEach((a, b) => {
      if (a && b !== axis && !pinned.has(b)) g = applyForward(node, ctx, g, rank, b, a);
    });
    return g;
  };
  const grads = samplingGradients(node, ctx, dY, sampled, resizedExcept);
  const rawAxes = ctx.opset >= 18 ? (getAttr(node, 'axes') as number[] | undefined) : undefined;
  const covered = rawAxes?.map((a) => (a < 0 ? a + rank : a)) ?? inDims.map((_, i) => i);
  const gather = (parts: (string | undefined)[]): string =>
    ctx.op(
      'Concat',
      covered.map((axis) => parts[axis] ?? ctx.constFloat([0])),
      { axis: 0 },
    );
  const result: (string | undefined)[] = [];
  if (wantsRoi) result[1] = ctx.op('Concat', [gather(grads.roiStarts), gather(grads.roiEnds)], { axis: 0 });
  if (wantsScales) result[2] = gather(grads.scales);
  return result;
}

const resize: Rule = (node, ctx, [dY]) => {
  const result = parameterGradients(node, ctx, dY!);
  if (!ctx.needsGradient(0)) return result;
  const inDims = ctx.shape(node.input![0]);
  const dims = ctx.shape(node.output![0]);
  // The runtime copies the input when no size changes, whatever the scales and coordinate mode say.
  if (dims.every((d, i) => d === inDims[i])) {
    result[0] = dY;
    return result;
  }
  const axes = resizedAxes(node, ctx);
  let g = dY!;
  for (let axis = axes.length - 1; axis >= 0; axis--) {
    const a = axes[axis];
    if (!a) continue;
    g = applyTransposed(node, ctx, g, dims, axis, a);
    dims[axis] = a.inSize;
  }
  result[0] = g;
  return result;
};

export const resizeRules = { Resize: resize, Upsample: resize };
