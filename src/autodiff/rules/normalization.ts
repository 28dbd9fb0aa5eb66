/**
 * Normalizations. Inference-mode BatchNormalization is a per-channel affine map. InstanceNormalization and
 * LayerNormalization standardize over some axes with statistics of the input itself, so their gradient
 * removes the components along the mean and along x̂:
 *   dX = (1/σ)·(g − mean(g) − x̂·mean(g·x̂)),  g = dY·scale,  means over the normalized axes.
 * Scale, bias (and BatchNormalization's stored statistics) get gradients too when the graph computes them
 * from a differentiated tensor.
 */
import { attrFloat, attrInt, attrInts } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

/** Per-channel vector [C] shaped to broadcast against an [N, C, ...] tensor of the given rank. */
function perChannel(ctx: RuleContext, v: string, rank: number): string {
  return rank > 2
    ? ctx.unsqueeze(
        v,
        Array.from({ length: rank - 2 }, (_, i) => i + 1),
      )
    : v;
}

/** The standardization gradient given g = dY·scale, x̂ and 1/σ (all broadcastable to x). */
function standardizeGradient(
  ctx: RuleContext,
  g: string,
  normalized: string,
  inverseStd: string,
  axes: number[],
): string {
  const meanG = ctx.reduce('ReduceMean', g, axes, true);
  const meanGX = ctx.reduce('ReduceMean', ctx.op('Mul', [g, normalized]), axes, true);
  const centred = ctx.op('Sub', [ctx.op('Sub', [g, meanG]), ctx.op('Mul', [normalized, meanGX])]);
  return ctx.op('Mul', [centred, inverseStd], {}, 'normalization_grad');
}

/** Σ of an x-shaped term over every axis but the channel axis 1, as a [C] vector. */
function perChannelSum(ctx: RuleContext, t: string, rank: number): string {
  return ctx.reduceSum(t, [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)], false);
}

/**
 * y = scale·(x − mean)/σ + B, σ = √(var + ε), with the stored statistics: dX = dY·scale/σ per channel. The
 * parameters, when the graph computes them from the input, get dScale = Σ dY·(x − mean)/σ, dB = Σ dY,
 * dMean = −Σ dY·scale/σ and dVar = −½ Σ dY·scale·(x − mean)/σ³ (sums over all but the channel axis).
 */
const batchNormalization: Rule = (node, ctx, dOutputs) => {
  if (attrInt(node, 'training_mode', 0) !== 0) return trainingBatchNormalization(node, ctx, dOutputs);
  const [dY, ...statistics] = dOutputs;
  if (statistics.some((d) => d !== undefined)) {
    throw ctx.unsupported('gradient flowing into BatchNormalization running statistics');
  }
  const [x, scale, , mean, variance] = node.input!;
  const rank = ctx.shape(x).length;
  const epsilon = attrFloat(node, 'epsilon', 1e-5);
  const std = ctx.op('Sqrt', [ctx.op('Add', [variance, ctx.constFloat(epsilon)])]);
  const factor = ctx.op('Div', [scale, std]);
  const wide = (v: string): string => perChannel(ctx, v, rank);
  const dX = ctx.needsGradient(0) ? ctx.op('Mul', [dY!, wide(factor)], {}, 'batch_norm_grad') : undefined;
  const centred = (): string => ctx.op('Sub', [x, wide(mean)]);
  const sum = (t: string): string => perChannelSum(ctx, t, rank);
  const dScale = ctx.needsGradient(1)
    ? ctx.op('Div', [sum(ctx.op('Mul', [dY!, centred()])), std])
    : undefined;
  const dBias = ctx.needsGradient(2) ? sum(dY!) : undefined;
  const dMean = ctx.needsGradient(3) ? ctx.op('Neg', [ctx.op('Mul', [sum(dY!), factor])]) : undefined;
  const dVariance = ctx.needsGradient(4)
    ? ctx.op('Mul', [
        sum(ctx.op('Mul', [dY!, centred()])),
        ctx.op('Mul', [ctx.op('Div', [factor, ctx.op('Mul', [std, std])]), ctx.constFloat(-0.5)]),
      ])
    : undefined;
  return [dX, dScale, dBias, dMean, dVariance];
};

/**
 * Training mode: y is standardized with the batch's own statistics (over every axis but the channels), as
 * InstanceNormalization is per sample. The running statistics are m·input + (1 − m)·batch statistic (m the
 * momentum, the batch variance the biased one): ∂/∂x is (1 − m)/n for the mean and (1 − m)·2(x − μ)/n for
 * the variance, ∂/∂input is m.
 */
