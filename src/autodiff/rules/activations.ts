/** Pointwise activation functions. */
import type { NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

/** 1 where the Relu output is positive (equivalently, where its input was), as a boolean tensor. */
export function reluMask(node: NodeProto, ctx: RuleContext): string {
  // The mask reads the Relu *output* so that ORT can still fuse the producer with the Relu.
  return ctx.op('Greater', [node.output![0], ctx.constFloat(0)], {}, 'relu_mask');
}

const relu: Rule = (node, ctx, [dY]) => [ctx.op('Where', [reluMask(node, ctx), dY!, ctx.constFloat(0)])];

export const activationRules = { Relu: relu };
