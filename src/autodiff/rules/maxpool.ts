/**
 * MaxPool and GlobalMaxPool: each output's gradient goes to the input element that was its window's
 * maximum — the first one in row-major window order on ties, as MaxPool's Indices and PyTorch pick it.
 *
 * Finding that element: MaxPool's own Indices output (ONNX Runtime 1.30 computes it at about twice the cost
 * of the plain pool; the window layout + ArgMax this rule used before was measured 1.5–2x slower for the whole
 * VJP of a 3x3/2 or 2x2/2 pool). GlobalMaxPool has no Indices output: its one window per channel is laid out
 * along a last axis by a free reshape and reduced with ArgMax. Routing: MaxUnpool into zeros where windows
 * do not overlap. Where they do, with at most MAX_CLASSES residue classes (output positions mod
 * min(⌈extent/stride⌉, output size) per dim, within which windows are disjoint): one ScatterElements with
 * reduction 'add' from opset 16 on (a build of an opset 13–15 model declares 16 for it, scatter-opset.ts),
 * before that each class unpooled on its own and the results summed. Beyond MAX_CLASSES classes that cost
 * would grow with kernel × stride, and the indices are routed by sorting instead (selection.ts, sums in
 * double), in time proportional to the tensor sizes.
 */
import { DataType, attrInt, attrInts } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';
import { SCATTER_ADD_OPSET } from '../scatter-opset.js';
import { scatterAdd } from './selection.js';
import { extent, forwardWindow, spatialSize, type Window } from './window.js';

const product = (v: readonly number[]): number => v.reduce((a, b) => a * b, 1);

/** Every tuple (p_0, …) with 0 <= p_i < counts[i], in row-major order. */
function residues(counts: readonly number[]): number[][] {
  return counts.reduce<number[][]>(
    (acc, n) => acc.flatMap((t) => Array.from({ length: n }, (_, p) => [...t, p])),
    [[]],
  );
}

/** Most residue classes routed with one MaxUnpool each; more overlapping windows are routed by sorting. */
const MAX_CLASSES = 16;

/**
 * Add dY into zeros shaped like `x` at the flat positions `indices` (over the whole N·C·spatial tensor).
 * Output positions whose index differs by ⌈extent/stride⌉ along a dim (or that are alone along it) have
 * disjoint windows: with few such residue classes, each is unpooled on its own and the results summed;
 * otherwise the cost would grow with kernel × stride classes, and the sorted `scatterAdd` is used.
 */
function routeToArgmax(ctx: RuleContext, x: string, dY: string, indices: string, win: Window): string {
  const phases = win.kernel.map((_, i) =>
    Math.min(win.outSize[i], Math.ceil(extent(win, i) / win.strides[i])),
  );
  if (product(phases) > MAX_CLASSES) return scatterAdd(ctx, x, dY, indices, false);
  const unpool = (grad: string, where: string, outSize: number[]): string =>
    ctx.op('MaxUnpool', [grad, where, ctx.shapeTensor(x)], unpoolAttributes(win, outSize), 'maxpool_grad');
  if (phases.every((p) => p === 1)) return unpool(dY, indices, win.outSize);
  if (ctx.opset >= SCATTER_ADD_OPSET) return summedScatter(ctx, x, dY, indices);
  const axes = ctx.constInt64(phases.map((_, i) => i + 2));
  const ends = ctx.constInt64(phases.map(() => 2 ** 31 - 1));
  const steps = ctx.constInt64(phases);
  const parts = residues(phases).map((start) => {
    const starts = ctx.constInt64(start);
    const take = (t: string): string => ctx.op('Slice', [t, starts, ends, axes, steps]);
    const classSize = win.outSize.map((n, i) => Math.ceil((n - start[i]) / phases[i]));
    return unpool(take(dY), take(indices), classSize);
  });
  return ctx.op('Sum', parts, {}, 'maxpool_grad');
}

