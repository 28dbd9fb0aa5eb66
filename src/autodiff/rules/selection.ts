/**
 * Ops that pick elements of their input (Gather*, Compress, TopK, and Slice or Gather whose parameters are
 * computed at run time): the gradient adds each dY element into the input position it was taken from. That
 * position is found by applying the very same op to an "iota" tensor holding every element's flat index, so
 * the op's parameters are used as run-time data and never need to be known when the graph is built.
 */
import { DataType, attrInt } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';
import { scatterNdProduct } from './scatter-product.js';

/** int64 tensor shaped like `x` whose elements are their own flat (row-major) positions. */
export function iotaLike(ctx: RuleContext, x: string): string {
  const scalar = (v: number): string => ctx.constInt64([v], []);
  const count = ctx.op('Size', [x]);
  return ctx.op(
    'Reshape',
    [ctx.op('Range', [scalar(0), count, scalar(1)]), ctx.op('Shape', [x])],
    {},
    'iota',
  );
}

/**
 * Zeros shaped like `x` with `updates` added at the flat positions `positions` (same shape as `updates`).
 * Position −1 adds nowhere. `distinct` positions (−1 aside) are written by one ScatterElements; repeated ones are summed: sort the positions
 * (TopK), take running sums of the updates in that order in double (CumSum), and give each position the
 * running sum at its last occurrence minus the one before its first. Positions never named get 0 − 0. Each
 * write hits every target at most once: other occurrences go to distinct spare slots past the end, dropped.
 * Time proportional to the sizes, at any opset.
 */
export function scatterAdd(
  ctx: RuleContext,
  x: string,
  updates: string,
  positions: string,
  distinct: boolean,
): string {
  const flat = (t: string): string => ctx.op('Reshape', [t, ctx.constInt64([-1])]);
  const scalar = (v: number): string => ctx.constInt64([v], []);
  const total = ctx.op('Size', [x]);
  const asVector = (t: string): string => ctx.op('Reshape', [t, ctx.constInt64([1])]);
  // Position −1 (an element taken from nowhere, as padding) goes to a slot past the end, dropped.
  const raw = flat(positions);
  const indices = ctx.op('Where', [ctx.op('Less', [raw, scalar(0)]), total, raw]);
  if (distinct) {
    const zeros = ctx.op('ConstantOfShape', [asVector(ctx.op('Add', [total, scalar(1)]))]);
    const written = ctx.op('ScatterElements', [zeros, indices, flat(updates)], { axis: 0 });
    const kept = ctx.op('Slice', [written, ctx.constInt64([0]), asVector(total)]);
    return ctx.reshapeLike(kept, x);
  }
  const count = ctx.op('Size', [indices]);
  const [sorted, order] = ctx.ops('TopK', [indices, asVector(count)], 2, { largest: 0, sorted: 1 });
  const values = ctx.op('Cast', [ctx.op('Gather', [flat(updates), order], { axis: 0 })], {
    to: DataType.DOUBLE,
  });
  const through = ctx.op('CumSum', [values, scalar(0)]);
  const before = ctx.op('CumSum', [values, scalar(0)], { exclusive: 1 });
  // A run of equal positions ends where the next differs (and at the end); it starts where the previous does.
  const sentinel = ctx.constInt64([-1]);
  const tail = ctx.op('Slice', [sorted, ctx.constInt64([1]), ctx.constInt64([2 ** 31 - 1])]);
  const head = ctx.op('Slice', [sorted, ctx.constInt64([0]), ctx.constInt64([-1])]);
  const next = ctx.op('Concat', [tail, sentinel], { axis: 0 });
  const previous = ctx.op('Concat', [sentinel, head], { axis: 0 });
  const spare = ctx.op('Add', [ctx.op('Range', [scalar(0), count, scalar(1)]), total]);
  const slots = asVector(ctx.op('Add', [total, count]));
  const zeros = ctx.op('Cast', [ctx.op('ConstantOfShape', [slots])], { to: DataType.DOUBLE });
  const write = (boundary: string, sums: string): string => {
    const target = ctx.op('Where', [ctx.op('Not', [ctx.op('Equal', [sorted, boundary])]), sorted, spare]);
    return ctx.op('ScatterElements', [zeros, target, sums], { axis: 0 });
  };
  const summed = ctx.op('Sub', [write(next, through), write(previous, before)]);
  const kept = ctx.op('Slice', [summed, ctx.constInt64([0]), asVector(total)]);
  return ctx.reshapeLike(ctx.op('Cast', [kept], { to: DataType.FLOAT }, 'scatter_add'), x);
}

