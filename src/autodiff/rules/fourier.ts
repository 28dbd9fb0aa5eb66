/**
 * DFT. Along its axis the op is y = F·x' with x' the signal zero-padded or cut to dft_length L, F the L×L
 * DFT matrix (inverse: conj(F)/L), and with onesided only the first ⌊L/2⌋ + 1 rows of F kept. As a real-linear
 * map on (real, imaginary) pairs its transpose is multiplication by Fᴴ = conj(F) (F is symmetric), i.e. the
 * opposite transform: dx' = L·IDFT(dy) for the forward DFT and DFT(dy)/L for the inverse one, with the rows
 * onesided dropped put back as zeros; then dx' is cut or zero-padded back to the signal's length, and a real
 * signal (last dim 1) keeps the real part.
 */
import { DataType, attrInt, makeAttr, makeNode, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';
import { padWithZeros } from './pad.js';
import { iotaLike, scatterAdd } from './selection.js';

/** The transform axis (DFT-17..19: attribute, default 1; DFT-20: third input, default −2), non-negative. */
function axisOf(node: NodeProto, ctx: RuleContext, rank: number): number {
  let axis: number;
  if (ctx.opset >= 20) {
    const input = node.input![2];
    const value = input ? ctx.constantValue(input) : [-2];
    if (!value) throw ctx.unsupported('DFT axis computed at run time');
    axis = value[0];
  } else axis = attrInt(node, 'axis', 1);
  return axis < 0 ? axis + rank : axis;
}

const dft: Rule = (node, ctx, [dY]) => {
  if (node.input![1] && ctx.needsGradient(1)) throw ctx.unsupported('gradient with respect to dft_length');
  const x = node.input![0];
  const xDims = ctx.shape(x);
  const yDims = ctx.shape(node.output![0]);
  const rank = xDims.length;
  const axis = axisOf(node, ctx, rank);
  const n = xDims[axis];
  const inverse = attrInt(node, 'inverse', 0) !== 0;
  const onesided = attrInt(node, 'onesided', 0) !== 0;
  if (n < 0 || yDims[axis] < 0) throw ctx.unsupported('a DFT axis whose size varies with the batch size');
  let length = n;
  if (node.input![1]) {
    const given = ctx.constantValue(node.input![1]);
    if (!given) throw ctx.unsupported('dft_length computed at run time');
    length = given[0];
  }
  const kept = onesided ? Math.floor(length / 2) + 1 : length;
  if (yDims[axis] !== kept) {
    throw ctx.unsupported(`a DFT output of ${yDims[axis]} along axis ${axis}, expected ${kept}`);
  }
  const padAlong = (t: string, before: number, after: number): string => {
    const pads = new Array<number>(2 * rank).fill(0);
    pads[axis] = before;
    pads[rank + axis] = after;
    return padWithZeros(ctx, t, pads);
  };
  // The rows onesided dropped, as zeros.
  const full = padAlong(dY!, 0, length - kept);
  const transform = makeNode('DFT', ctx.opset >= 20 ? [full, '', ctx.constInt64([axis], [])] : [full], [
    ctx.fresh('dft_grad'),
  ]);
  // The same attributes (axis before opset 20), the other direction, every row.
  const dropped = new Set(['onesided', 'inverse', ...(ctx.opset >= 20 ? ['axis'] : [])]);
  transform.attribute = [
    ...(node.attribute ?? []).filter((a) => !dropped.has(a.name ?? '')),
    makeAttr('inverse', inverse ? 0 : 1),
  ];
  ctx.emit(transform);
  const scaled = ctx.op('Mul', [transform.output![0], ctx.constFloat(inverse ? 1 / length : length)]);
  // Back to the signal's length: cut what zero-padding added, pad what truncation removed.
  const back = padAlong(scaled, 0, n - length);
  if (xDims[rank - 1] === 2) return [back];
  const real = ctx.op('Slice', [back, ctx.constInt64([0]), ctx.constInt64([1]), ctx.constInt64([rank - 1])]);
  return [real];
};

/**
 * STFT: frame f of the signal is x[f·step + k] (k < L), times the window, then a forward DFT of length L
 * (onesided by default). With g = the DFT's transpose applied to dY per frame (as for DFT above), the signal
 * gets g·window added back at each frame's positions (overlapping frames add up), and the window gets
 * Σ over batch, frames and (real, imaginary) of g·frame.
 */
const stft: Rule = (node, ctx, [dY]) => {
  const [signal, step, window, frameLengthInput] = node.input!;
  if ((step && ctx.needsGradient(1)) || (frameLengthInput && ctx.needsGradient(3))) {
    throw ctx.unsupported('gradient with respect to frame_step or frame_length');
  }
  const sDims = ctx.shape(signal);
  const yDims = ctx.shape(node.output![0]);
  const parts = sDims[2];
  // Measured: ONNX Runtime's STFT of a complex signal returns values of order 1e28 (not a transform of it).
  if (parts !== 1) throw ctx.unsupported('STFT of a complex signal: the runtime does not compute it');
  const [frames, bins] = yDims.slice(1, 3);
  if (frames < 0 || bins < 0)
    throw ctx.unsupported('STFT with a frame count that varies with the batch size');
  // Frame step and length as int64 scalars (the length: the window's, else the frame_length input).
  const scalar = (t: string): string =>
    ctx.op('Reshape', [ctx.op('Cast', [t], { to: DataType.INT64 }), ctx.constInt64([], [0])]);
  const stepValue = scalar(step);
  let length: string;
  if (window && ctx.shape(window)[0] >= 0) length = ctx.constInt64([ctx.shape(window)[0]], []);
  else if (frameLengthInput) length = scalar(frameLengthInput);
  else throw ctx.unsupported('STFT without a window or a frame_length');
  const onesided = attrInt(node, 'onesided', 1) !== 0;
  // g [B, frames, L, 2]: the forward DFT's transpose, L·IDFT, over the bins padded back to L.
  let full = dY!;
  if (onesided) {
    const rows = ctx.op('Sub', [length, ctx.constInt64([bins], [])]);
    const pads = ctx.op(
      'Concat',
      [ctx.constInt64([0, 0, 0, 0, 0, 0]), ctx.unsqueeze(rows, [0]), ctx.constInt64([0])],
      {
        axis: 0,
      },
    );
    full = ctx.op('Pad', [dY!, pads]);
  }
  const inverse = makeNode('DFT', ctx.opset >= 20 ? [full, '', ctx.constInt64([2], [])] : [full], [
    ctx.fresh('stft_grad'),
  ]);
  inverse.attribute = [makeAttr('inverse', 1), ...(ctx.opset >= 20 ? [] : [makeAttr('axis', 2)])];
  ctx.emit(inverse);
  let g = ctx.op('Mul', [inverse.output![0], ctx.op('Cast', [length], { to: DataType.FLOAT })]);
  g = ctx.op('Slice', [g, ctx.constInt64([0]), ctx.constInt64([1]), ctx.constInt64([3])]);
  // Positions f·step + k of every frame element: [frames, L].
  const range = (end: string): string =>
    ctx.op('Range', [ctx.constInt64([0], []), end, ctx.constInt64([1], [])]);
  const starts = ctx.op('Mul', [ctx.unsqueeze(range(ctx.constInt64([frames], [])), [1]), stepValue]);
  const positions = ctx.op('Add', [starts, ctx.unsqueeze(range(length), [0])]);
  const result: (string | undefined)[] = node.input!.map(() => undefined);
  if (ctx.needsGradient(0)) {
    const weighted = window
      ? ctx.op('Mul', [g, ctx.op('Reshape', [window, ctx.constInt64([1, 1, -1, 1])])])
      : g;
    const flatPositions = ctx.op('Gather', [iotaLike(ctx, signal), positions], { axis: 1 });
    result[0] = scatterAdd(ctx, signal, weighted, flatPositions, false);
  }
  if (window && ctx.needsGradient(2)) {
    const framed = ctx.op('Gather', [signal, positions], { axis: 1 });
    result[2] = ctx.reduceSum(ctx.op('Mul', [g, framed]), [0, 1, 3], false);
  }
  return result;
};

export const fourierRules = { DFT: dft, STFT: stft };
