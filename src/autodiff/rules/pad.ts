/**
 * Pad. In constant mode with known pads its transpose is Pad with the negated pads: what was padded is
 * cropped away, and where a negative pad cropped the input, zeros are put back. Other modes, and pads
 * computed at run time, route dY by the positions the same Pad takes. Pads are an attribute before opset 11, a
 * constant input from then on (with an optional `axes` input from opset 18).
 */
import { attrInts, attrString, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';
import { iotaLike, scatterAdd } from './selection.js';

/** Constant-zero Pad in the opset's form; `pads` = [begin per axis..., end per axis...], negative crops. */
export function padWithZeros(ctx: RuleContext, x: string, pads: readonly number[]): string {
  if (pads.every((p) => p === 0)) return x;
  if (ctx.opset >= 11) return ctx.op('Pad', [x, ctx.constInt64(pads)], {}, 'pad');
  return ctx.op('Pad', [x], { pads: [...pads], mode: 'constant', value: { value: 0, kind: 'float' } }, 'pad');
}

/** Begin and end pads for every axis of the input; undefined when they are computed at run time. */
function fullPads(node: NodeProto, ctx: RuleContext, rank: number): number[] | undefined {
  const [, padsInput, , axesInput] = node.input ?? [];
  let pads: number[] | undefined;
  if (padsInput) {
    pads = ctx.constantValue(padsInput);
    if (!pads) return undefined;
  } else pads = attrInts(node, 'pads') ?? [];
  if (!axesInput) {
    if (pads.length !== 2 * rank) throw ctx.unsupported(`${pads.length} pads for a rank-${rank} input`);
    return pads;
  }
  const axes = ctx.constantValue(axesInput);
  if (!axes) return undefined;
  const full = new Array<number>(2 * rank).fill(0);
  axes.forEach((a, i) => {
    const axis = a < 0 ? a + rank : a;
    full[axis] = pads![i];
    full[rank + axis] = pads![axes.length + i];
  });
  return full;
}

/**
 * Any mode, pads known or not: the same Pad applied to the input's flat positions (padding with −1) says
 * where each output element came from; reflect, edge and wrap repeat positions, whose gradients add up.
 */
function padByPositions(node: NodeProto, ctx: RuleContext, dY: string, mode: string): string {
  const [x, pads, , axes] = node.input!;
  if (!pads) throw ctx.unsupported('Pad without pads');
  const filler = mode === 'constant' ? ctx.constInt64([-1], []) : '';
  const inputs = [iotaLike(ctx, x), pads, filler, ...(axes ? [axes] : [])];
  while (inputs[inputs.length - 1] === '') inputs.pop();
  const positions = ctx.op('Pad', inputs, { mode }, 'pad_positions');
  return scatterAdd(ctx, x, dY, positions, mode === 'constant');
}

const pad: Rule = (node, ctx, [dY]) => {
  const mode = attrString(node, 'mode', 'constant');
  const x = node.input![0];
  const value = node.input![2];
  const valueNeeded = Boolean(value) && ctx.needsGradient(2);
  const pads = mode === 'constant' ? fullPads(node, ctx, ctx.shape(x).length) : undefined;
  let dX: string;
  if (!pads) {
    if (ctx.opset < 11) throw ctx.unsupported(`Pad mode '${mode}' before opset 11`);
    dX = padByPositions(node, ctx, dY!, mode);
  } else {
    dX = padWithZeros(
      ctx,
      dY!,
      pads.map((p) => -p),
    );
  }
  if (!valueNeeded) return [dX];
  // Every output element is either one input element or the value (constant mode only): the value's
  // gradient is what dY holds beyond what flows back to x.
  if (mode !== 'constant') return [dX, undefined, ctx.zerosLike(value)];
  const total = (t: string, like: string): string =>
    ctx.reduceSum(
      t,
      ctx.shape(like).map((_, i) => i),
      false,
    );
  const dValue = ctx.op('Sub', [total(dY!, node.output![0]), total(dX, x)]);
  return [ctx.needsGradient(0) ? dX : undefined, undefined, ctx.reshapeLike(dValue, value)];
};

export const padRules = { Pad: pad };
