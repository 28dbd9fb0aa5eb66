/**
 * Slice and Gather: both pick elements along axes, so their transposes put each gradient element back where
 * it was taken from. Parameters computed at run time are used as data (selection.ts). With constant ones,
 * indices that are distinct (every Slice; most Gathers) are inverted with one Gather from dY padded by a zero
 * slab; a Gather that repeats indices adds up its copies with a MatMul by a constant count matrix.
 */
import { attrInt, attrInts, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';
import { padWithZeros } from './pad.js';
import { routeThroughPicks } from './selection.js';

/**
 * Transpose of taking `indices` (distinct) along `axis` from a dim of `size`: element j of the result is the
 * gradient element k with indices[k] = j, or 0 from an appended zero slab when j was not taken.
 */
function putBack(
  ctx: RuleContext,
  g: string,
  rank: number,
  axis: number,
  indices: number[],
  size: number,
): string {
  const slabPads = new Array<number>(2 * rank).fill(0);
  slabPads[rank + axis] = 1;
  const withZeros = padWithZeros(ctx, g, slabPads);
  const source = new Array<number>(size).fill(indices.length);
  indices.forEach((j, k) => (source[j] = k));
  return ctx.op('Gather', [withZeros, ctx.constInt64(source)], { axis }, 'put_back');
}

/** The elements one Slice axis takes, with ONNX's clamping of starts and ends. */
export function sliceIndices(size: number, start: number, end: number, step: number): number[] {
  const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
  let first = start < 0 ? start + size : start;
  let last = end < 0 ? end + size : end;
  if (step > 0) {
    first = clamp(first, 0, size);
    last = clamp(last, 0, size);
  } else {
    first = clamp(first, 0, size - 1);
    last = clamp(last, -1, size - 1);
  }
  const out: number[] = [];
  for (let i = first; step > 0 ? i < last : i > last; i += step) out.push(i);
  return out;
}

/**
 * Starts, ends, axes and steps: constant inputs (opset 10 on) or attributes (before); undefined when any is
 * computed at run time.
 */
function sliceParameters(node: NodeProto, ctx: RuleContext, rank: number) {
  const [, startsIn, endsIn, axesIn, stepsIn] = node.input!;
  if ([startsIn, endsIn, axesIn, stepsIn].some((name) => name && !ctx.constantValue(name))) return undefined;
  const read = (name: string | undefined): number[] | undefined =>
    name ? ctx.constantValue(name) : undefined;
  const starts = startsIn ? read(startsIn)! : (attrInts(node, 'starts') ?? []);
  const ends = startsIn ? read(endsIn)! : (attrInts(node, 'ends') ?? []);
  const axes = (startsIn ? read(axesIn) : attrInts(node, 'axes')) ?? starts.map((_, i) => i);
  const steps = read(stepsIn) ?? starts.map(() => 1);
  return { starts, ends, axes: axes.map((a) => (a < 0 ? a + rank : a)), steps };
}

/** Parameters computed at run time: the positions a Slice takes are distinct, a Gather's may repeat. */
const sliceAtRunTime = routeThroughPicks(true);
const gatherAtRunTime = routeThroughPicks(false);

const ALL_THE_WAY = 2 ** 31 - 1;

const slice: Rule = (node, ctx, [dY]) => {
  const x = node.input![0];
  const dims = ctx.shape(x);
  const outDims = ctx.shape(node.output![0]);
  const rank = dims.length;
  const parameters = sliceParameters(node, ctx, rank);
  if (!parameters) return sliceAtRunTime(node, ctx, [dY]);
  const { starts, ends, axes, steps } = parameters;
  const pads = new Array<number>(2 * rank).fill(0);
  let g = dY!;
  for (let k = 0; k < axes.length; k++) {
    const axis = axes[k];
    const size = dims[axis];
    if (size < 0) {
      // The batch axis can only be taken whole: its size is unknown when the graph is built.
      if (steps[k] === 1 && starts[k] === 0 && ends[k] >= ALL_THE_WAY) continue;
      throw ctx.unsupported('slicing part of an axis that varies with the batch size');
    }
    const taken = sliceIndices(size, starts[k], ends[k], steps[k]);
    if (outDims[axis] >= 0 && outDims[axis] !== taken.length) {
      throw ctx.unsupported(
        `Slice along axis ${axis} takes ${outDims[axis]} elements, expected ${taken.length}`,
      );
    }
    if (taken.length === 0) return [ctx.zerosLike(x)];
    if (steps[k] === 1) {
      pads[axis] = taken[0];
      pads[rank + axis] = size - taken[taken.length - 1] - 1;
    } else g = putBack(ctx, g, rank, axis, taken, size);
  }
  return [padWithZeros(ctx, g, pads)];
};

const product = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

/**
 * dY is viewed as [outer, K, inner] with K the number of indices; the result is [outer, size, inner], reshaped
 * to the data's shape.
 */
const gather: Rule = (node, ctx, [dY]) => {
  const [x, indicesName] = node.input!;
  const raw = ctx.constantValue(indicesName);
  if (!raw) return gatherAtRunTime(node, ctx, [dY]);
  const dims = ctx.shape(x);
  const rawAxis = attrInt(node, 'axis', 0);
  const axis = rawAxis < 0 ? rawAxis + dims.length : rawAxis;
  const size = dims[axis];
  const outer = dims.slice(0, axis);
  const inner = dims.slice(axis + 1);
  // One batch-dependent dim after the axis is fine when none comes before it (a recurrent state [dirs, N, H]);
  // otherwise the positions are found at run time.
  const freeOuter = outer.some((d) => d < 0);
  const freeInner = inner.filter((d) => d < 0).length;
  if (size < 0 || freeInner > 1 || (freeInner === 1 && freeOuter)) return gatherAtRunTime(node, ctx, [dY]);
  if (raw.length === 0) return [ctx.zerosLike(x), undefined];
  const indices = raw.map((i) => (i < 0 ? i + size : i));
  const viewed = ctx.op('Reshape', [
    dY!,
    ctx.constInt64([freeOuter ? -1 : product(outer), indices.length, freeInner ? -1 : product(inner)]),
  ]);
  let dX: string;
  if (new Set(indices).size === indices.length) dX = putBack(ctx, viewed, 3, 1, indices, size);
  else {
    const counts = new Array<number>(size * indices.length).fill(0);
    indices.forEach((j, k) => (counts[j * indices.length + k] += 1));
    dX = ctx.op('MatMul', [ctx.constFloat(counts, [size, indices.length]), viewed], {}, 'gather_grad');
  }
  return [ctx.reshapeLike(dX, x), undefined];
};

export const indexingRules = { Slice: slice, Gather: gather };
