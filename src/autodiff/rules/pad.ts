/**
 * Pad in constant mode. Its transpose is Pad with the negated pads: what was padded is cropped away, and
 * where a negative pad cropped the input, zeros are put back. Pads are an attribute before opset 11, a
 * constant input from then on (with an optional `axes` input from opset 18).
 */
import { attrInts, attrString, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

/** Constant-zero Pad in the opset's form; `pads` = [begin per axis..., end per axis...], negative crops. */
export function padWithZeros(ctx: RuleContext, x: string, pads: readonly number[]): string {
  if (pads.every((p) => p === 0)) return x;
  if (ctx.opset >= 11) return ctx.op('Pad', [x, ctx.constInt64(pads)], {}, 'pad');
  return ctx.op('Pad', [x], { pads: [...pads], mode: 'constant', value: { value: 0, kind: 'float' } }, 'pad');
}

/** Begin and end pads for every axis of the input, whatever form the node gives them in. */
function fullPads(node: NodeProto, ctx: RuleContext, rank: number): number[] {
  const [, padsInput, , axesInput] = node.input ?? [];
  let pads: number[] | undefined;
  if (padsInput) {
    pads = ctx.constantValue(padsInput);
    if (!pads) throw ctx.unsupported('pads computed at run time');
  } else pads = attrInts(node, 'pads') ?? [];
  if (!axesInput) {
    if (pads.length !== 2 * rank) throw ctx.unsupported(`${pads.length} pads for a rank-${rank} input`);
    return pads;
  }
  const axes = ctx.constantValue(axesInput);
  if (!axes) throw ctx.unsupported('pad axes computed at run time');
  const full = new Array<number>(2 * rank).fill(0);
  axes.forEach((a, i) => {
    const axis = a < 0 ? a + rank : a;
    full[axis] = pads![i];
    full[rank + axis] = pads![axes.length + i];
  });
  return full;
}

const pad: Rule = (node, ctx, [dY]) => {
  const mode = attrString(node, 'mode', 'constant');
  if (mode !== 'constant') throw ctx.unsupported(`Pad mode '${mode}' (only constant is differentiated)`);
  if (node.input![2] && ctx.needsGradient(2))
    throw ctx.unsupported('gradient with respect to the padding value');
  const x = node.input![0];
  const pads = fullPads(node, ctx, ctx.shape(x).length);
  return [
    padWithZeros(
      ctx,
      dY!,
      pads.map((p) => -p),
    ),
  ];
};

export const padRules = { Pad: pad };
