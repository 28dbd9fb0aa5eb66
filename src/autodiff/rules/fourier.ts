/**
 * DFT. Along its axis the op is y = F·x' with x' the signal zero-padded or cut to dft_length L, F the L×L
 * DFT matrix (inverse: conj(F)/L), and with onesided only the first ⌊L/2⌋ + 1 rows of F kept. As a real-linear
 * map on (real, imaginary) pairs its transpose is multiplication by Fᴴ = conj(F) (F is symmetric), i.e. the
 * opposite transform: dx' = L·IDFT(dy) for the forward DFT and DFT(dy)/L for the inverse one, with the rows
 * onesided dropped put back as zeros; then dx' is cut or zero-padded back to the signal's length, and a real
 * signal (last dim 1) keeps the real part.
 */
import { attrInt, makeAttr, makeNode, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';
import { padWithZeros } from './pad.js';

/** The transform axis (DFT-17..19: attribute, default 1; DFT-20: third input, default −2), non-negative. */
function axisOf(node: NodeProto, ctx: RuleContext, rank: number): number {
  let axis: number;
  if (ctx.opset >= 20) {
    const input = node.input![2];
    const value = input ? ctx.constantValue(input) : [-2];
    if (!value) throw ctx.unsupported('DFT axis computed at run time');
    axis = value[0];
  } else axis = attrInt(node, 'axis', 1);
  return axis < 0 ? axis + rank : axis;
}

const dft: Rule = (node, ctx, [dY]) => {
  if (node.input![1] && ctx.needsGradient(1)) throw ctx.unsupported('gradient with respect to dft_length');
  const x = node.input![0];
  const xDims = ctx.shape(x);
  const yDims = ctx.shape(node.output![0]);
  const rank = xDims.length;
  const axis = axisOf(node, ctx, rank);
  const n = xDims[axis];
  const inverse = attrInt(node, 'inverse', 0) !== 0;
  const onesided = attrInt(node, 'onesided', 0) !== 0;
  if (n < 0 || yDims[axis] < 0) throw ctx.unsupported('a DFT axis whose size varies with the batch size');
  let length = n;
  if (node.input![1]) {
    const given = ctx.constantValue(node.input![1]);
    if (!given) throw ctx.unsupported('dft_length computed at run time');
    length = given[0];
  }
  const kept = onesided ? Math.floor(length / 2) + 1 : length;
  if (yDims[axis] !== kept) {
    throw ctx.unsupported(`a DFT output of ${yDims[axis]} along axis ${axis}, expected ${kept}`);
  }
  const padAlong = (t: string, before: number, after: number): string => {
    const pads = new Array<number>(2 * rank).fill(0);
    pads[axis] = before;
    pads[rank + axis] = after;
    return padWithZeros(ctx, t, pads);
  };
  // The rows onesided dropped, as zeros.
  const full = padAlong(dY!, 0, length - kept);
  const transform = makeNode('DFT', ctx.opset >= 20 ? [full, '', ctx.constInt64([axis], [])] : [full], [
    ctx.fresh('dft_grad'),
  ]);
  // The same attributes (axis before opset 20), the other direction, every row.
  const dropped = new Set(['onesided', 'inverse', ...(ctx.opset >= 20 ? ['axis'] : [])]);
  transform.attribute = [
    ...(node.attribute ?? []).filter((a) => !dropped.has(a.name ?? '')),
    makeAttr('inverse', inverse ? 0 : 1),
  ];
  ctx.emit(transform);
  const scaled = ctx.op('Mul', [transform.output![0], ctx.constFloat(inverse ? 1 / length : length)]);
  // Back to the signal's length: cut what zero-padding added, pad what truncation removed.
  const back = padAlong(scaled, 0, n - length);
  if (xDims[rank - 1] === 2) return [back];
  const real = ctx.op('Slice', [back, ctx.constInt64([0]), ctx.constInt64([1]), ctx.constInt64([rank - 1])]);
  return [real];
};

export const fourierRules = { DFT: dft };
