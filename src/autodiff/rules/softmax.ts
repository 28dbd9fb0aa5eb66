/**
 * Softmax and LogSoftmax. Before opset 13 they flatten the input to 2-D at `axis` (normalizing over every axis
 * from `axis` on); from 13 they normalize along `axis` alone. Either way the backward pass reduces over the
 * normalized axes with keepdims, so no reshape is needed.
 */
import { attrInt, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

function normalizedAxes(node: NodeProto, ctx: RuleContext): number[] {
  const rank = ctx.shape(node.input![0]).length;
  const raw = attrInt(node, 'axis', ctx.opset >= 13 ? -1 : 1);
  const axis = raw < 0 ? raw + rank : raw;
  if (ctx.opset >= 13) return [axis];
  return Array.from({ length: rank - axis }, (_, i) => axis + i);
}

/** dX = Y ⊙ (dY − Σ dY ⊙ Y) */
const softmax: Rule = (node, ctx, [dY]) => {
  const y = node.output![0];
  const weighted = ctx.op('Mul', [dY!, y]);
  const total = ctx.reduceSum(weighted, normalizedAxes(node, ctx), true);
  return [ctx.op('Sub', [weighted, ctx.op('Mul', [y, total])], {}, 'softmax_grad')];
};

/** dX = dY − softmax(X) ⊙ Σ dY, with softmax(X) = exp(Y). */
const logSoftmax: Rule = (node, ctx, [dY]) => {
  const total = ctx.reduceSum(dY!, normalizedAxes(node, ctx), true);
  const probabilities = ctx.op('Exp', [node.output![0]]);
  return [ctx.op('Sub', [dY!, ctx.op('Mul', [probabilities, total])], {}, 'log_softmax_grad')];
};

export const softmaxRules = { Softmax: softmax, LogSoftmax: logSoftmax };
