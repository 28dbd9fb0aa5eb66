/** Pointwise activation functions. */
import { DataType, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

/** 1 where the Relu output is positive (equivalently, where its input was), else 0, as floats. */
export function reluMask(node: NodeProto, ctx: RuleContext): string {
  // The mask reads the Relu *output* so that ORT can still fuse the producer with the Relu. Greater → Cast →
  // Mul is measured ~70x faster in ORT than Where with a scalar branch.
  return ctx.op(
    'Cast',
    [ctx.op('Greater', [node.output![0], ctx.constFloat(0)])],
    { to: DataType.FLOAT },
    'relu_mask',
  );
}

const relu: Rule = (node, ctx, [dY]) => [ctx.op('Mul', [dY!, reluMask(node, ctx)], {}, 'relu_grad')];

export const activationRules = { Relu: relu };
