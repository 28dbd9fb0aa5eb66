/**
 * Resize and Upsample. The op is linear in its input and separable by axis (y = W_a·x along every resized
 * axis a, see interpolation.ts), so the gradient applies each W_aᵀ in turn: a MatMul by a constant matrix
 * (transposing the axis to the end when it is not one of the last two), or, for nearest upsampling by an
 * integer factor, a sum over blocks. The matrices are built from the static input/output sizes, the scales
 * and the attributes; scales or sizes must therefore be constant, or sizes computed from shapes (then the
 * probed output size gives the scale).
 */
import { attrFloat, attrInt, attrInts, attrString, getAttr, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';
import {
  COORDINATE_MODES,
  NEAREST_MODES,
  blockRepeat,
  interpolationMatrix,
  isIdentity,
  type AxisResize,
  type CoordinateMode,
  type InterpolationMode,
  type NearestMode,
} from './interpolation.js';

const f32 = Math.fround;

function oneOf<T extends string>(ctx: RuleContext, value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw ctx.unsupported(`${what} '${value}'`);
  return value as T;
}

/** Values given per entry of the opset-18 `axes` attribute, spread over every axis (`fill` elsewhere). */
function spread(values: number[], axes: number[] | undefined, rank: number, fill: number): number[] {
  if (!axes) return values;
  const full = new Array<number>(rank).fill(fill);
  axes.forEach((axis, i) => (full[axis] = values[i]));
  return full;
}

/** Per-axis scales as ORT uses them. */
function scalesOf(
  node: NodeProto,
  ctx: RuleContext,
  legacy: boolean,
  axes: number[] | undefined,
  inDims: number[],
  outDims: number[],
): number[] {
  const rank = inDims.length;
  const scalesInput = legacy ? node.input![1] : node.input![2];
  if (scalesInput) {
    const given = ctx.constantValue(scalesInput);
    if (!given) throw ctx.unsupported('resize scales computed at run time');
    if (given.length > 0) return spread(given, axes, rank, 1);
  } else if (legacy) {
    // Upsample-7 carries its scales as an attribute.
    const attribute = getAttr(node, 'scales');
    if (Array.isArray(attribute)) return attribute as number[];
  }
  const sizesInput = legacy ? undefined : node.input![3];
  if (!sizesInput) throw ctx.unsupported('a resize with neither scales nor sizes');
  const policy = attrString(node, 'keep_aspect_ratio_policy', 'stretch');
  if (policy === 'stretch') {
    // ORT divides the requested size by the input size; the probed output size is that request.
    return inDims.map((d, i) => (d <= 0 || outDims[i] < 0 ? 1 : f32(outDims[i] / d)));
  }
  oneOf(ctx, policy, ['not_larger', 'not_smaller'], 'keep_aspect_ratio_policy');
  const sizes = ctx.constantValue(sizesInput);
  if (!sizes) throw ctx.unsupported(`sizes computed at run time with keep_aspect_ratio_policy '${policy}'`);
  const requested = spread(sizes, axes, rank, -1);
  const chosen = axes ?? inDims.map((_, i) => i);
  const ratios = chosen.map((a) => f32(requested[a] / inDims[a]));
  const common = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
  return inDims.map((_, i) => (chosen.includes(i) ? common : 1));
}

/** Start and end of tf_crop_and_resize's region of interest per axis. */
function roiOf(node: NodeProto, ctx: RuleContext, axes: number[] | undefined, rank: number): number[][] {
  const roiInput = node.input![1];
  const roi = roiInput ? ctx.constantValue(roiInput) : undefined;
  if (!roi || roi.length === 0) throw ctx.unsupported('tf_crop_and_resize without a constant roi');
  const n = roi.length / 2;
  const starts = spread(roi.slice(0, n), axes, rank, 0);
  const ends = spread(roi.slice(n), axes, rank, 1);
  return starts.map((s, i) => [s, ends[i]]);
}

/** One AxisResize per axis of the input. */
export function resizeAxes(node: NodeProto, ctx: RuleContext): AxisResize[] {
  const x = node.input![0];
  const inDims = ctx.shape(x);
  const outDims = ctx.shape(node.output![0]);
  const rank = inDims.length;
  // Upsample and Resize-10: asymmetric coordinates, truncating nearest, scales only.
  const legacy = node.opType === 'Upsample' || ctx.opset < 11;
  if (attrInt(node, 'antialias', 0) !== 0) throw ctx.unsupported('antialiased resize');
  const mode = oneOf<InterpolationMode>(
    ctx,
    attrString(node, 'mode', 'nearest'),
    ['nearest', 'linear', 'cubic'],
    'mode',
  );
  const coordinate: CoordinateMode = legacy
    ? 'asymmetric'
    : oneOf(
        ctx,
        attrString(node, 'coordinate_transformation_mode', 'half_pixel'),
        COORDINATE_MODES,
        'coordinate mode',
      );
  const nearest: NearestMode = legacy
    ? 'simple'
    : oneOf(ctx, attrString(node, 'nearest_mode', 'round_prefer_floor'), NEAREST_MODES, 'nearest_mode');
  const axes = ctx.opset >= 18 ? attrInts(node, 'axes')?.map((a) => (a < 0 ? a + rank : a)) : undefined;
  const scales = scalesOf(node, ctx, legacy, axes, inDims, outDims);
  const roi = coordinate === 'tf_crop_and_resize' ? roiOf(node, ctx, axes, rank) : undefined;
  return inDims.map((inSize, i) => {
    if ((inSize < 0 || outDims[i] < 0) && scales[i] !== 1) {
      throw ctx.unsupported('resizing an axis whose size varies with the batch size');
    }
    return {
      inSize,
      outSize: outDims[i],
      scale: scales[i],
      mode,
      coordinate,
      nearest,
      cubicA: attrFloat(node, 'cubic_coeff_a', -0.75),
      excludeOutside: attrInt(node, 'exclude_outside', 0) === 1,
      roiStart: roi ? roi[i][0] : 0,
      roiEnd: roi ? roi[i][1] : 1,
    };
  });
}

/** g with W_aᵀ applied along `axis`; `dims` are g's current dims (-1 for the batch). */
function applyTransposed(
  ctx: RuleContext,
  g: string,
  dims: number[],
  axis: number,
  a: AxisResize,
  w: Float64Array,
): string {
  const rank = dims.length;
  const repeat = blockRepeat(w, a);
  if (repeat !== undefined && dims.filter((d) => d < 0).length <= 1) {
    const blocks = [...dims.slice(0, axis), a.inSize, repeat, ...dims.slice(axis + 1)];
    return ctx.reduceSum(ctx.op('Reshape', [g, ctx.constInt64(blocks)]), [axis + 1], false);
  }
  const matrix = ctx.constFloat(Array.from(w), [a.outSize, a.inSize]);
  if (axis === rank - 1) return ctx.op('MatMul', [g, matrix], {}, 'resize_grad');
  if (axis === rank - 2) {
    const transposed = ctx.constFloat(transpose(w, a.outSize, a.inSize), [a.inSize, a.outSize]);
    return ctx.op('MatMul', [transposed, g], {}, 'resize_grad');
  }
  const toEnd = [...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis), axis];
  const back = new Array<number>(rank);
  toEnd.forEach((p, i) => (back[p] = i));
  const moved = ctx.op('Transpose', [g], { perm: toEnd });
  return ctx.op('Transpose', [ctx.op('MatMul', [moved, matrix], {}, 'resize_grad')], { perm: back });
}

function transpose(w: Float64Array, rows: number, cols: number): number[] {
  const out = new Array<number>(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}

const resize: Rule = (node, ctx, [dY]) => {
  for (let i = 1; i < node.input!.length; i++) {
    if (node.input![i] && ctx.needsGradient(i))
      throw ctx.unsupported('gradient with respect to roi or scales');
  }
  const dims = ctx.shape(node.output![0]);
  // ORT copies the input when no size changes, whatever the scales and coordinate mode say.
  if (dims.every((d, i) => d === ctx.shape(node.input![0])[i])) return [dY];
  const axes = resizeAxes(node, ctx);
  let g = dY!;
  for (let axis = axes.length - 1; axis >= 0; axis--) {
    const a = axes[axis];
    if (a.inSize < 0) continue;
    const w = interpolationMatrix(a);
    if (isIdentity(w, a)) continue;
    g = applyTransposed(ctx, g, dims, axis, a, w);
    dims[axis] = a.inSize;
  }
  return [g];
};

export const resizeRules = { Resize: resize, Upsample: resize };