const trainingBatchNormalization: Rule = (node, ctx, [dY, dRunningMean, dRunningVar]) => {
  const [x, scale] = node.input!;
  const dims = ctx.shape(x);
  const rank = dims.length;
  const axes = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
  const count = axes.reduce((p, a) => p * dims[a], 1);
  if (count < 0) throw ctx.unsupported('batch statistics over a batch size known only at run time');
  const epsilon = attrFloat(node, 'epsilon', 1e-5);
  const momentum = attrFloat(node, 'momentum', 0.9);
  const centred = ctx.op('Sub', [x, ctx.reduce('ReduceMean', x, axes, true)]);
  const variance = ctx.reduce('ReduceMean', ctx.op('Mul', [centred, centred]), axes, true);
  const inverseStd = ctx.op('Reciprocal', [
    ctx.op('Sqrt', [ctx.op('Add', [variance, ctx.constFloat(epsilon)])]),
  ]);
  const normalized = ctx.op('Mul', [centred, inverseStd]);
  const wide = (v: string): string => perChannel(ctx, v, rank);
  let dX: string | undefined;
  if (ctx.needsGradient(0)) {
    const parts: string[] = [];
    if (dY) {
      const g = ctx.op('Mul', [dY, wide(scale)]);
      parts.push(standardizeGradient(ctx, g, normalized, inverseStd, axes));
    }
    if (dRunningMean) {
      const share = ctx.op('Mul', [wide(dRunningMean), ctx.constFloat((1 - momentum) / count)]);
      parts.push(ctx.op('Expand', [share, ctx.shapeTensor(x)]));
    }
    if (dRunningVar) {
      const weight = ctx.op('Mul', [wide(dRunningVar), ctx.constFloat((2 * (1 - momentum)) / count)]);
      parts.push(ctx.op('Mul', [centred, weight]));
    }
    dX = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : ctx.op('Sum', parts);
  }
  const scaled = (d: string | undefined): string | undefined =>
    d ? ctx.op('Mul', [d, ctx.constFloat(momentum)]) : undefined;
  return [
    dX,
    ctx.needsGradient(1) && dY ? perChannelSum(ctx, ctx.op('Mul', [dY, normalized]), rank) : undefined,
    ctx.needsGradient(2) && dY ? perChannelSum(ctx, dY, rank) : undefined,
    ctx.needsGradient(3) ? scaled(dRunningMean) : undefined,
    ctx.needsGradient(4) ? scaled(dRunningVar) : undefined,
  ];
};

/** Statistics per (sample, channel) over the spatial axes; scale and B per channel. */
const instanceNormalization: Rule = (node, ctx, [dY]) => {
  const [x, scale] = node.input!;
  const rank = ctx.shape(x).length;
  const axes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
  const epsilon = attrFloat(node, 'epsilon', 1e-5);
  const centred = ctx.op('Sub', [x, ctx.reduce('ReduceMean', x, axes, true)]);
  const variance = ctx.reduce('ReduceMean', ctx.op('Mul', [centred, centred]), axes, true);
  const inverseStd = ctx.op('Reciprocal', [
    ctx.op('Sqrt', [ctx.op('Add', [variance, ctx.constFloat(epsilon)])]),
  ]);
  const normalized = ctx.op('Mul', [centred, inverseStd]);
  const g = ctx.op('Mul', [dY!, perChannel(ctx, scale, rank)]);
  return [
    ctx.needsGradient(0) ? standardizeGradient(ctx, g, normalized, inverseStd, axes) : undefined,
    ctx.needsGradient(1) ? perChannelSum(ctx, ctx.op('Mul', [dY!, normalized]), rank) : undefined,
    ctx.needsGradient(2) ? perChannelSum(ctx, dY!, rank) : undefined,
  ];
};

/**
 * Statistics over axes [axis, rank); scale and B broadcast over those axes. The op's own Mean and InvStdDev
 * outputs supply the statistics (they are requested from the forward node when the model omitted them), and
 * may carry gradients of their own: ∂mean/∂x = 1/n, ∂r/∂x = −r²·x̂/n for r = InvStdDev (n elements per
 * group).
 */
