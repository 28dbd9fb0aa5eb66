/**
 * Convolutions. The input gradient of Conv is the transposed convolution of dY with the same weights (and the
 * output_padding that restores rows the strided forward pass dropped); that of ConvTranspose is a Conv.
 */
import { attrInts, attrString, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';
import { correlateOverBatch } from './conv-weights.js';
import { extent, forwardWindow, groupOf, spatialSize, type Window } from './window.js';

/** Gradient of a bias added per output channel: sum over batch and spatial axes. */
function biasGradient(ctx: RuleContext, node: NodeProto, dY: string): string | undefined {
  if (!node.input![2] || !ctx.needsGradient(2)) return undefined;
  const rank = ctx.shape(node.output![0]).length;
  return ctx.reduceSum(dY, [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)], false);
}

function kernelOf(node: NodeProto, ctx: RuleContext): number[] {
  return attrInts(node, 'kernel_shape') ?? ctx.shape(node.input![1]).slice(2);
}

/** dW of a Conv: x correlated with dY over the batch (conv-weights.ts). */
function convWeightGradient(ctx: RuleContext, node: NodeProto, x: string, dY: string, win: Window): string {
  const rank = ctx.shape(x).length;
  const channels: [number, number] = [ctx.shape(x)[1], ctx.shape(node.output![0])[1]];
  return correlateOverBatch(ctx, x, dY, rank, { ...win, group: groupOf(node) }, channels);
}

const conv: Rule = (node, ctx, [dY]) => {
  const [x, w] = node.input!;
  const win = forwardWindow(node, ctx, x, node.output![0], kernelOf(node, ctx));
  const dW = ctx.needsGradient(1) ? convWeightGradient(ctx, node, x, dY!, win) : undefined;
  const outputPadding = win.inSize.map(
    (size, i) => size - ((win.outSize[i] - 1) * win.strides[i] + extent(win, i) - win.begin[i] - win.end[i]),
  );
  if (outputPadding.some((p, i) => p < 0 || p >= Math.max(win.strides[i], win.dilations[i]))) {
    throw ctx.unsupported(
      `unexpected output size ${win.outSize.join('x')} for input ${win.inSize.join('x')}`,
    );
  }
  if (!ctx.needsGradient(0)) return [undefined, dW, biasGradient(ctx, node, dY!)];
  // Which adjoint ORT runs faster, measured: ConvTranspose's col2im grows with the input channel count and
  // is several times slower than a blocked-layout Conv from ~12 channels on; below that (RGB or gray inputs,
  // thin layers) the Conv wastes most of its 16-channel blocks and ConvTranspose wins.
  const dX =
    (ctx.shape(x)[1] >= 12 ? flippedAdjoint(ctx, dY!, w, win, groupOf(node)) : undefined) ??
    ctx.op(
      'ConvTranspose',
      [dY!, w],
      {
        group: groupOf(node),
        kernel_shape: win.kernel,
        strides: win.strides,
        dilations: win.dilations,
        pads: [...win.begin, ...win.end],
        output_padding: outputPadding,
      },
      'conv_grad',
    );
  return [dX, dW, biasGradient(ctx, node, dY!)];
};

/**
 * The adjoint of a stride-1 Conv as a Conv with the flipped kernel: dX[i] = Σ_j dY[i + begin − j·d]·w[j],
 * pads chosen so the output is exactly the input size. Undefined (use ConvTranspose) for strided convs — a
 * zero-upsampled dY costs more than ConvTranspose saves, measured —, pads wider than the kernel, or weights
 * that are computed rather than constant.
 */
function flippedAdjoint(
  ctx: RuleContext,
  dY: string,
  w: string,
  win: Window,
  group: number,
): string | undefined {
  const begin = win.kernel.map((_, i) => extent(win, i) - 1 - win.begin[i]);
  const end = win.kernel.map((_, i) => extent(win, i) - 1 - win.end[i]);
  if (win.strides.some((s) => s !== 1) || [...begin, ...end].some((p) => p < 0)) return undefined;
  const flipped = flippedWeights(ctx, w, group);
  if (!flipped) return undefined;
  return ctx.op(
    'Conv',
    [dY, flipped],
    { group, kernel_shape: win.kernel, dilations: win.dilations, pads: [...begin, ...end] },
    'conv_grad',
  );
}

/**
 * Weights [M, C/g, k…] of a constant Conv kernel rearranged as the kernel of its adjoint: [C, M/g, k…],
 * channels swapped within each group and every spatial axis reversed. Undefined when the weights are computed.
 */