/**
 * dY added at the flat `indices` into zeros shaped like `x` by one ScatterElements with reduction 'add'
 * (colliding windows sum in float32, as the residue classes' Sum does). Measured against one MaxUnpool per
 * class and their Sum on ResNet's 3x3/2 pool (64x112x112, CPU time, one thread, with the Indices pool):
 * 5.1–5.7 against 6.4–7.2 ms at batch 1, 45 against 72 ms at batch 8.
 */
function summedScatter(ctx: RuleContext, x: string, dY: string, indices: string): string {
  const flat = (t: string): string => ctx.op('Reshape', [t, ctx.constInt64([-1])]);
  const zeros = ctx.op('ConstantOfShape', [ctx.op('Reshape', [ctx.op('Size', [x]), ctx.constInt64([1])])]);
  const summed = ctx.op('ScatterElements', [zeros, flat(indices), flat(dY)], { axis: 0, reduction: 'add' });
  return ctx.reshapeLike(summed, x);
}

/**
 * MaxUnpool attributes for `outSize` gradients and an output of the input's size. They matter only through the size they imply,
 * (out − 1)·stride + kernel − pads, which must not exceed output_shape, with every pad below the kernel
 * (ORT refuses the node otherwise): the forward kernel and pads may break that (pads at or past the kernel's
 * overhang), so a kernel and equal pads are chosen that imply exactly the input's size.
 */
function unpoolAttributes(win: Window, outSize: number[]) {
  const room = win.inSize.map((size, i) => size - (outSize[i] - 1) * win.strides[i]);
  const pads = room.map((r) => Math.max(0, 1 - r));
  return {
    kernel_shape: room.map((r, i) => r + 2 * pads[i]),
    strides: win.strides,
    pads: [...pads, ...pads],
  };
}

