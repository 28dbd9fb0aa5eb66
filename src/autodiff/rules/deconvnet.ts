/**
 * DeconvNet: a ReLU-like op applies ReLU to the incoming gradient and ignores its forward input entirely (for
 * ReLU6 too: no mask from the ceiling). Overrides Relu and Clip(min=0).
 */
import type { Rule } from '../context.js';
import { clipCeilingOfReluLike } from './relu-like.js';

const deconvnet: Rule = (_node, ctx, [dY]) => [ctx.op('Relu', [dY!])];

export const deconvnetRules: Record<string, Rule> = {
  Relu: deconvnet,
  Clip: (node, ctx, dOutputs) =>
    clipCeilingOfReluLike(node, ctx) === undefined
      ? ctx.exactGradient(dOutputs)
      : deconvnet(node, ctx, dOutputs),
};
