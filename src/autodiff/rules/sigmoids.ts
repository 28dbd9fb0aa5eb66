/**
 * S-shaped and soft activations: Sigmoid, Tanh, HardSigmoid, HardSwish, Softplus. The smooth ones write their
 * derivative through the forward output (σ' = y(1−y), tanh' = 1−y²), the hard ones mask their linear piece.
 */
import { attrFloat } from '../../onnx/proto.js';
import type { Rule } from '../context.js';

const sigmoid: Rule = (node, ctx, [dY]) => {
  const y = node.output![0];
  const slope = ctx.op('Mul', [y, ctx.op('Sub', [ctx.constFloat(1), y])]);
  return [ctx.op('Mul', [dY!, slope], {}, 'sigmoid_grad')];
};

const tanh: Rule = (node, ctx, [dY]) => {
  const y = node.output![0];
  const slope = ctx.op('Sub', [ctx.constFloat(1), ctx.op('Mul', [y, y])]);
  return [ctx.op('Mul', [dY!, slope], {}, 'tanh_grad')];
};

/** y = max(0, min(1, alpha·x + beta)): slope alpha where 0 < y < 1. */
const hardSigmoid: Rule = (node, ctx, [dY]) => {
  const alpha = attrFloat(node, 'alpha', 0.2);
  const y = node.output![0];
  const inside = ctx.op('And', [
    ctx.op('Greater', [y, ctx.constFloat(0)]),
    ctx.op('Less', [y, ctx.constFloat(1)]),
  ]);
  const scaled = ctx.op('Mul', [dY!, ctx.constFloat(alpha)]);
  return [ctx.op('Where', [inside, scaled, ctx.constFloat(0)], {}, 'hard_sigmoid_grad')];
};

/** y = x·max(0, min(1, x/6 + 1/2)): slope 0 below −3, 1 above 3, x/3 + 1/2 between (as PyTorch defines it). */
const hardSwish: Rule = (node, ctx, [dY]) => {
  const x = node.input![0];
  const middle = ctx.op('Add', [ctx.op('Mul', [x, ctx.constFloat(1 / 3)]), ctx.constFloat(0.5)]);
  const upper = ctx.op('Where', [ctx.op('Greater', [x, ctx.constFloat(3)]), ctx.constFloat(1), middle]);
  const slope = ctx.op('Where', [ctx.op('Less', [x, ctx.constFloat(-3)]), ctx.constFloat(0), upper]);
  return [ctx.op('Mul', [dY!, slope], {}, 'hard_swish_grad')];
};

/** y = ln(1 + eˣ): slope σ(x). */
const softplus: Rule = (node, ctx, [dY]) => [
  ctx.op('Mul', [dY!, ctx.op('Sigmoid', [node.input![0]])], {}, 'softplus_grad'),
];

export const sigmoidRules = {
  Sigmoid: sigmoid,
  Tanh: tanh,
  HardSigmoid: hardSigmoid,
  HardSwish: hardSwish,
  Softplus: softplus,
};
