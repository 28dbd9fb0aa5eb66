/**
 * Axis relabelling: Transpose (inverse permutation), Squeeze and Unsqueeze (reshape back to the input), and
 * DepthToSpace / SpaceToDepth (a reshape, a transpose and a reshape, undone in reverse order).
 */
import { attrInt, attrInts, attrString } from '../../onnx/proto.js';
import type { Rule } from '../context.js';

const transpose: Rule = (node, ctx, [dY]) => {
  const rank = ctx.shape(node.input![0]).length;
  const perm = attrInts(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  return [ctx.op('Transpose', [dY!], { perm: inverse }, 'transpose_grad')];
};

const reshapeBack: Rule = (node, ctx, [dY]) => [ctx.reshapeLike(dY!, node.input![0])];

/**
 * The block moves as ONNX defines them, on x [N, C, H, W] with block b: DepthToSpace DCR views x as
 * [N, b, b, C/b², H, W] and CRD as [N, C/b², b, b, H, W], both permuted to [N, C/b², H, b, W, b];
 * SpaceToDepth views x as [N, C, H/b, b, W/b, b] and permutes it to [N, b, b, C, H/b, W/b]. The gradient
 * reshapes dY to the permuted view, applies the inverse permutation and reshapes to x.
 */
function blockMove(kind: 'DepthToSpace' | 'SpaceToDepth'): Rule {
  return (node, ctx, [dY]) => {
    const x = node.input![0];
    const [n, c, h, w] = ctx.shape(x);
    const b = attrInt(node, 'blocksize', 1);
    const batch = n < 0 ? -1 : n;
    let permuted: number[];
    let perm: number[];
    if (kind === 'SpaceToDepth') {
      permuted = [batch, b, b, c, h / b, w / b];
      perm = [0, 3, 5, 1, 2, 4];
    } else {
      permuted = [batch, c / (b * b), h, b, w, b];
      perm = attrString(node, 'mode', 'DCR') === 'CRD' ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2];
    }
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    const view = ctx.op('Reshape', [dY!, ctx.constInt64(permuted)]);
    const back = ctx.op('Transpose', [view], { perm: inverse }, `${kind.toLowerCase()}_grad`);
    return [ctx.reshapeLike(back, x)];
  };
}

export const layoutRules = {
  DepthToSpace: blockMove('DepthToSpace'),
  SpaceToDepth: blockMove('SpaceToDepth'),
  Transpose: transpose,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
};
