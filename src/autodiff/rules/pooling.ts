/**
 * Pools. MaxPool routes each output's gradient to the input element its Indices output names (ScatterElements
 * into zeros); AveragePool spreads it evenly over its window with a depthwise ConvTranspose of ones, after
 * dividing by the per-position element count ORT divided by; the global pools broadcast or route.
 */
import { attrInt, attrInts, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';
import { extent, forwardWindow, spatialSize, type Window } from './window.js';

/**
 * Scatter dY into zeros shaped like `x` at the flat positions in `indices` (MaxPool Indices count over the
 * whole N·C·spatial tensor). `phases` > 1 per spatial dim means windows overlap: before opset 16 there is no
 * `reduction='add'`, so output positions are split into residue classes mod `phases` per dim, within which no
 * two windows share an input element; each class is scattered on its own and the results are added.
 */
function scatterToArgmax(ctx: RuleContext, x: string, dY: string, indices: string, phases: number[]): string {
  const flat = ctx.constInt64([-1]);
  const zeros = ctx.op('Reshape', [ctx.zerosLike(x), flat]);
  const scatter = (grad: string, where: string, reduction?: string): string =>
    ctx.op('ScatterElements', [zeros, ctx.op('Reshape', [where, flat]), ctx.op('Reshape', [grad, flat])], {
      axis: 0,
      reduction,
    });
  let result: string;
  if (phases.every((p) => p === 1)) result = scatter(dY, indices);
  else if (ctx.opset >= 16) result = scatter(dY, indices, 'add');
  else {
    const axes = ctx.constInt64(phases.map((_, i) => i + 2));
    const ends = ctx.constInt64(phases.map(() => 2 ** 31 - 1));
    const steps = ctx.constInt64(phases);
    const parts: string[] = [];
    for (const start of residues(phases)) {
      const starts = ctx.constInt64(start);
      const take = (t: string): string => ctx.op('Slice', [t, starts, ends, axes, steps]);
      parts.push(scatter(take(dY), take(indices)));
    }
    result = parts.length === 1 ? parts[0] : ctx.op('Sum', parts, {}, 'maxpool_phases');
  }
  return ctx.op('Reshape', [result, ctx.reshapeTarget(x)], {}, 'maxpool_grad');
}

/** Every tuple (p_0, …) with 0 <= p_i < counts[i]. */
function residues(counts: number[]): number[][] {
  return counts.reduce<number[][]>(
    (acc, n) => acc.flatMap((t) => Array.from({ length: n }, (_, p) => [...t, p])),
    [[]],
  );
}

const maxPool: Rule = (node, ctx, [dY]) => {
  if (attrInt(node, 'storage_order', 0) !== 0)
    throw ctx.unsupported('column-major Indices (storage_order=1)');
  const x = node.input![0];
  const kernel = attrInts(node, 'kernel_shape') ?? [];
  const win = forwardWindow(node, ctx, x, node.output![0], kernel);
  const phases = kernel.map((_, i) => Math.ceil(extent(win, i) / win.strides[i]));
  return [scatterToArgmax(ctx, x, dY!, ctx.forwardOutput(1), phases)];
};

const globalMaxPool: Rule = (node, ctx, [dY]) => {
  const x = node.input![0];
  const kernel = spatialSize(ctx, x);
  const [, indices] = ctx.ops('MaxPool', [x], 2, { kernel_shape: kernel }, 'global_argmax');
  return [
    scatterToArgmax(
      ctx,
      x,
      dY!,
      indices,
      kernel.map(() => 1),
    ),
  ];
};

const globalAveragePool: Rule = (node, ctx, [dY]) => {
  const x = node.input![0];
  const count = spatialSize(ctx, x).reduce((a, b) => a * b, 1);
  const scaled = ctx.op('Mul', [dY!, ctx.constFloat(1 / count)]);
  return [ctx.op('Expand', [scaled, ctx.shapeTensor(x)], {}, 'global_avg_grad')];
};

/**
 * How many elements ORT averaged over for output position `o` along one dim: those inside the input, or with
 * count_include_pad those inside the padded input (a ceil_mode window may run past the end pad; that part is
 * never counted).
 */
function windowCount(w: Window, dim: number, o: number, includePad: boolean): number {
  const low = includePad ? -w.begin[dim] : 0;
  const high = includePad ? w.inSize[dim] + w.end[dim] : w.inSize[dim];
  let count = 0;
  for (let j = 0; j < w.kernel[dim]; j++) {
    const at = o * w.strides[dim] - w.begin[dim] + j * w.dilations[dim];
    if (at >= low && at < high) count++;
  }
  return count;
}

/** 1 / divisor for every output position, shaped [1, 1, ...outSize] to broadcast over batch and channels. */
function inverseCounts(w: Window, includePad: boolean): { values: number[]; dims: number[] } {
  const perDim = w.outSize.map((size, d) =>
    Array.from({ length: size }, (_, o) => windowCount(w, d, o, includePad)),
  );
  let values = [1];
  for (const counts of perDim) values = values.flatMap((v) => counts.map((c) => v * c));
  return { values: values.map((c) => 1 / c), dims: [1, 1, ...w.outSize] };
}

const averagePool: Rule = (node: NodeProto, ctx, [dY]) => {
  const x = node.input![0];
  const kernel = attrInts(node, 'kernel_shape') ?? [];
  const win = forwardWindow(node, ctx, x, node.output![0], kernel);
  const includePad = attrInt(node, 'count_include_pad', 0) === 1;
  const { values, dims } = inverseCounts(win, includePad);
  const scaled = ctx.op('Mul', [dY!, ctx.constFloat(values, dims)]);
  // ConvTranspose output = s·(out−1) + extent + output_padding − begin − end must equal the input size; the
  // end crop absorbs windows that ceil_mode ran past the input, output_padding the rows no window reached.
  const endCrop: number[] = [];
  const outputPadding: number[] = [];
  kernel.forEach((_, i) => {
    const overshoot = win.strides[i] * (win.outSize[i] - 1) + extent(win, i) - win.begin[i] - win.inSize[i];
    endCrop.push(Math.max(overshoot, 0));
    outputPadding.push(Math.max(-overshoot, 0));
  });
  const channels = ctx.shape(x)[1];
  if (channels < 0) throw ctx.unsupported('channel count varies with the batch size');
  const ones = ctx.constFloat(new Array<number>(channels * kernel.reduce((a, b) => a * b, 1)).fill(1), [
    channels,
    1,
    ...kernel,
  ]);
  const dX = ctx.op(
    'ConvTranspose',
    [scaled, ones],
    {
      group: channels,
      kernel_shape: kernel,
      strides: win.strides,
      dilations: win.dilations,
      pads: [...win.begin, ...endCrop],
      output_padding: outputPadding,
    },
    'avg_pool_grad',
  );
  return [dX];
};

export const poolingRules = {
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalMaxPool: globalMaxPool,
  GlobalAveragePool: globalAveragePool,
};