function flippedWeights(ctx: RuleContext, w: string, group: number): string | undefined {
  const weights = ctx.constantFloats(w);
  if (!weights) return undefined;
  const [outChannels, groupIn, ...kernel] = weights.dims;
  const groupOut = outChannels / group;
  const area = kernel.reduce((a, b) => a * b, 1);
  const flipped = new Float32Array(weights.data.length);
  for (let g = 0; g < group; g++) {
    for (let m = 0; m < groupOut; m++) {
      for (let c = 0; c < groupIn; c++) {
        const from = ((g * groupOut + m) * groupIn + c) * area;
        const to = ((g * groupIn + c) * groupOut + m) * area;
        // Reversing the flattened kernel reverses every spatial axis at once.
        for (let k = 0; k < area; k++) flipped[to + area - 1 - k] = weights.data[from + k];
      }
    }
  }
  return ctx.constFloat(flipped, [group * groupIn, groupOut, ...kernel]);
}

/**
 * The begin crop ONNX Runtime applied to a ConvTranspose output, from the probed sizes: explicit pads as
 * given; with auto_pad SAME_* or an output_shape, the total crop split as ORT splits it (measured: the odd
 * unit goes to the tail for SAME_UPPER and to the head otherwise; an output larger than the full size is
 * extended at the tail).
 */
function transposeCrops(
  node: NodeProto,
  ctx: RuleContext,
  inSize: number[],
  outSize: number[],
  kernel: number[],
) {
  const n = kernel.length;
  const strides = attrInts(node, 'strides') ?? new Array<number>(n).fill(1);
  const dilations = attrInts(node, 'dilations') ?? new Array<number>(n).fill(1);
  const outputPadding = attrInts(node, 'output_padding') ?? new Array<number>(n).fill(0);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const pads = attrInts(node, 'pads');
  if (autoPad === 'NOTSET' && !attrInts(node, 'output_shape')) {
    return { strides, dilations, begin: pads?.slice(0, n) ?? new Array<number>(n).fill(0) };
  }
  const begin = kernel.map((k, i) => {
    const total = strides[i] * (inSize[i] - 1) + outputPadding[i] + (k - 1) * dilations[i] + 1 - outSize[i];
    // An output_shape past the full size (by less than a stride, all ORT accepts) adds rows at the end
    // that no input reaches, as output_padding does, whatever auto_pad says (measured).
    if (total < 0) return 0;
    return autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
  });
  return { strides, dilations, begin };
}

const convTranspose: Rule = (node, ctx, [dY]) => {
  const [x, w] = node.input!;
  const y = node.output![0];
  const kernel = kernelOf(node, ctx);
  const inSize = spatialSize(ctx, x);
  const outSize = spatialSize(ctx, y);
  const { strides, dilations, begin } = transposeCrops(node, ctx, inSize, outSize, kernel);
  // The adjoint Conv slides over dY with the forward crops as pads. Rows that output_padding appended beyond
  // the last window depend on no input: a negative end pad would drop them, and a zero one never reads them.
  const end = kernel.map(
    (k, i) => (inSize[i] - 1) * strides[i] + (k - 1) * dilations[i] + 1 - outSize[i] - begin[i],
  );
  const dX = ctx.needsGradient(0)
    ? ctx.op(
        'Conv',
        [dY!, w],
        {
          group: groupOf(node),
          kernel_shape: kernel,
          strides,
          dilations,
          pads: [...begin, ...end.map((e) => Math.max(e, 0))],
        },
        'conv_transpose_grad',
      )
    : undefined;
  // dW[c, m, k] = Σ_n Σ_i x[n, c, i]·dY[n, m, i·s + k·d − begin]: dY padded by the begin crop, and at the end
  // as far as the kernel's last position reaches.
  const reach = kernel.map((k, i) => (inSize[i] - 1) * strides[i] + (k - 1) * dilations[i] + 1);
  const dW = ctx.needsGradient(1)
    ? correlateOverBatch(
        ctx,
        dY!,
        x,
        kernel.length + 2,
        {
          kernel,
          strides,
          dilations,
          begin,
          end: reach.map((r, i) => Math.max(0, r - outSize[i] - begin[i])),
          group: groupOf(node),
        },
        [ctx.shape(y)[1], ctx.shape(x)[1]],
      )
    : undefined;
  return [dX, dW, biasGradient(ctx, node, dY!)];
};

export const convRules = { Conv: conv, ConvTranspose: convTranspose };
