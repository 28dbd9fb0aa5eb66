/**
 * Ops that build a tensor from a few float parameters or place values by index: OneHot (its off/on values),
 * Range (start and delta), Mod with fmod (a − trunc(a/b)·b), ReverseSequence (a permutation) and MaxUnpool
 * (values written at given positions). Index, depth and limit inputs change the result only in jumps: their
 * gradient is zero.
 */
import { DataType, attrInt } from '../../onnx/proto.js';
import type { Rule } from '../context.js';
import { routeThroughPicks } from './selection.js';

/** y = off + (on − off)·h with h the one-hot pattern: dOff = Σ dY·(1 − h), dOn = Σ dY·h. */
const oneHot: Rule = (node, ctx, [dY]) => {
  const [indices, depth] = node.input!;
  const pattern = ctx.op('OneHot', [indices, depth, ctx.constFloat([0, 1])], {
    axis: attrInt(node, 'axis', -1),
  });
  const rank = ctx.shape(node.output![0]).length;
  const all = Array.from({ length: rank }, (_, i) => i);
  const on = ctx.reduceSum(ctx.op('Mul', [dY!, pattern]), all, false);
  const off = ctx.op('Sub', [ctx.reduceSum(dY!, all, false), on]);
  const dValues = ctx.needsGradient(2)
    ? ctx.op('Concat', [ctx.unsqueeze(off, [0]), ctx.unsqueeze(on, [0])], { axis: 0 })
    : undefined;
  return [
    ctx.needsGradient(0) ? ctx.zerosLike(indices) : undefined,
    ctx.needsGradient(1) ? ctx.zerosLike(depth) : undefined,
    dValues,
  ];
};

/** y_i = start + i·delta: dStart = Σ dY, dDelta = Σ i·dY. */
const range: Rule = (node, ctx, [dY]) => {
  const [start, limit, delta] = node.input!;
  const count = ctx.op('Cast', [ctx.op('Size', [dY!])], { to: DataType.FLOAT });
  const steps = ctx.op('Range', [ctx.constFloat(0), count, ctx.constFloat(1)]);
  return [
    ctx.needsGradient(0) ? ctx.reduceSum(dY!, [0], false) : undefined,
    ctx.needsGradient(1) ? ctx.zerosLike(limit) : undefined,
    ctx.needsGradient(2) ? ctx.reduceSum(ctx.op('Mul', [dY!, steps]), [0], false) : undefined,
  ].map((g, i) => (g && i !== 1 ? ctx.reshapeLike(g, [start, limit, delta][i]) : g));
};

/** fmod: y = a − q·b with q = trunc(a/b) = (a − y)/b, constant between jumps: dA = dY, dB = −q·dY. */
const mod: Rule = (node, ctx, [dY]) => {
  if (attrInt(node, 'fmod', 0) !== 1) throw ctx.unsupported('integer Mod');
  const [a, b] = node.input!;
  const y = node.output![0];
  const outDims = ctx.shape(y);
  const quotient = (): string => ctx.op('Div', [ctx.op('Sub', [a, y]), b]);
  return [
    ctx.needsGradient(0) ? ctx.reduceToShape(dY!, outDims, a) : undefined,
    ctx.needsGradient(1)
      ? ctx.reduceToShape(ctx.op('Neg', [ctx.op('Mul', [dY!, quotient()])]), outDims, b)
      : undefined,
  ];
};

/** y_flat[I[k]] = x[k]: dX[k] = dY_flat[I[k]] (indices written twice keep the later write in ORT). */
const maxUnpool: Rule = (node, ctx, [dY]) => {
  const [x, indices] = node.input!;
  const flat = (t: string): string => ctx.op('Reshape', [t, ctx.constInt64([-1])]);
  const picked = ctx.op('Gather', [flat(dY!), flat(indices)], { axis: 0 }, 'max_unpool_grad');
  return [ctx.reshapeLike(picked, x), undefined, undefined];
};

export const generatorRules = {
  OneHot: oneHot,
  Range: range,
  Mod: mod,
  ReverseSequence: routeThroughPicks(true),
  MaxUnpool: maxUnpool,
};
