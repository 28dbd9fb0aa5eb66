/**
 * ReduceSum, ReduceMean and ReduceMax. The axes are an attribute (ReduceSum before opset 13, the others
 * before 18) or a constant input (from then on); no axes means every axis, or the identity when
 * noop_with_empty_axes is set. The gradient re-inserts the reduced axes (keepdims=0) and broadcasts back:
 * as is for a sum, divided by the element count for a mean, and shared evenly among the elements that
 * attained a maximum.
 */
import { DataType, attrInt, attrInts, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

/** Reduced axes, normalized and sorted; undefined when the op is the identity. */
function reducedAxes(node: NodeProto, ctx: RuleContext): number[] | undefined {
  const rank = ctx.shape(node.input![0]).length;
  const axesInput = node.input![1];
  let axes: number[] | undefined;
  if (axesInput) {
    axes = ctx.constantValue(axesInput);
    if (!axes) throw ctx.unsupported('reduction axes computed at run time');
  } else axes = attrInts(node, 'axes');
  if (!axes || axes.length === 0) {
    if (attrInt(node, 'noop_with_empty_axes', 0) === 1) return undefined;
    return Array.from({ length: rank }, (_, i) => i);
  }
  return [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

/** dY (and, for ReduceMax, Y) with the reduced axes kept as size 1, so they broadcast against x. */
function keptDims(node: NodeProto, ctx: RuleContext, t: string, axes: number[]): string {
  return attrInt(node, 'keepdims', 1) === 1 ? t : ctx.unsqueeze(t, axes);
}

const reduceSum: Rule = (node, ctx, [dY]) => {
  const axes = reducedAxes(node, ctx);
  if (!axes) return [dY];
  const x = node.input![0];
  return [ctx.op('Expand', [keptDims(node, ctx, dY!, axes), ctx.shapeTensor(x)], {}, 'reduce_sum_grad')];
};

/** Number of elements averaged: a constant when the reduced dims are static, else |x| / |y| at run time. */
function reducedCount(node: NodeProto, ctx: RuleContext, axes: number[]): string {
  const dims = ctx.shape(node.input![0]);
  if (axes.every((a) => dims[a] >= 0)) return ctx.constFloat(axes.reduce((p, a) => p * dims[a], 1));
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

const reduceMax: Rule = (node, ctx, [dY]) => {
  const axes = reducedAxes(node, ctx);
  if (!axes) return [dY];
  const x = node.input![0];
  const winners = ctx.op('Cast', [ctx.op('Equal', [x, keptDims(node, ctx, node.output![0], axes)])], {
    to: DataType.FLOAT,
  });
  const ties = ctx.reduceSum(winners, axes, true);
  const share = ctx.op('Div', [keptDims(node, ctx, dY!, axes), ties]);
  return [ctx.op('Mul', [winners, share], {}, 'reduce_max_grad')];
};

export const reduceRules = {
  ReduceSum: reduceSum,
  ReduceMean: reduceMean,
  ReduceMax: reduceMax,
};