const layerNormalization: Rule = (node, ctx, [dY, dMean, dInverseStd]) => {
  const [x, scale, bias] = node.input!;
  const dims = ctx.shape(x);
  const rank = dims.length;
  const raw = attrInt(node, 'axis', -1);
  const axis = raw < 0 ? raw + rank : raw;
  const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
  const count = axes.reduce((p, a) => p * dims[a], 1);
  if (count < 0) throw ctx.unsupported('normalizing over an axis that varies with the batch size');
  const mean = ctx.forwardOutput(1);
  const inverseStd = ctx.forwardOutput(2);
  const normalized = ctx.op('Mul', [ctx.op('Sub', [x, mean]), inverseStd]);
  const y = node.output![0];
  let dX: string | undefined;
  if (ctx.needsGradient(0)) {
    const parts: string[] = [];
    if (dY) parts.push(standardizeGradient(ctx, ctx.op('Mul', [dY, scale]), normalized, inverseStd, axes));
    if (dMean) {
      const spread = ctx.op('Mul', [dMean, ctx.constFloat(1 / count)]);
      parts.push(ctx.op('Expand', [spread, ctx.shapeTensor(x)]));
    }
    if (dInverseStd) {
      const r2 = ctx.op('Mul', [inverseStd, inverseStd]);
      const weight = ctx.op('Mul', [ctx.op('Mul', [dInverseStd, r2]), ctx.constFloat(-1 / count)]);
      parts.push(ctx.op('Mul', [weight, normalized]));
    }
    dX = parts.length === 1 ? parts[0] : parts.length === 0 ? undefined : ctx.op('Sum', parts);
  }
  const dScale =
    ctx.needsGradient(1) && dY
      ? ctx.reduceToShape(ctx.op('Mul', [dY, normalized]), ctx.shape(y), scale)
      : undefined;
  const dBias = bias && ctx.needsGradient(2) && dY ? ctx.reduceToShape(dY, ctx.shape(y), bias) : undefined;
  return [dX, dScale, dBias];
};

/** MeanVarianceNormalization: standardization over `axes` (default N, H, W) without scale or bias. */
const meanVarianceNormalization: Rule = (node, ctx, [dY]) => {
  const x = node.input![0];
  const rank = ctx.shape(x).length;
  const axes = (attrInts(node, 'axes') ?? [0, 2, 3]).map((a) => (a < 0 ? a + rank : a));
  const centred = ctx.op('Sub', [x, ctx.reduce('ReduceMean', x, axes, true)]);
  const variance = ctx.reduce('ReduceMean', ctx.op('Mul', [centred, centred]), axes, true);
  // ONNX adds its ε = 1e-9 to σ, not to the variance: negligible against any σ float32 resolves.
  const inverseStd = ctx.op('Reciprocal', [ctx.op('Sqrt', [variance])]);
  const normalized = ctx.op('Mul', [centred, inverseStd]);
  return [standardizeGradient(ctx, dY!, normalized, inverseStd, axes)];
};

/**
 * LRN: y = x·s^(−β), s = bias + (α/size)·Σ_window x² over neighbouring channels (floor((size−1)/2) before,
 * ceil((size−1)/2) after). dX = dY·s^(−β) − (2αβ/size)·x·Σ_window′ (dY·x·s^(−β−1)), the second sum over
 * the mirrored window. Window sums are AveragePools over the channel axis of an [N, 1, C, rest] view,
 * times the window size.
 */
const lrn: Rule = (node, ctx, [dY]) => {
  const x = node.input![0];
  const dims = ctx.shape(x);
  const size = attrInt(node, 'size', 1);
  const alpha = attrFloat(node, 'alpha', 1e-4);
  const beta = attrFloat(node, 'beta', 0.75);
  const bias = attrFloat(node, 'bias', 1);
  const before = Math.floor((size - 1) / 2);
  const after = size - 1 - before;
  const rest = dims.slice(2).reduce((a, b) => a * b, 1);
  if (dims[1] < 0 || rest < 0) throw ctx.unsupported('channel or spatial size varies with the batch size');
  const view = ctx.constInt64([dims[0] < 0 ? -1 : dims[0], 1, dims[1], rest]);
  const windowSum = (t: string, low: number, high: number): string => {
    const pooled = ctx.op('AveragePool', [ctx.op('Reshape', [t, view])], {
      kernel_shape: [size, 1],
      pads: [low, 0, high, 0],
      count_include_pad: 1,
    });
    return ctx.reshapeLike(ctx.op('Mul', [pooled, ctx.constFloat(size)]), x);
  };
  const s = ctx.op('Add', [
    ctx.op('Mul', [windowSum(ctx.op('Mul', [x, x]), before, after), ctx.constFloat(alpha / size)]),
    ctx.constFloat(bias),
  ]);
  const direct = ctx.op('Mul', [dY!, ctx.op('Pow', [s, ctx.constFloat(-beta)])]);
  const inner = ctx.op('Mul', [ctx.op('Mul', [dY!, x]), ctx.op('Pow', [s, ctx.constFloat(-beta - 1)])]);
  const coupled = ctx.op('Mul', [
    ctx.op('Mul', [x, windowSum(inner, after, before)]),
    ctx.constFloat((2 * alpha * beta) / size),
  ]);
  return [ctx.op('Sub', [direct, coupled], {}, 'lrn_grad')];
};

export const normalizationRules = {
  MeanVarianceNormalization: meanVarianceNormalization,
  LRN: lrn,
  BatchNormalization: batchNormalization,
  InstanceNormalization: instanceNormalization,
  LayerNormalization: layerNormalization,
};
