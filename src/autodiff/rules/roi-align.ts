/**
 * RoiAlign with respect to its feature map X (with respect to the boxes: roi-align-boxes.ts; the batch
 * indices are integers).
 *
 * For fixed boxes every output bin is built from terms w·X[b, c, p] (sample point × bilinear corner), with
 * the same weights w and positions p for every channel. The node's own op, applied to the H·W one-hot images
 * (as channels of one image, every box pointed at it), writes out per box and bin the weight each pixel gets,
 * whatever the sampling ratio, spatial scale and coordinate transformation:
 * - avg: the bin is Σ w·X / count, linear in X, and the op on one-hot images gives that matrix M_r
 *   [bins × H·W]; dX[b] = Σ over the boxes r of image b of dY[r]·M_r.
 * - max (as ONNX Runtime computes it: the largest single term w·X[p]): the derivative is the weight of the
 *   winning term at its pixel. For a pixel k, its largest term is X[k]·max w when X[k] >= 0 and X[k]·min w
 *   otherwise; max w is the op on the one-hot images, min w the op on images that are −1 at k and −L elsewhere
 *   (where a bin holds a zero-weight term, min w reads 0, and such a bin is never negative). The winning pixel
 *   is the first whose term equals the output exactly (the same float product the runtime takes).
 * Both build [boxes × bins × H·W] tensors, so large maps are refused by name.
 */
import type { NodeProto } from '../../onnx/proto.js';
import { attrString, DataType } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';
import { roiAlignBoxGradient } from './roi-align-boxes.js';

/** Largest H·W·bins per box materialized (avg), and H·W·bins·channels per box (max). */
const MAX_MATRIX = 1 << 22;
/** Stands for "minus infinity" in the min-weight probe: any positive weight times it loses to −w at k. */
const LARGE = 1e30;

/** One-hot images as channels: [1, H·W, H, W], scaled by `on` at k and `off` elsewhere. */
function basis(ctx: RuleContext, height: number, width: number, on: number, off: number): string {
  const pixels = height * width;
  return ctx.constFloat(
    Array.from({ length: pixels * pixels }, (_, i) => (i % (pixels + 1) === 0 ? on : off)),
    [1, pixels, height, width],
  );
}

/** The node's op on `image` with every box pointed at image 0: [R, H·W, bins] → [R, bins, H·W]. */
function perPixel(node: NodeProto, ctx: RuleContext, image: string, pixels: number, bins: number): string {
  const [, rois, batchIndices] = node.input!;
  const first = ctx.op('Sub', [batchIndices, batchIndices]);
  const probe = ctx.fresh('roi_align_weights');
  ctx.emit({ ...node, name: probe, input: [image, rois, first], output: [probe] });
  const flat = ctx.op('Reshape', [probe, ctx.constInt64([0, pixels, bins])]);
  return ctx.op('Transpose', [flat], { perm: [0, 2, 1] });
}

/** Per-box gradients [R, C, H·W] added into their images: [N, C, H, W]. */
function toImages(node: NodeProto, ctx: RuleContext, perBox: string, dims: number[]): string {
  const [x, , batchIndices] = node.input!;
  const [, channels, height, width] = dims;
  const n = ctx.op('Gather', [ctx.shapeTensor(x), ctx.constInt64([0], [])], { axis: 0 });
  const images = ctx.op('Range', [ctx.constInt64([0], []), n, ctx.constInt64([1], [])]);
  const owner = ctx.op('Equal', [ctx.unsqueeze(images, [1]), ctx.unsqueeze(batchIndices, [0])]);
  const oneHot = ctx.op('Cast', [owner], { to: DataType.FLOAT });
  const rows = ctx.op('Reshape', [perBox, ctx.constInt64([0, channels * height * width])]);
  const summed = ctx.op('MatMul', [oneHot, rows], {}, 'roi_align_grad');
  return ctx.op('Reshape', [summed, ctx.constInt64([0, channels, height, width])]);
}

const roiAlign: Rule = (node, ctx, [dY]) => {
  if (!dY) return [undefined, undefined, undefined];
  const dBoxes = ctx.needsGradient(1) ? roiAlignBoxGradient(node, ctx, dY) : undefined;
  if (!ctx.needsGradient(0)) return [undefined, dBoxes, undefined];
  const [x] = node.input!;
  const dims = ctx.shape(x);
  const [, channels, height, width] = dims;
  const outDims = ctx.shape(node.output![0]);
  const [outHeight, outWidth] = outDims.slice(2);
  if (dims.length !== 4 || [channels, height, width, outHeight, outWidth].some((d) => d < 0)) {
    throw ctx.unsupported('RoiAlign with channel or spatial sizes that vary with the batch size');
  }
  const pixels = height * width;
  const bins = outHeight * outWidth;
  const mode = attrString(node, 'mode', 'avg');
  const cost = mode === 'max' ? pixels * bins * channels : pixels * bins;
  if (cost > MAX_MATRIX) {
    throw ctx.unsupported(`a ${height}x${width} map pooled to ${outHeight}x${outWidth} bins (too large)`);
  }
  const flatGrad = ctx.op('Reshape', [dY, ctx.constInt64([0, channels, bins])]);
  if (mode === 'avg') {
    const weights = perPixel(node, ctx, basis(ctx, height, width, 1, 0), pixels, bins);
    const perBox = ctx.op('MatMul', [flatGrad, weights], {}, 'roi_align_grad');
    return [toImages(node, ctx, perBox, dims), dBoxes, undefined];
  }
  if (mode !== 'max') throw ctx.unsupported(`mode '${mode}'`);
  // [R, 1, bins, H·W] largest and smallest weight of each pixel in each bin.
  const maxWeight = ctx.unsqueeze(perPixel(node, ctx, basis(ctx, height, width, 1, 0), pixels, bins), [1]);
  const negated = perPixel(node, ctx, basis(ctx, height, width, -1, -LARGE), pixels, bins);
  const minWeight = ctx.unsqueeze(ctx.op('Neg', [negated]), [1]);
  const batchIndices = node.input![2];
  const boxImage = ctx.op('Gather', [x, batchIndices], { axis: 0 });
  const values = ctx.op('Reshape', [boxImage, ctx.constInt64([0, channels, 1, pixels])]);
  const negative = ctx.op('Less', [values, ctx.constFloat(0)]);
  const weight = ctx.op('Where', [negative, minWeight, maxWeight]);
  const terms = ctx.op('Mul', [values, weight]);
  const pooled = ctx.op('Reshape', [node.output![0], ctx.constInt64([0, channels, bins, 1])]);
  const hits = ctx.op('Cast', [ctx.op('Equal', [terms, pooled])], { to: DataType.FLOAT });
  const winner = ctx.op('ArgMax', [hits], { axis: 3, keepdims: 1 });
  const pixelIds = ctx.constInt64(
    Array.from({ length: pixels }, (_, i) => i),
    [1, 1, 1, pixels],
  );
  const chosen = ctx.op('Cast', [ctx.op('Equal', [pixelIds, winner])], { to: DataType.FLOAT });
  // A bin with no exact hit (never, when the runtime's arithmetic is the one modelled) gets no gradient.
  const found = ctx.reduce('ReduceMax', hits, [3], true);
  const routed = ctx.op('Mul', [
    ctx.op('Mul', [chosen, weight]),
    ctx.op('Mul', [found, ctx.unsqueeze(flatGrad, [3])]),
  ]);
  const perBox = ctx.reduceSum(routed, [2], false);
  return [toImages(node, ctx, perBox, dims), dBoxes, undefined];
};

export const roiAlignRules = { RoiAlign: roiAlign };
