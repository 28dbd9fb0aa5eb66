/**
 * Average pools: AveragePool spreads each output's gradient evenly over its window with a depthwise
 * ConvTranspose of ones, after dividing by the per-position element count ORT divided by; windows that tile
 * the input (a global pool written as AveragePool, 2x2 stride 2) and GlobalAveragePool broadcast instead
 * (measured: the ConvTranspose of a 7x7 global window over 1280 channels took 4 % of MobileNetV2's VJP).
 * The max pools live in maxpool.ts.
 */
import { attrInt, attrInts, type NodeProto } from '../../onnx/proto.js';
import { maxPoolRules } from './maxpool.js';
import type { Rule, RuleContext } from '../context.js';
import { extent, forwardWindow, spatialSize, type Window } from './window.js';

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

/** Windows that cover the input exactly, side by side: no padding, overlap, gaps or dilation. */
function tiles(w: Window): boolean {
  return w.kernel.every(
    (k, i) =>
      k === w.strides[i] &&
      w.dilations[i] === 1 &&
      k * w.outSize[i] === w.inSize[i] &&
      !w.begin[i] &&
      !w.end[i],
  );
}

/**
 * dY (already divided by the window size) copied over each tiling window: [N, C, o₁, 1, o₂, 1, …] broadcast
 * to [N, C, o₁, k₁, o₂, k₂, …] and read as the input's shape.
 */
function spreadOverTiles(ctx: RuleContext, scaled: string, w: Window, channels: number): string {
  const split = (sizes: (i: number) => number[]): number[] => [
    0,
    channels,
    ...w.kernel.flatMap((_, i) => sizes(i)),
  ];
  const blocks = ctx.op('Reshape', [scaled, ctx.constInt64(split((i) => [w.outSize[i], 1]))]);
  const target = [1, channels, ...w.kernel.flatMap((k, i) => [w.outSize[i], k])];
  const copied = ctx.op('Expand', [blocks, ctx.constInt64(target)]);
  return ctx.op('Reshape', [copied, ctx.constInt64([0, channels, ...w.inSize])], {}, 'avg_pool_grad');
}

const averagePool: Rule = (node: NodeProto, ctx, [dY]) => {
  const x = node.input![0];
  const kernel = attrInts(node, 'kernel_shape') ?? [];
  const win = forwardWindow(node, ctx, x, node.output![0], kernel);
  const includePad = attrInt(node, 'count_include_pad', 0) === 1;
  const channels = ctx.shape(x)[1];
  if (channels >= 0 && tiles(win)) {
    const size = kernel.reduce((a, b) => a * b, 1);
    return [spreadOverTiles(ctx, ctx.op('Mul', [dY!, ctx.constFloat(1 / size)]), win, channels)];
  }
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
  ...maxPoolRules,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
};
