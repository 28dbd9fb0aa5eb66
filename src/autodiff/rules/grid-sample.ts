/**
 * GridSample (2-D).
 *
 * With respect to the image: for a fixed grid the output is linear in the image, per sample the same
 * [Ho·Wo × H·W] matrix for every channel; the op itself applied to the H·W one-hot images (as channels)
 * writes that matrix out, whatever the mode, padding and align_corners, and dX is dY times it. The matrix
 * grows with (H·W)·(Ho·Wo), so larger images are refused by name.
 *
 * With respect to the grid: nearest sampling is piecewise constant in the grid (zero gradient). Bilinear
 * sampling is, within a cell, out = Σ w_i(ly)·w_j(lx)·p_ij over the 2×2 taps around the coordinate the padding
 * mode makes of the grid point (w = 1 − t, t); bicubic the same over 4×4 taps with the cubic convolution
 * weights (A = −0.75). So ∂out/∂x = Σ w_i(ly)·w'_j(lx)·p_ij (and symmetrically in y), times the derivative
 * of the padding transform (1 inside, 0 where border padding clamps, ±1 where reflection folds) and of the
 * grid's normalization (W/2, or (W−1)/2 with align_corners). The graph recomputes those coordinates and
 * fetches the taps as the runtime does (same float32 operations, same padding of out-of-image taps). The
 * runtime does not clamp a bicubic coordinate under border padding (only its taps): measured, and so here.
 */
