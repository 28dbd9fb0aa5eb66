/**
 * Guided backpropagation: a ReLU-like op passes the gradient only where its forward input was positive (and
 * below the ceiling for ReLU6) AND the incoming gradient is positive. Overrides Relu and Clip(min=0).
 */
import type { Rule } from '../context.js';
import { clipCeilingOfReluLike, passMask } from './relu-like.js';

const guided =
  (ceiling: number): Rule =>
  (node, ctx, [dY]) => [
    ctx.op('Mul', [ctx.op('Relu', [dY!]), passMask(node, ctx, ceiling)], {}, 'guided_grad'),
  ];

export const guidedRules: Record<string, Rule> = {
  Relu: guided(Infinity),
  Clip: (node, ctx, dOutputs) => {
    const ceiling = clipCeilingOfReluLike(node, ctx);
    return ceiling === undefined ? ctx.exactGradient(dOutputs) : guided(ceiling)(node, ctx, dOutputs);
  },
};
