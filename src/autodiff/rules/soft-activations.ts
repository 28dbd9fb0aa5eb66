/** Celu, Softsign, ThresholdedRelu, Shrink and Mish: pointwise, dX = dY·f'(x). */
import { DataType, attrFloat } from '../../onnx/proto.js';
import type { Rule } from '../context.js';

/** y = max(0, x) + min(0, α(e^(x/α) − 1)): slope 1 for x > 0, e^(x/α) otherwise. */
const celu: Rule = (node, ctx, [dY]) => {
  const x = node.input![0];
  const alpha = attrFloat(node, 'alpha', 1);
  const negative = ctx.op('Exp', [
    ctx.op('Div', [ctx.op('Min', [x, ctx.constFloat(0)]), ctx.constFloat(alpha)]),
  ]);
  const slope = ctx.op('Where', [ctx.op('Greater', [x, ctx.constFloat(0)]), ctx.constFloat(1), negative]);
  return [ctx.op('Mul', [dY!, slope], {}, 'celu_grad')];
};

/** y = x/(1 + |x|): slope 1/(1 + |x|)². */
const softsign: Rule = (node, ctx, [dY]) => {
  const denominator = ctx.op('Add', [ctx.op('Abs', [node.input![0]]), ctx.constFloat(1)]);
  return [ctx.op('Div', [dY!, ctx.op('Mul', [denominator, denominator])], {}, 'softsign_grad')];
};

const mask = (ctx: Parameters<Rule>[1], condition: string): string =>
  ctx.op('Cast', [condition], { to: DataType.FLOAT });

/** y = x where x > α, else 0. */
const thresholdedRelu: Rule = (node, ctx, [dY]) => {
  const alpha = attrFloat(node, 'alpha', 1);
  const kept = mask(ctx, ctx.op('Greater', [node.input![0], ctx.constFloat(alpha)]));
  return [ctx.op('Mul', [dY!, kept], {}, 'thresholded_relu_grad')];
};

/** y = x ∓ bias outside [−λ, λ], 0 inside: slope 1 outside. */
const shrink: Rule = (node, ctx, [dY]) => {
  const x = node.input![0];
  const lambd = attrFloat(node, 'lambd', 0.5);
  const outside = ctx.op('Or', [
    ctx.op('Greater', [x, ctx.constFloat(lambd)]),
    ctx.op('Less', [x, ctx.constFloat(-lambd)]),
  ]);
  return [ctx.op('Mul', [dY!, mask(ctx, outside)], {}, 'shrink_grad')];
};

/** y = x·tanh(s), s = softplus(x): slope tanh(s) + x·(1 − tanh²(s))·σ(x). */
const mish: Rule = (node, ctx, [dY]) => {
  const x = node.input![0];
  const t = ctx.op('Tanh', [ctx.op('Softplus', [x])]);
  const sech2 = ctx.op('Sub', [ctx.constFloat(1), ctx.op('Mul', [t, t])]);
  const slope = ctx.op('Add', [t, ctx.op('Mul', [ctx.op('Mul', [x, sech2]), ctx.op('Sigmoid', [x])])]);
  return [ctx.op('Mul', [dY!, slope], {}, 'mish_grad')];
};

export const softActivationRules = {
  Celu: celu,
  Softsign: softsign,
  ThresholdedRelu: thresholdedRelu,
  Shrink: shrink,
  Mish: mish,
};
