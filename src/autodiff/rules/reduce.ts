/**
 * The Reduce* ops. The axes are an attribute (ReduceSum before opset 13, the others
 * before 18) or an input (from then on, constant or computed); no axes means every axis, or the identity when
 * noop_with_empty_axes is set. The gradient re-inserts the reduced axes (keepdims=0) and broadcasts back:
 * as is for a sum, divided by the element count for a mean, shared evenly among the elements that attained
 * a maximum or minimum, and times the pointwise slope for the others.
 */
import { DataType, attrInt, attrInts, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

/** The reduced axes: known when the graph is built, or a tensor the graph computes at run time. */
type Axes = number[] | { runtime: string };

/**
 * Reduced axes, normalized and sorted; undefined when the op is the identity. Axes computed at run time
 * stay a tensor: the backward ops that need them (Unsqueeze, ReduceSum) take them as data.
 */
function reducedAxes(node: NodeProto, ctx: RuleContext): Axes | undefined {
  const rank = ctx.shape(node.input![0]).length;
  const axesInput = node.input![1];
  let axes: number[] | undefined;
  if (axesInput) {
    axes = ctx.constantValue(axesInput);
    if (!axes) return { runtime: axesInput };
  } else axes = attrInts(node, 'axes');
  if (!axes || axes.length === 0) {
    if (attrInt(node, 'noop_with_empty_axes', 0) === 1) return undefined;
    return Array.from({ length: rank }, (_, i) => i);
  }
  return [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

/**
 * dY (and Y) with the reduced axes kept as size 1, so they broadcast against x. Runtime axes index the
 * input's rank, as Unsqueeze's index its output's: the same tensor serves (empty: a scalar, which broadcasts).
 */
function keptDims(node: NodeProto, ctx: RuleContext, t: string, axes: Axes): string {
  if (attrInt(node, 'keepdims', 1) === 1) return t;
  return Array.isArray(axes) ? ctx.unsqueeze(t, axes) : ctx.op('Unsqueeze', [t, axes.runtime]);
}

/** Sum over the reduced axes, kept. */
function sumOver(node: NodeProto, ctx: RuleContext, t: string, axes: Axes): string {
  if (Array.isArray(axes)) return ctx.reduceSum(t, axes, true);
  const noop = attrInt(node, 'noop_with_empty_axes', 0);
  return ctx.op('ReduceSum', [t, axes.runtime], { keepdims: 1, noop_with_empty_axes: noop });
}

const reduceSum: Rule = (node, ctx, [dY]) => {
  const axes = reducedAxes(node, ctx);
  if (!axes) return [dY];
  const x = node.input![0];
  return [ctx.op('Expand', [keptDims(node, ctx, dY!, axes), ctx.shapeTensor(x)], {}, 'reduce_sum_grad')];
};

/** Number of elements averaged: a constant when the reduced dims are static, else |x| / |y| at run time. */
function reducedCount(node: NodeProto, ctx: RuleContext, axes: Axes): string {
  const dims = ctx.shape(node.input![0]);
  if (Array.isArray(axes) && axes.every((a) => dims[a] >= 0))
    return ctx.constFloat(axes.reduce((p, a) => p * dims[a], 1));
  const size = (t: string): string => ctx.op('Cast', [ctx.op('Size', [t])], { to: DataType.FLOAT });
  return ctx.op('Div', [size(node.input![0]), size(node.output![0])], {}, 'reduced_count');
}

const reduceMean: Rule = (node, ctx, [dY]) => {
  const axes = reducedAxes(node, ctx);
  if (!axes) return [dY];
  const x = node.input![0];
  const averaged = ctx.op('Div', [keptDims(node, ctx, dY!, axes), reducedCount(node, ctx, axes)]);
  return [ctx.op('Expand', [averaged, ctx.shapeTensor(x)], {}, 'reduce_mean_grad')];
};

/** ReduceMax and ReduceMin: shared evenly among the elements that attained the extremum. */
const reduceExtremum: Rule = (node, ctx, [dY]) => {
  const axes = reducedAxes(node, ctx);
  if (!axes) return [dY];
  const x = node.input![0];
  const winners = ctx.op('Cast', [ctx.op('Equal', [x, keptDims(node, ctx, node.output![0], axes)])], {
    to: DataType.FLOAT,
  });
  const ties = sumOver(node, ctx, winners, axes);
  const share = ctx.op('Div', [keptDims(node, ctx, dY!, axes), ties]);
  return [ctx.op('Mul', [winners, share], {}, 'reduce_extremum_grad')];
};

/**
 * Reductions whose gradient is dY (and Y, axes kept) times an x-shaped slope: `slope(x, y)` with y broadcast
 * against x.
 */
function bySlope(slope: (ctx: RuleContext, x: string, y: string) => string): Rule {
  return (node, ctx, [dY]) => {
    const axes = reducedAxes(node, ctx);
    const x = node.input![0];
    const y = axes ? keptDims(node, ctx, node.output![0], axes) : node.output![0];
    const g = axes ? keptDims(node, ctx, dY!, axes) : dY!;
    return [ctx.op('Mul', [g, slope(ctx, x, y)], {}, `${node.opType!.toLowerCase()}_grad`)];
  };
}

export const reduceRules = {
  ReduceSum: reduceSum,
  ReduceMean: reduceMean,
  ReduceMax: reduceExtremum,
  ReduceMin: reduceExtremum,
  // Σx²: 2x
  ReduceSumSquare: bySlope((ctx, x) => ctx.op('Mul', [x, ctx.constFloat(2)])),
  // Σ|x|: sign(x)
  ReduceL1: bySlope((ctx, x) => ctx.op('Sign', [x])),
  // √Σx²: x/y
  ReduceL2: bySlope((ctx, x, y) => ctx.op('Div', [x, y])),
  // ln Σx: 1/Σx = e^(−y)
  ReduceLogSum: bySlope((ctx, x, y) =>
    ctx.op('Add', [ctx.op('Exp', [ctx.op('Neg', [y])]), ctx.op('Mul', [x, ctx.constFloat(0)])]),
  ),
  // ln Σeˣ: e^(x − y), the softmax over the reduced axes
  ReduceLogSumExp: bySlope((ctx, x, y) => ctx.op('Exp', [ctx.op('Sub', [x, y])])),
  // Πx: y/x (the product of the others; undefined where an element is exactly 0)
  ReduceProd: bySlope((ctx, x, y) => ctx.op('Div', [y, x])),
};