/** [N, C, out…, K]: tiling windows by reshape [N, C, o₁, k₁, o₂, k₂, …] and moving the k axes last. */
function tiledWindows(ctx: RuleContext, x: string, win: Window): string {
  const [batch, channels] = ctx.shape(x);
  const covered = win.kernel.map((k, i) => k * win.outSize[i]);
  let input = x;
  if (covered.some((c, i) => c !== win.inSize[i])) {
    // Floor mode left rows no window reads: drop them so the reshape is exact.
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
  const moved = ctx.op('Transpose', [ctx.op('Reshape', [input, ctx.constInt64(split)])], { perm });
  return ctx.op('Reshape', [
    moved,
    ctx.constInt64([split[0], channels, ...win.outSize, product(win.kernel)]),
  ]);
}

/**
 * Flat input index (over N·C·spatial) of each window's maximum, from windows laid out as [N, C, out…, K]:
 * ArgMax gives the row-major window position a; its input offset Σ p_i·d_i·S_i (digits p of a, S the input
 * strides) is a·w_last + Σ q_i·(w_i − k_{i+1}·w_{i+1}) with q_i = ⌊a / R_i⌋ (R: window strides), w_i = d_i·S_i.
 */
function argmaxIndices(ctx: RuleContext, x: string, win: Window, windows: string): string {
  const rank = win.kernel.length;
  const [batch, channels] = ctx.shape(x);
  // All in int64 (ArgMax's type, MaxUnpool's index type). ⌊a / R⌋ as a sum of comparisons a >= t·R: ORT's
  // integer Div was measured slower than the whole rest of the index arithmetic.
  const position = ctx.op('ArgMax', [windows], { axis: rank + 2, keepdims: 0 });
  const inStride = win.inSize.map((_, i) => product(win.inSize.slice(i + 1)));
  const windowStride = win.kernel.map((_, i) => product(win.kernel.slice(i + 1)));
  const weight = win.kernel.map((_, i) => win.dilations[i] * inStride[i]);
  const scalar = (v: number): string => ctx.constInt64([v], []);
  const windowSize = product(win.kernel);
  let offset = weight[rank - 1] === 1 ? position : ctx.op('Mul', [position, scalar(weight[rank - 1])]);
  for (let i = 0; i < rank - 1; i++) {
    const coefficient = weight[i] - win.kernel[i + 1] * weight[i + 1];
    const steps: string[] = [];
    for (let t = 1; t * windowStride[i] < windowSize; t++) {
      const reached = ctx.op('Greater', [position, scalar(t * windowStride[i] - 1)]);
      steps.push(ctx.op('Cast', [reached], { to: DataType.INT64 }));
    }
    // Add, not Sum: ORT's Sum has no int64 kernel.
    const q = steps.reduce((a, b) => ctx.op('Add', [a, b]));
    offset = ctx.op('Add', [offset, ctx.op('Mul', [q, scalar(coefficient)])]);
  }
  // Flat index of each window's first (possibly padded) element: channel and window position.
  const perChannel = product(win.inSize);
  const outCount = product(win.outSize);
  const base = new Array<number>(channels * outCount);
  for (let o = 0; o < outCount; o++) {
    let rest = o;
    let flat = 0;
    for (let i = rank - 1; i >= 0; i--) {
      flat += ((rest % win.outSize[i]) * win.strides[i] - win.begin[i]) * inStride[i];
      rest = Math.floor(rest / win.outSize[i]);
    }
    for (let c = 0; c < channels; c++) base[c * outCount + o] = c * perChannel + flat;
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
  return ctx.op('Add', [starts, offset], {}, 'maxpool_argmax');
}

/**
 * Indices stored column-major (storage_order=1: the first spatial axis runs fastest within each N·C plane,
 * as ONNX Runtime writes them) renumbered row-major: the plane offset is kept, the in-plane position is
 * split into its coordinates first axis first and put together again last axis fastest.
 */
function rowMajorIndices(ctx: RuleContext, indices: string, size: readonly number[]): string {
  const scalar = (v: number): string => ctx.constInt64([v], []);
  const plane = scalar(product(size));
  let rest = ctx.op('Mod', [indices, plane]);
  let rowMajor = ctx.op('Sub', [indices, rest]);
  size.forEach((s, i) => {
    const coordinate = ctx.op('Mod', [rest, scalar(s)]);
    rest = ctx.op('Div', [rest, scalar(s)]);
    const stride = product(size.slice(i + 1));
    rowMajor = ctx.op('Add', [rowMajor, ctx.op('Mul', [coordinate, scalar(stride)])]);
  });
  return rowMajor;
}

const maxPool: Rule = (node, ctx, [dY]) => {
  const [x] = node.input!;
  const y = node.output![0];
  const win = forwardWindow(node, ctx, x, y, attrInts(node, 'kernel_shape') ?? []);
  const stored = ctx.forwardOutput(1);
  const indices =
    attrInt(node, 'storage_order', 0) === 0 ? stored : rowMajorIndices(ctx, stored, spatialSize(ctx, x));
  return [routeToArgmax(ctx, x, dY!, indices, win)];
};

/** One window covering each channel: a tiling window, whatever its size. */
const globalMaxPool: Rule = (node, ctx, [dY]) => {
  const x = node.input![0];
  const size = spatialSize(ctx, x);
  if (ctx.shape(x)[1] < 0) throw ctx.unsupported('channel count varies with the batch size');
  const ones = size.map(() => 1);
  const zeros = size.map(() => 0);
  const win: Window = {
    inSize: size,
    outSize: ones,
    kernel: size,
    strides: size,
    dilations: ones,
    begin: zeros,
    end: zeros,
  };
  return [routeToArgmax(ctx, x, dY!, argmaxIndices(ctx, x, win, tiledWindows(ctx, x, win)), win)];
};

export const maxPoolRules = { MaxPool: maxPool, GlobalMaxPool: globalMaxPool };
