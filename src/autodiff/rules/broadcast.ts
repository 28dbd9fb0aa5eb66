/**
 * Broadcasting and selection: Expand, Tile, Where, Max, Min, Mean and CastLike. Every gradient is formed at
 * the output's shape and summed back to its operand's shape (`reduceToShape`).
 */
import { DataType, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

function toOperand(node: NodeProto, ctx: RuleContext, i: number, term: () => string): string | undefined {
  if (!ctx.needsGradient(i)) return undefined;
  return ctx.reduceToShape(term(), ctx.shape(node.output![0]), node.input![i]);
}

const expand: Rule = (node, ctx, [dY]) => [toOperand(node, ctx, 0, () => dY!), undefined];

/**
 * y = x repeated r_i times along each axis: dY viewed as [r_0, d_0, r_1, d_1, …] and summed over the r
 * axes. The repeats follow from the probed shapes, so they may be computed at run time.
 */
const tile: Rule = (node, ctx, [dY]) => {
  const inDims = ctx.shape(node.input![0]);
  const outDims = ctx.shape(node.output![0]);
  const repeats = inDims.map((d, i) =>
    d < 0 || outDims[i] < 0 ? (d === outDims[i] ? 1 : -1) : outDims[i] / d,
  );
  if (repeats.some((r) => r < 0 || !Number.isInteger(r))) {
    throw ctx.unsupported('tiling along an axis whose size varies with the batch size');
  }
  if (repeats.every((r) => r === 1)) return [dY, undefined];
  const view = inDims.flatMap((d, i) => [repeats[i], d]);
  if (view.filter((d) => d < 0).length > 1) throw ctx.unsupported('more than one batch-dependent axis');
  const grouped = ctx.op('Reshape', [dY!, ctx.constInt64(view)]);
  const axes = inDims.map((_, i) => 2 * i);
  return [ctx.reduceSum(grouped, axes, false), undefined];
};

const where: Rule = (node, ctx, [dY]) => {
  const condition = node.input![0];
  const zero = ctx.constFloat(0);
  return [
    undefined,
    toOperand(node, ctx, 1, () => ctx.op('Where', [condition, dY!, zero])),
    toOperand(node, ctx, 2, () => ctx.op('Where', [condition, zero, dY!])),
  ];
};

/** The gradient goes to the operands equal to the result, shared evenly among tied ones (as PyTorch does). */
const extremum: Rule = (node, ctx, [dY]) => {
  const inputs = node.input!;
  if (inputs.length === 1) return [dY];
  const y = node.output![0];
  const winners = inputs.map((x) => ctx.op('Cast', [ctx.op('Equal', [x, y])], { to: DataType.FLOAT }));
  // Equal(x, y) already has the output's shape: y is the broadcast of every operand.
  const ties = ctx.op(winners.length === 2 ? 'Add' : 'Sum', winners);
  const share = ctx.op('Div', [dY!, ties]);
  return inputs.map((_, i) => toOperand(node, ctx, i, () => ctx.op('Mul', [share, winners[i]])));
};

const mean: Rule = (node, ctx, [dY]) => {
  const share = (): string => ctx.op('Mul', [dY!, ctx.constFloat(1 / node.input!.length)]);
  return node.input!.map((_, i) => toOperand(node, ctx, i, share));
};

const castLike: Rule = (node, ctx, [dY]) => {
  const input = node.input![0];
  if (!ctx.isFloat(input)) return [undefined, undefined];
  return [ctx.op('Cast', [dY!], { to: ctx.elemType(input) }), undefined];
};

export const broadcastRules = {
  Expand: expand,
  Tile: tile,
  Where: where,
  Max: extremum,
  Min: extremum,
  Mean: mean,
  CastLike: castLike,
};