import { attrInt, attrString, DataType, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

/** Largest H·W·Ho·Wo per sample materialized (16 MiB of float32). */
const MAX_MATRIX = 1 << 22;

function imageGradient(node: NodeProto, ctx: RuleContext, dY: string): string {
  const [x, grid] = node.input!;
  const [, channels, ...spatial] = ctx.shape(x);
  const outSpatial = ctx.shape(node.output![0]).slice(2);
  const pixels = spatial[0] * spatial[1];
  const samples = outSpatial[0] * outSpatial[1];
  if (pixels * samples > MAX_MATRIX) {
    throw ctx.unsupported(
      `a ${spatial.join('x')} image sampled at ${outSpatial.join('x')} points (too large)`,
    );
  }
  const identity = ctx.constFloat(
    Array.from({ length: pixels * pixels }, (_, i) => (i % (pixels + 1) === 0 ? 1 : 0)),
    [1, pixels, ...spatial],
  );
  const batch = ctx.op('Slice', [ctx.op('Shape', [x]), ctx.constInt64([0]), ctx.constInt64([1])]);
  const basis = ctx.op('Expand', [
    identity,
    ctx.op('Concat', [batch, ctx.constInt64([pixels, ...spatial])], { axis: 0 }),
  ]);
  const probe = ctx.fresh('grid_sample_weights');
  ctx.emit({ ...node, name: probe, input: [basis, grid], output: [probe] });
  // [N, H·W, Ho·Wo] → [N, Ho·Wo, H·W]
  const weights = ctx.op('Transpose', [ctx.op('Reshape', [probe, ctx.constInt64([0, pixels, samples])])], {
    perm: [0, 2, 1],
  });
  const flatGrad = ctx.op('Reshape', [dY, ctx.constInt64([0, channels, samples])]);
  const dX = ctx.op('MatMul', [flatGrad, weights], {}, 'grid_sample_grad');
  return ctx.reshapeLike(dX, x);
}

/** One axis of the sampling: its size and what the op's attributes make of a grid coordinate on it. */
interface Axis {
  size: number;
  align: boolean;
  padding: string;
}

const bounds = (a: Axis): [number, number] => (a.align ? [0, a.size - 1] : [-0.5, a.size - 0.5]);

/** Normalized [−1, 1] coordinate → pixel coordinate, in the runtime's float32 order of operations. */
function denormalize(ctx: RuleContext, g: string, a: Axis): string {
  const one = ctx.constFloat(1);
  const two = ctx.constFloat(2);
  const shifted = ctx.op('Add', [g, one]);
  if (a.align) return ctx.op('Mul', [ctx.op('Div', [shifted, two]), ctx.constFloat(a.size - 1)]);
  return ctx.op('Div', [ctx.op('Sub', [ctx.op('Mul', [shifted, ctx.constFloat(a.size)]), one]), two]);
}

const isOutside = (ctx: RuleContext, v: string, a: Axis): string => {
  const [lo, hi] = bounds(a);
  return ctx.op('Or', [ctx.op('Less', [v, ctx.constFloat(lo)]), ctx.op('Greater', [v, ctx.constFloat(hi)])]);
};

const asFloat = (ctx: RuleContext, b: string): string => ctx.op('Cast', [b], { to: DataType.FLOAT });

/**
 * v reflected into [lo, hi] as the runtime folds it, and the derivative of the result (±1): the distance d
 * past the nearer bound is folded n = ⌊d/range⌋ times, leaving r = d − n·range from a bound.
 */
function fold(ctx: RuleContext, v: string, a: Axis): [string, string] {
  const [lo, hi] = bounds(a);
  const range = ctx.constFloat(hi - lo);
  const below = ctx.op('Less', [v, ctx.constFloat(lo)]);
  const above = ctx.op('Greater', [v, ctx.constFloat(hi)]);
  const zero = ctx.constFloat(0);
  const past = ctx.op('Where', [
    below,
    ctx.op('Sub', [ctx.constFloat(lo), v]),
    ctx.op('Where', [above, ctx.op('Sub', [v, ctx.constFloat(hi)]), zero]),
  ]);
  const folds = ctx.op('Floor', [ctx.op('Div', [past, range])]);
  const rest = ctx.op('Sub', [past, ctx.op('Mul', [folds, range])]);
  const halfFolds = ctx.op('Floor', [ctx.op('Div', [folds, ctx.constFloat(2)])]);
  const even = ctx.op('Equal', [folds, ctx.op('Mul', [halfFolds, ctx.constFloat(2)])]);
  // below & even, above & odd: lo + r; the other two: hi − r.
  const fromLow = ctx.op('Equal', [below, even]);
  const folded = ctx.op('Where', [
    fromLow,
    ctx.op('Add', [ctx.constFloat(lo), rest]),
    ctx.op('Sub', [ctx.constFloat(hi), rest]),
  ]);
  const reflected = ctx.op('Or', [below, above]);
  const coordinate = ctx.op('Where', [reflected, folded, v]);
  // An even number of folds turns the direction around.
  const sign = ctx.op('Where', [ctx.op('And', [reflected, even]), ctx.constFloat(-1), ctx.constFloat(1)]);
  return [coordinate, sign];
}

/**
 * The coordinate the padding mode samples at (when the point is outside on either axis: `outside`) and its
 * derivative with respect to the pixel coordinate v.
 */
function paddedCoordinate(ctx: RuleContext, v: string, a: Axis, outside: string): [string, string] {
  if (a.padding === 'border') {
    const clamped = ctx.clip(v, 0, a.size - 1);
    const inner = ctx.op('And', [
      ctx.op('Greater', [v, ctx.constFloat(0)]),
      ctx.op('Less', [v, ctx.constFloat(a.size - 1)]),
    ]);
    const moving = ctx.op('Or', [ctx.op('Not', [outside]), inner]);
    return [ctx.op('Where', [outside, clamped, v]), asFloat(ctx, moving)];
  }
  if (a.padding === 'reflection') return fold(ctx, v, a);
  return [v, ctx.constFloat(1)];
}

/**
 * Corner index c (a float holding an integer) as the runtime reads it: its pixel index, clamped into the
 * image, and (zeros padding) whether it lies inside.
 */
function cornerIndex(ctx: RuleContext, c: string, a: Axis): { index: string; inside?: string } {
  const last = a.size - 1;
  if (a.padding === 'reflection') {
    const [mirrored] = fold(ctx, c, a);
    // The runtime truncates toward zero.
    const truncated = ctx.op('Cast', [ctx.op('Cast', [mirrored], { to: DataType.INT64 })], {
      to: DataType.FLOAT,
    });
    return { index: ctx.clip(truncated, 0, last) };
  }
  const index = ctx.clip(c, 0, last);
  if (a.padding === 'border') return { index };
  const inside = ctx.op('And', [
    ctx.op('Not', [ctx.op('Less', [c, ctx.constFloat(0)])]),
    ctx.op('Not', [ctx.op('Greater', [c, ctx.constFloat(last)])]),
  ]);
  return { index, inside };
}

/** Linear interpolation's weights (1 − t, t) and their derivatives in t. */
function linearWeights(ctx: RuleContext, t: string): { weights: string[]; slopes: string[] } {
  return {
    weights: [ctx.op('Sub', [ctx.constFloat(1), t]), t],
    slopes: [ctx.constFloat(-1), ctx.constFloat(1)],
  };
}

/** Cubic convolution weight of a tap at distance d (A = −0.75, as the op), and its derivative in d. */
function cubicKernel(ctx: RuleContext, d: string, near: boolean): [string, string] {
  const A = -0.75;
  const c = (v: number): string => ctx.constFloat(v);
  const d2 = ctx.op('Mul', [d, d]);
  const d3 = ctx.op('Mul', [d2, d]);
  // |d| <= 1: (A+2)d³ − (A+3)d² + 1; 1 < |d| < 2: A·d³ − 5A·d² + 8A·d − 4A.
  const [k3, k2, k1, k0] = near ? [A + 2, -(A + 3), 0, 1] : [A, -5 * A, 8 * A, -4 * A];
  const value = ctx.op('Sum', [
    ctx.op('Mul', [d3, c(k3)]),
    ctx.op('Mul', [d2, c(k2)]),
    ctx.op('Mul', [d, c(k1)]),
    c(k0),
  ]);
  const slope = ctx.op('Sum', [ctx.op('Mul', [d2, c(3 * k3)]), ctx.op('Mul', [d, c(2 * k2)]), c(k1)]);
  return [value, slope];
}

/** Bicubic weights of taps −1, 0, 1, 2 at fraction t (distances t+1, t, 1−t, 2−t) and their derivatives in t. */
function cubicWeights(ctx: RuleContext, t: string): { weights: string[]; slopes: string[] } {
  const one = ctx.constFloat(1);
  const two = ctx.constFloat(2);
  const distances: [string, number, boolean][] = [
    [ctx.op('Add', [t, one]), 1, false],
    [t, 1, true],
    [ctx.op('Sub', [one, t]), -1, true],
    [ctx.op('Sub', [two, t]), -1, false],
  ];
  const weights: string[] = [];
  const slopes: string[] = [];
  for (const [d, sign, near] of distances) {
    const [value, slope] = cubicKernel(ctx, d, near);
    weights.push(value);
    slopes.push(sign > 0 ? slope : ctx.op('Neg', [slope]));
  }
  return { weights, slopes };
}

function gridGradient(node: NodeProto, ctx: RuleContext, dY: string, mode: string): string {
  const [x, grid] = node.input!;
  const [, channels, height, width] = ctx.shape(x);
  const [outHeight, outWidth] = ctx.shape(node.output![0]).slice(2);
  const points = outHeight * outWidth;
  const align = attrInt(node, 'align_corners', 0) !== 0;
  const padding = attrString(node, 'padding_mode', 'zeros');
  if (!['zeros', 'border', 'reflection'].includes(padding))
    throw ctx.unsupported(`padding_mode '${padding}'`);
  if (align && (height < 2 || width < 2)) {
    throw ctx.unsupported('a grid gradient over an axis of size 1 with align_corners (no range to fold in)');
  }
  const ax: Axis = { size: width, align, padding };
  const ay: Axis = { size: height, align, padding };
  // Grid points [N, P]: their x (width) and y (height) coordinates.
  const flatGrid = ctx.op('Reshape', [grid, ctx.constInt64([0, points, 2])]);
  const gx = ctx.op('Gather', [flatGrid, ctx.constInt64([0], [])], { axis: 2 });
  const gy = ctx.op('Gather', [flatGrid, ctx.constInt64([1], [])], { axis: 2 });
  const px = denormalize(ctx, gx, ax);
  const py = denormalize(ctx, gy, ay);
  const outside = ctx.op('Or', [isOutside(ctx, px, ax), isOutside(ctx, py, ay)]);
  const cubic = mode === 'bicubic' || mode === 'cubic';
  const unclamped = cubic && padding === 'border';
  const [xe, dxe] = unclamped ? [px, ctx.constFloat(1)] : paddedCoordinate(ctx, px, ax, outside);
  const [ye, dye] = unclamped ? [py, ctx.constFloat(1)] : paddedCoordinate(ctx, py, ay, outside);
  // Pixels as [N, H·W, C] rows and dY as [N, P, C]: Σ_c dY·p for every tap p.
  const rows = ctx.op('Reshape', [
    ctx.op('Transpose', [x], { perm: [0, 2, 3, 1] }),
    ctx.constInt64([0, height * width, channels]),
  ]);
  const seed = ctx.op('Reshape', [
    ctx.op('Transpose', [dY], { perm: [0, 2, 3, 1] }),
    ctx.constInt64([0, points, channels]),
  ]);
  const weighted = (cy: string, cx: string): string => {
    const r = cornerIndex(ctx, cy, ay);
    const c = cornerIndex(ctx, cx, ax);
    const flat = ctx.op('Add', [ctx.op('Mul', [r.index, ctx.constFloat(width)]), c.index]);
    const index = ctx.unsqueeze(ctx.op('Cast', [flat], { to: DataType.INT64 }), [2]);
    let value = ctx.op('GatherND', [rows, index], { batch_dims: 1 });
    if (r.inside && c.inside) {
      const inside = asFloat(ctx, ctx.op('And', [r.inside, c.inside]));
      value = ctx.op('Mul', [value, ctx.unsqueeze(inside, [2])]);
    }
    return ctx.reduceSum(ctx.op('Mul', [value, seed]), [2], false);
  };
  // Taps k = 0..n−1 at ⌊v⌋ − first + k with weights w_k(t) and derivatives w'_k(t), t = v − ⌊v⌋.
  const taps = (v: string) => {
    const base = ctx.op('Floor', [v]);
    const t = ctx.op('Sub', [v, base]);
    const first = cubic ? -1 : 0;
    const at = Array.from({ length: cubic ? 4 : 2 }, (_, k) =>
      k + first === 0 ? base : ctx.op('Add', [base, ctx.constFloat(k + first)]),
    );
    return { at, ...(cubic ? cubicWeights(ctx, t) : linearWeights(ctx, t)) };
  };
  const tx = taps(xe);
  const ty = taps(ye);
  // ∂/∂x = Σ_i wy_i Σ_j w'x_j S_ij, ∂/∂y = Σ_i w'y_i Σ_j wx_j S_ij.
  const sums = ty.at.map((cy) => tx.at.map((cx) => weighted(cy, cx)));
  const combine = (wy: string[], wx: string[]): string =>
    ctx.op(
      'Sum',
      sums.flatMap((row, i) => row.map((sij, j) => ctx.op('Mul', [ctx.op('Mul', [wy[i], wx[j]]), sij]))),
    );
  const dxPixel = combine(ty.weights, tx.slopes);
  const dyPixel = combine(ty.slopes, tx.weights);
  const scale = (a: Axis): number => (a.align ? (a.size - 1) / 2 : a.size / 2);
  const dgx = ctx.op('Mul', [ctx.op('Mul', [dxPixel, dxe]), ctx.constFloat(scale(ax))]);
  const dgy = ctx.op('Mul', [ctx.op('Mul', [dyPixel, dye]), ctx.constFloat(scale(ay))]);
  const stacked = ctx.op('Concat', [ctx.unsqueeze(dgx, [2]), ctx.unsqueeze(dgy, [2])], { axis: 2 });
  return ctx.reshapeLike(stacked, grid);
}

const gridSample: Rule = (node, ctx, [dY]) => {
  const [x, grid] = node.input!;
  const [, channels, ...spatial] = ctx.shape(x);
  const outSpatial = ctx.shape(node.output![0]).slice(2);
  if (spatial.length !== 2 || [channels, ...spatial, ...outSpatial].some((d) => d < 0)) {
    throw ctx.unsupported('GridSample other than 2-D with sizes fixed up to the batch');
  }
  const dX = ctx.needsGradient(0) ? imageGradient(node, ctx, dY!) : undefined;
  if (!ctx.needsGradient(1)) return [dX, undefined];
  const mode = attrString(node, 'mode', 'bilinear');
  if (mode === 'nearest') return [dX, ctx.zerosLike(grid)];
  if (!['bilinear', 'linear', 'bicubic', 'cubic'].includes(mode)) {
    throw ctx.unsupported(`gradient with respect to the sampling grid in ${mode} mode`);
  }
  return [dX, gridGradient(node, ctx, dY!, mode)];
};

export const gridSampleRules = { GridSample: gridSample };
