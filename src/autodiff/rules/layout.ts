/** Axis relabelling: Transpose (inverse permutation), Squeeze and Unsqueeze (reshape back to the input). */
import { attrInts } from '../../onnx/proto.js';
import type { Rule } from '../context.js';

const transpose: Rule = (node, ctx, [dY]) => {
  const rank = ctx.shape(node.input![0]).length;
  const perm = attrInts(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  return [ctx.op('Transpose', [dY!], { perm: inverse }, 'transpose_grad')];
};

const reshapeBack: Rule = (node, ctx, [dY]) => [ctx.reshapeLike(dY!, node.input![0])];

export const layoutRules = {
  Transpose: transpose,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
};
