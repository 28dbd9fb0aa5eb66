/**
 * Concat and Split, each other's transpose: Concat's gradient is dY split at the inputs' sizes along the
 * axis; Split's is the outputs' gradients concatenated (zeros for outputs no gradient reaches). The sizes
 * come from the probed shapes, so every Split form (attribute, input, num_outputs) is handled alike.
 */
import { attrInt } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

function axisOf(ctx: RuleContext, tensor: string, raw: number): number {
  const rank = ctx.shape(tensor).length;
  return raw < 0 ? raw + rank : raw;
}

const concat: Rule = (node, ctx, [dY]) => {
  const inputs = node.input!;
  if (inputs.length === 1) return [dY];
  const axis = axisOf(ctx, node.output![0], attrInt(node, 'axis', 0));
  const sizes = inputs.map((i) => ctx.shape(i)[axis]);
  if (sizes.some((s) => s < 0))
    throw ctx.unsupported('concatenation along an axis that varies with the batch size');
  const parts = ctx.split(dY!, axis, sizes);
  return parts.map((part, i) => (ctx.needsGradient(i) ? part : undefined));
};

const split: Rule = (node, ctx, dOutputs) => {
  const axis = axisOf(ctx, node.input![0], attrInt(node, 'axis', 0));
  const parts = node.output!.map((out, i) => dOutputs[i] ?? ctx.zerosLike(out));
  return [parts.length === 1 ? parts[0] : ctx.op('Concat', parts, { axis }, 'split_grad')];
};

export const concatRules = { Concat: concat, Split: split };
