/**
 * Resize with respect to its scales and roi. The output size is ⌊in·scale⌋ (fixed at the run: piecewise
 * constant in the scale), so within a run's size the scales and roi act only through the sampling
 * coordinate of every output position, c(o) = (o + ½)/scale − ½ (half_pixel; each coordinate mode has its own),
 * and y[o] = Σ_i W(c(o))[i]·x[i]. Then ∂⟨dY, y⟩/∂c(o) = Σ_i W′(c(o))[i]·M[o, i] with M[o, i] the sum over
 * every other axis of dY (at o) times the input resized along the other axes (at i), and the chain rule through
 * c gives the scale and roi bounds. W′ is the derivative of the runtime's own interpolation weights:
 * - linear: −1 and +1 on the two taps while 0 < c < in − 1 (the runtime clamps c there: 0 outside);
 * - cubic: the cubic convolution kernel's derivative on the four taps (taps clamped to the edge), with
 *   exclude_outside's renormalisation differentiated as a quotient;
 * - nearest: piecewise constant, 0 (as Floor).
 * align_corners and tf_crop_and_resize place samples by the sizes alone: 0 with respect to the scales.
 * tf_crop_and_resize moves them with the roi, and a sample outside the input takes extrapolation_value (0).
 * Linear and cubic resizing of 4-D and 5-D inputs accept only a scale of exactly 1 on the two outer (or, NHWC,
 * the outer and inner) axes: no derivative exists there and the entry is 0. A resize that keeps every size
 * is a copy in the runtime, whatever the scales: 0.
 */
import { attrFloat, attrInt, attrString, type NodeProto } from '../../onnx/proto.js';
import type { RuleContext } from '../context.js';

/** One resized axis, as resize.ts describes it (sizes static, scale and roi possibly run-time tensors). */
export interface SampledAxis {
  axis: number;
  inSize: number;
  outSize: number;
  /** 1-element float tensors. */
  scale: string;
  roi: [string, string];
}

export interface SamplingGradients {
  /** Per covered axis (the scales' order). */
  scales: (string | undefined)[];
  roiStarts: (string | undefined)[];
  roiEnds: (string | undefined)[];
}

/** Axes the runtime's linear and cubic kernels require a scale of exactly 1 on (4-D and 5-D inputs). */
export function pinnedAxes(mode: string, inDims: number[], outDims: number[]): Set<number> {
  const rank = inDims.length;
  if (mode === 'nearest' || rank < 4) return new Set();
  if (rank === 4 && inDims[1] !== outDims[1]) return new Set([0, 3]);
  return new Set([0, 1]);
}

/**
 * ∂⟨dY, y⟩/∂c(o) for every output position o of one axis: [out]. `resized` is the input resized along every
 * other axis (axis `a.axis` still of the input's size), shaped like dY but for that axis.
 */
