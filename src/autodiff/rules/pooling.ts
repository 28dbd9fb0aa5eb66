/**
 * Pools. MaxPool routes each output's gradient to the input element its Indices output names (MaxUnpool or
 * ScatterElements into zeros); AveragePool spreads it evenly over its window with a depthwise ConvTranspose of ones, after
 * dividing by the per-position element count ORT divided by; the global pools broadcast or route.
 */
import { DataType, attrInt, attrInts, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';
import { extent, forwardWindow, spatialSize, type Window } from './window.js';

/**
 * Route dY to the input elements named by MaxPool `indices` (flat positions over the whole N·C·spatial
 * tensor), summing where windows overlap. Without overlap (`phases` all 1) MaxUnpool does exactly this. With
 * overlap, opset 16+ has ScatterElements with reduction='add'; before that, output positions are split into
 * residue classes mod `phases` per spatial dim, within which no two windows share an input element, and each
 * class is unpooled on its own and the results added.
 */
function routeToArgmax(
  ctx: RuleContext,
  x: string,
  y: string,
  dY: string,
  indices: string,
  phases: number[],
  kernel: number[],
  strides: number[],
): string {
  // MaxUnpool checks the output_shape given against the size its attributes imply: declare end pads that
  // bring that size down to at most the input's (ceil_mode windows overhang it).
  const inSize = ctx.shape(x).slice(2);
  const outSize = ctx.shape(y).slice(2);
  const overhang = kernel.map((k, i) => Math.max(0, (outSize[i] - 1) * strides[i] + k - inSize[i]));
  const attrs = { kernel_shape: kernel, strides, pads: [...kernel.map(() => 0), ...overhang] };
  const unpool = (grad: string, where: string): string =>
    ctx.op('MaxUnpool', [grad, where, ctx.shapeTensor(x)], attrs, 'maxpool_grad');
  if (phases.every((p) => p === 1)) return unpool(dY, indices);
  if (ctx.opset >= 16) {
    const flat = ctx.constInt64([-1]);
    const zeros = ctx.op('Reshape', [ctx.zerosLike(x), flat]);
    const flatIndices = ctx.op('Reshape', [indices, flat]);
    const scattered = ctx.op('ScatterElements', [zeros, flatIndices, ctx.op('Reshape', [dY, flat])], {
      axis: 0,
      reduction: 'add',
    });
    return ctx.op('Reshape', [scattered, ctx.reshapeTarget(x)], {}, 'maxpool_grad');
  }
  const axes = ctx.constInt64(phases.map((_, i) => i + 2));
  const ends = ctx.constInt64(phases.map(() => 2 ** 31 - 1));
  const steps = ctx.constInt64(phases);
  const parts = residues(phases).map((start) => {
    const starts = ctx.constInt64(start);
    const take = (t: string): string => ctx.op('Slice', [t, starts, ends, axes, steps]);
    return unpool(take(dY), take(indices));
  });
  return ctx.op('Sum', parts, {}, 'maxpool_grad');
}

/** Every tuple (p_0, …) with 0 <= p_i < counts[i]. */
function residues(counts: number[]): number[][] {
  return counts.reduce<number[][]>(
    (acc, n) => acc.flatMap((t) => Array.from({ length: n }, (_, p) => [...t, p])),
    [[]],
  );
}

/** Windows that tile the input without overlap or padding (2x2 stride 2 and the like). */
function tiles(win: Window, channels: number): boolean {
  return (
    channels > 0 &&
    win.kernel.every(
      (k, i) => k === win.strides[i] && win.dilations[i] === 1 && k * win.outSize[i] <= win.inSize[i],
    ) &&
    [...win.begin, ...win.end].every((p) => p === 0) &&
    win.kernel.reduce((a, b) => a * b, 1) <= 64
  );
}

/**
 * MaxPool's Indices for tiling windows, without ORT's MaxPool-with-Indices kernel (measured ~10x slower than
 * the plain pool): x reshaped to [N, C, o₁, k₁, o₂, k₂, …], window axes moved last and flattened, ArgMax over
 * them (first maximum on ties, the rule MaxPool's Indices and PyTorch follow), then the window position a
 * turned into a flat offset, a + Σ q_i·(S_i − k_{i+1}·S_{i+1}) with q_i = ⌊a / R_i⌋ (S: input strides,
 * R: window strides), plus each window's first element.
 */
function tiledArgmax(ctx: RuleContext, x: string, win: Window): string {
  const rank = win.kernel.length;
  const [batch, channels] = ctx.shape(x);
  const covered = win.kernel.map((k, i) => k * win.outSize[i]);
  let input = x;
  if (covered.some((c, i) => c !== win.inSize[i])) {
    // Floor mode left rows no window reads: drop them so the reshape below is exact.
    const axes = win.kernel.map((_, i) => i + 2);
    input = ctx.op('Slice', [
      x,
      ctx.constInt64(axes.map(() => 0)),
      ctx.constInt64(covered),
      ctx.constInt64(axes),
    ]);
  }
  const split = [batch < 0 ? -1 : batch, channels, ...win.kernel.flatMap((k, i) => [win.outSize[i], k])];
  const perm = [0, 1, ...win.kernel.map((_, i) => 2 + 2 * i), ...win.kernel.map((_, i) => 3 + 2 * i)];
  const windowSize = win.kernel.reduce((a, b) => a * b, 1);
  const grouped = ctx.op('Reshape', [
    ctx.op('Transpose', [ctx.op('Reshape', [input, ctx.constInt64(split)])], { perm }),
    ctx.constInt64([split[0], channels, ...win.outSize, windowSize]),
  ]);
  const position = ctx.op('Cast', [ctx.op('ArgMax', [grouped], { axis: rank + 2, keepdims: 0 })], {
    to: DataType.FLOAT,
  });
  const inStride = win.inSize.map((_, i) => win.inSize.slice(i + 1).reduce((a, b) => a * b, 1));
  const windowStride = win.kernel.map((_, i) => win.kernel.slice(i + 1).reduce((a, b) => a * b, 1));
  let offset = position;
  for (let i = 0; i < rank - 1; i++) {
    const weight = inStride[i] - win.kernel[i + 1] * inStride[i + 1];
    // + 0.5 keeps the quotient at least 0.5/R from an integer, so Floor is exact despite rounding.
    const shifted = ctx.op('Add', [position, ctx.constFloat(0.5)]);
    const q = ctx.op('Floor', [ctx.op('Mul', [shifted, ctx.constFloat(1 / windowStride[i])])]);
    offset = ctx.op('Add', [offset, ctx.op('Mul', [q, ctx.constFloat(weight)])]);
  }
  // Flat index of each window's first element: channel and window position, then the batch offset.
  const perChannel = win.inSize.reduce((a, b) => a * b, 1);
  const outCount = win.outSize.reduce((a, b) => a * b, 1);
  const base = new Array<number>(channels * outCount);
  for (let c = 0; c < channels; c++) {
    for (let o = 0; o < outCount; o++) {
      let rest = o;
      let flat = c * perChannel;
      for (let i = rank - 1; i >= 0; i--) {
        flat += (rest % win.outSize[i]) * win.kernel[i] * inStride[i];
        rest = Math.floor(rest / win.outSize[i]);
      }
      base[c * outCount + o] = flat;
    }
  }
  const unit = new Array<number>(rank + 1).fill(1);
  let samples: string;
  if (batch >= 0) {
    samples = ctx.constInt64(
      Array.from({ length: batch }, (_, n) => n * channels * perChannel),
      [batch, ...unit],
    );
  } else {
    const count = ctx.op('Gather', [ctx.op('Shape', [x]), ctx.constInt64([0], [])], { axis: 0 });
    const range = ctx.op('Range', [ctx.constInt64([0], []), count, ctx.constInt64([1], [])]);
    const scaled = ctx.op('Mul', [range, ctx.constInt64([channels * perChannel], [])]);
    samples = ctx.op('Reshape', [scaled, ctx.constInt64([-1, ...unit])]);
  }
  const starts = ctx.op('Add', [samples, ctx.constInt64(base, [1, channels, ...win.outSize])]);
  return ctx.op('Add', [starts, ctx.op('Cast', [offset], { to: DataType.INT64 })], {}, 'maxpool_argmax');
}

const maxPool: Rule = (node, ctx, [dY]) => {
  if (attrInt(node, 'storage_order', 0) !== 0) {
    throw ctx.unsupported('column-major Indices (storage_order=1)');
  }
  const [x] = node.input!;
  const y = node.output![0];
  const kernel = attrInts(node, 'kernel_shape') ?? [];
  const win = forwardWindow(node, ctx, x, y, kernel);
  const phases = kernel.map((_, i) => Math.ceil(extent(win, i) / win.strides[i]));
  const indices =
    tiles(win, ctx.shape(x)[1]) && kernel.some((k) => k > 1)
      ? tiledArgmax(ctx, x, win)
      : ctx.forwardOutput(1);
  return [routeToArgmax(ctx, x, y, dY!, indices, phases, kernel, win.strides)];
};

const globalMaxPool: Rule = (node, ctx, [dY]) => {
  const x = node.input![0];
  const kernel = spatialSize(ctx, x);
  const [, indices] = ctx.ops('MaxPool', [x], 2, { kernel_shape: kernel }, 'global_argmax');
  const ones = kernel.map(() => 1);
  return [routeToArgmax(ctx, x, node.output![0], dY!, indices, ones, kernel, ones)];
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
