/**
 * Sliding-window geometry shared by Conv and the pools: kernel, strides, dilations and the explicit begin/end
 * pads ONNX Runtime used (auto_pad resolved from the probed input and output sizes).
 */
import { attrInt, attrInts, attrString, type NodeProto } from '../../onnx/proto.js';
import type { RuleContext } from '../context.js';

export interface Window {
  /** Spatial sizes of the input and output (static: only the batch dim may vary). */
  inSize: number[];
  outSize: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  begin: number[];
  end: number[];
}

/** Spatial dims of a forward tensor; they must not depend on the batch size. */
export function spatialSize(ctx: RuleContext, name: string): number[] {
  const dims = ctx.shape(name).slice(2);
  if (dims.some((d) => d < 0)) throw ctx.unsupported(`spatial size of '${name}' varies with the batch size`);
  return dims;
}

/** Window of a forward convolution or pool from input `x` to output `y` with the given kernel. */
export function forwardWindow(
  node: NodeProto,
  ctx: RuleContext,
  x: string,
  y: string,
  kernel: number[],
): Window {
  const inSize = spatialSize(ctx, x);
  const outSize = spatialSize(ctx, y);
  const n = kernel.length;
  const strides = attrInts(node, 'strides') ?? new Array<number>(n).fill(1);
  const dilations = attrInts(node, 'dilations') ?? new Array<number>(n).fill(1);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  let begin = new Array<number>(n).fill(0);
  let end = new Array<number>(n).fill(0);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    for (let i = 0; i < n; i++) {
      const extent = (kernel[i] - 1) * dilations[i] + 1;
      const total = Math.max(0, (outSize[i] - 1) * strides[i] + extent - inSize[i]);
      const small = Math.floor(total / 2);
      begin[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      end[i] = total - begin[i];
    }
  } else if (autoPad === 'NOTSET') {
    const pads = attrInts(node, 'pads');
    if (pads) {
      begin = pads.slice(0, n);
      end = pads.slice(n, 2 * n);
    }
  } else if (autoPad !== 'VALID') {
    throw ctx.unsupported(`unknown auto_pad '${autoPad}'`);
  }
  return { inSize, outSize, kernel, strides, dilations, begin, end };
}

/** Extent of the dilated kernel along dim i. */
export function extent(w: Window, i: number): number {
  return (w.kernel[i] - 1) * w.dilations[i] + 1;
}

export function groupOf(node: NodeProto): number {
  return attrInt(node, 'group', 1);
}