function coordinateGradient(
  node: NodeProto,
  ctx: RuleContext,
  dY: string,
  resized: string,
  rank: number,
  a: SampledAxis,
  coordinate: string,
): string {
  const f = (v: number): string => ctx.constFloat(v);
  const toEnd = [...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== a.axis), a.axis];
  const rows = (t: string, n: number): string =>
    ctx.op('Reshape', [ctx.op('Transpose', [t], { perm: toEnd }), ctx.constInt64([-1, n])]);
  // M[o, i] = Σ over the other axes of dY[…o…]·resized[…i…].
  const m = ctx.op('MatMul', [
    ctx.op('Transpose', [rows(dY, a.outSize)], { perm: [1, 0] }),
    rows(resized, a.inSize),
  ]);
  const last = f(a.inSize - 1);
  const clampIndex = (t: string): string =>
    ctx.op('Cast', [ctx.op('Min', [ctx.op('Max', [t, f(0)]), last])], { to: 7 });
  const floor = ctx.op('Floor', [coordinate]);
  const column = (t: string): string => ctx.unsqueeze(t, [1]);
  const mode = attrString(node, 'mode', 'nearest');
  let taps: string;
  let slopes: string;
  if (mode === 'linear') {
    const low = ctx.op('Min', [ctx.op('Max', [floor, f(0)]), last]);
    taps = ctx.op('Concat', [column(low), column(ctx.op('Min', [ctx.op('Add', [low, f(1)]), last]))], {
      axis: 1,
    });
    taps = clampIndex(taps);
    const inside = ctx.op('And', [ctx.op('Greater', [coordinate, f(0)]), ctx.op('Less', [coordinate, last])]);
    const moves = column(ctx.op('Cast', [inside], { to: 1 }));
    slopes = ctx.op('Mul', [moves, ctx.constFloat([-1, 1], [1, 2])]);
  } else {
    const A = attrFloat(node, 'cubic_coeff_a', -0.75);
    const offsets = ctx.constFloat([-1, 0, 1, 2], [1, 4]);
    const tapsF = ctx.op('Add', [column(floor), offsets]);
    taps = clampIndex(tapsF);
    const t = ctx.op('Sub', [column(ctx.op('Sub', [coordinate, floor])), offsets]);
    const u = ctx.op('Abs', [t]);
    const near = ctx.op('Not', [ctx.op('Greater', [u, f(1)])]);
    const poly = (coefficients: number[]): string =>
      // c0·u³ + c1·u² + c2·u + c3 by Horner's rule.
      coefficients
        .slice(1)
        .reduce((acc, c) => ctx.op('Add', [ctx.op('Mul', [acc, u]), f(c)]), f(coefficients[0]));
    const kernel = ctx.op('Where', [near, poly([A + 2, -(A + 3), 0, 1]), poly([A, -5 * A, 8 * A, -4 * A])]);
    const slope = ctx.op('Mul', [
      ctx.op('Sign', [t]),
      ctx.op('Where', [near, poly([3 * (A + 2), -2 * (A + 3), 0]), poly([3 * A, -10 * A, 8 * A])]),
    ]);
    if (attrInt(node, 'exclude_outside', 0) === 1) {
      const within = ctx.op(
        'Cast',
        [
          ctx.op('And', [
            ctx.op('Not', [ctx.op('Less', [tapsF, f(0)])]),
            ctx.op('Not', [ctx.op('Greater', [tapsF, last])]),
          ]),
        ],
        { to: 1 },
      );
      const kept = ctx.op('Mul', [kernel, within]);
      const keptSlope = ctx.op('Mul', [slope, within]);
      const total = ctx.reduceSum(kept, [1], true);
      const totalSlope = ctx.reduceSum(keptSlope, [1], true);
      // (w′·Σ − w·Σ′) / Σ²
      slopes = ctx.op('Div', [
        ctx.op('Sub', [ctx.op('Mul', [keptSlope, total]), ctx.op('Mul', [kept, totalSlope])]),
        ctx.op('Mul', [total, total]),
      ]);
    } else slopes = slope;
    if (attrString(node, 'coordinate_transformation_mode', 'half_pixel') === 'tf_crop_and_resize') {
      const inside = ctx.op('And', [
        ctx.op('Not', [ctx.op('Less', [coordinate, f(0)])]),
        ctx.op('Not', [ctx.op('Greater', [coordinate, last])]),
      ]);
      slopes = ctx.op('Mul', [slopes, column(ctx.op('Cast', [inside], { to: 1 }))]);
    }
  }
  const picked = ctx.op('GatherElements', [m, taps], { axis: 1 });
  return ctx.reduceSum(ctx.op('Mul', [picked, slopes]), [1], false);
}