/** The node applied to the iota of its first input instead of the input itself (same attributes). */
function sameOpOnIota(node: Parameters<Rule>[0], ctx: RuleContext, outputIndex = 0): string {
  const [x, ...rest] = node.input!;
  const outputs = node.output!.map(() => ctx.fresh(`${node.opType}_positions`));
  ctx.emit({ ...node, name: outputs[0], input: [iotaLike(ctx, x), ...rest], output: outputs });
  return outputs[outputIndex];
}

/** Route dY back through a picking op whose picks may repeat (`distinct` false) or not. */
export function routeThroughPicks(distinct: boolean): Rule {
  return (node, ctx, [dY]) => {
    const x = node.input![0];
    const positions = sameOpOnIota(node, ctx);
    return [scatterAdd(ctx, x, dY!, positions, distinct), ...node.input!.slice(1).map(() => undefined)];
  };
}

/** TopK: the values output picks along `axis` at the Indices output's positions (distinct within a row). */
const topK: Rule = (node, ctx, [dValues]) => {
  const x = node.input![0];
  if (!dValues) return [undefined, undefined];
  const rank = ctx.shape(x).length;
  const raw = attrInt(node, 'axis', -1);
  const axis = raw < 0 ? raw + rank : raw;
  const picks = ctx.op('GatherElements', [iotaLike(ctx, x), ctx.forwardOutput(1)], { axis });
  return [scatterAdd(ctx, x, dValues, picks, true), undefined];
};

/**
 * ScatterElements / ScatterND write `updates` into a copy of `data`. Without a reduction, the written
 * positions no longer depend on data (its gradient is dY with them zeroed) and each update's gradient is
 * dY read back at its position; with reduction 'add', data passes dY through whole; ScatterND's 'mul' is in
 * scatter-product.ts.
 */
function scatterRule(gather: 'GatherElements' | 'GatherND'): Rule {
  return (node, ctx, [dY]) => {
    const [data, indices, updates] = node.input!;
    const reduction = node.attribute?.find((a) => a.name === 'reduction');
    const mode = reduction?.s ? new TextDecoder().decode(reduction.s) : 'none';
    if (mode === 'mul' && gather === 'GatherND') return scatterNdProduct(node, ctx, dY!);
    if (mode !== 'none' && mode !== 'add') throw ctx.unsupported(`reduction '${mode}'`);
    const attrs = gather === 'GatherElements' ? { axis: attrInt(node, 'axis', 0) } : {};
    let dData: string | undefined;
    if (ctx.needsGradient(0)) {
      if (mode === 'add') dData = dY;
      else {
        const ones = ctx.op('Add', [ctx.op('Mul', [updates, ctx.constFloat(0)]), ctx.constFloat(1)]);
        const written = ctx.op(node.opType!, [ctx.zerosLike(data), indices, ones], attrs);
        dData = ctx.op('Mul', [dY!, ctx.op('Sub', [ctx.constFloat(1), written])]);
      }
    }
    const dUpdates = ctx.needsGradient(2) ? ctx.op(gather, [dY!, indices], attrs, 'scatter_grad') : undefined;
    return [dData, undefined, dUpdates];
  };
}

export const selectionRules = {
  GatherElements: routeThroughPicks(false),
  GatherND: routeThroughPicks(false),
  Compress: routeThroughPicks(true),
  TopK: topK,
  ScatterElements: scatterRule('GatherElements'),
  ScatterND: scatterRule('GatherND'),
};