/** The sampling coordinate of every output position [out] and its derivatives by scale and roi bounds. */
function coordinates(node: NodeProto, ctx: RuleContext, a: SampledAxis) {
  const f = (v: number): string => ctx.constFloat(v);
  const o = ctx.constFloat(Array.from({ length: a.outSize }, (_, i) => i));
  const half = ctx.op('Add', [o, f(0.5)]);
  const s = a.scale;
  const squared = ctx.op('Mul', [s, s]);
  const mode = attrString(node, 'coordinate_transformation_mode', 'half_pixel');
  const byScale = (numerator: string): string => ctx.op('Neg', [ctx.op('Div', [numerator, squared])]);
  const zeros = ctx.op('Mul', [o, f(0)]);
  switch (mode) {
    case 'half_pixel':
      return { c: ctx.op('Sub', [ctx.op('Div', [half, s]), f(0.5)]), dScale: byScale(half) };
    case 'pytorch_half_pixel':
      if (a.outSize <= 1) return { c: zeros, dScale: zeros };
      return { c: ctx.op('Sub', [ctx.op('Div', [half, s]), f(0.5)]), dScale: byScale(half) };
    case 'asymmetric':
      return { c: ctx.op('Div', [o, s]), dScale: byScale(o) };
    case 'tf_half_pixel_for_nn':
      return { c: ctx.op('Div', [half, s]), dScale: byScale(half) };
    case 'half_pixel_symmetric': {
      // (o + ½)/s − ½ + in/2·(1 − out/(s·in)) = (o + ½)/s − ½ + in/2 − out/(2s)
      const shift = ctx.op('Sub', [f(a.inSize / 2), ctx.op('Div', [f(a.outSize / 2), s])]);
      const c = ctx.op('Add', [ctx.op('Sub', [ctx.op('Div', [half, s]), f(0.5)]), shift]);
      return { c, dScale: byScale(ctx.op('Sub', [half, f(a.outSize / 2)])) };
    }
    case 'align_corners': {
      const step = a.outSize > 1 ? (a.inSize - 1) / (a.outSize - 1) : 0;
      return { c: ctx.op('Mul', [o, f(step)]), dScale: zeros };
    }
    case 'tf_crop_and_resize': {
      const [start, end] = a.roi;
      const span = a.inSize - 1;
      if (a.outSize > 1) {
        const along = ctx.op('Div', [o, f(a.outSize - 1)]);
        const c = ctx.op('Add', [
          ctx.op('Mul', [start, f(span)]),
          ctx.op('Mul', [ctx.op('Mul', [along, ctx.op('Sub', [end, start])]), f(span)]),
        ]);
        const dEnd = ctx.op('Mul', [along, f(span)]);
        return { c, dScale: zeros, dStart: ctx.op('Sub', [f(span), dEnd]), dEnd };
      }
      const c = ctx.op('Add', [zeros, ctx.op('Mul', [ctx.op('Add', [start, end]), f(span / 2)])]);
      const each = ctx.op('Add', [zeros, f(span / 2)]);
      return { c, dScale: zeros, dStart: each, dEnd: each };
    }
    default:
      throw ctx.unsupported(`coordinate_transformation_mode '${mode}' with respect to the scales`);
  }
}

/**
 * Gradients with respect to each axis' scale and roi bounds. `resizedExcept(axis)` is the node's input
 * resized along every other axis.
 */
export function samplingGradients(
  node: NodeProto,
  ctx: RuleContext,
  dY: string,
  axes: (SampledAxis | undefined)[],
  resizedExcept: (axis: number) => string,
): SamplingGradients {
  const inDims = ctx.shape(node.input![0]);
  const outDims = ctx.shape(node.output![0]);
  const mode = attrString(node, 'mode', 'nearest');
  if (attrInt(node, 'antialias', 0) === 1)
    throw ctx.unsupported('an antialiased resize with respect to its scales');
  const none: SamplingGradients = { scales: [], roiStarts: [], roiEnds: [] };
  // Nearest is piecewise constant; a resize that keeps every size is a copy.
  if (mode === 'nearest' || outDims.every((d, i) => d === inDims[i])) return none;
  if (mode !== 'linear' && mode !== 'cubic') throw ctx.unsupported(`mode '${mode}'`);
  const pinned = pinnedAxes(mode, inDims, outDims);
  const result: SamplingGradients = { scales: [], roiStarts: [], roiEnds: [] };
  axes.forEach((a) => {
    if (!a || pinned.has(a.axis)) return;
    const { c, dScale, dStart, dEnd } = coordinates(node, ctx, a);
    const g = coordinateGradient(node, ctx, dY, resizedExcept(a.axis), inDims.length, a, c);
    const total = (by: string | undefined): string | undefined =>
      by ? ctx.reduce('ReduceSum', ctx.op('Mul', [g, by]), [0], true) : undefined;
    result.scales[a.axis] = total(dScale);
    result.roiStarts[a.axis] = total(dStart);
    result.roiEnds[a.axis] = total(dEnd);
  });
  return result;
}
