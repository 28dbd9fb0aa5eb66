/**
 * Normalizations. Inference-mode BatchNormalization is a per-channel affine map. InstanceNormalization and
 * LayerNormalization standardize over some axes with statistics of the input itself, so their gradient
 * removes the components along the mean and along x̂:
 *   dX = (1/σ)·(g − mean(g) − x̂·mean(g·x̂)),  g = dY·scale,  means over the normalized axes.
 * Gradients for the scale, bias and statistics inputs are not taken (they are weights in every exported
 * model); a graph that computes them from the input gets a typed error.
 */
import { attrFloat, attrInt, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

function rejectParameterGradients(node: NodeProto, ctx: RuleContext, what: string): void {
  for (let i = 1; i < (node.input ?? []).length; i++) {
    if (node.input![i] && ctx.needsGradient(i)) {
      throw ctx.unsupported(`gradient with respect to the ${what} '${node.input![i]}'`);
    }
  }
}

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

/** y = scale·(x − mean)/√(var + ε) + B with the stored statistics: dX = dY·scale/√(var + ε) per channel. */
const batchNormalization: Rule = (node, ctx, [dY, ...statistics]) => {
  if (attrInt(node, 'training_mode', 0) !== 0 || statistics.some((d) => d !== undefined)) {
    throw ctx.unsupported('training-mode BatchNormalization (batch statistics)');
  }
  rejectParameterGradients(node, ctx, 'BatchNormalization parameter');
  const [x, scale, , , variance] = node.input!;
  const epsilon = attrFloat(node, 'epsilon', 1e-5);
  const factor = ctx.op('Div', [scale, ctx.op('Sqrt', [ctx.op('Add', [variance, ctx.constFloat(epsilon)])])]);
  return [ctx.op('Mul', [dY!, perChannel(ctx, factor, ctx.shape(x).length)], {}, 'batch_norm_grad')];
};

/** Statistics per (sample, channel) over the spatial axes; scale and B per channel. */
const instanceNormalization: Rule = (node, ctx, [dY]) => {
  rejectParameterGradients(node, ctx, 'InstanceNormalization parameter');
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
  return [standardizeGradient(ctx, g, normalized, inverseStd, axes)];
};

/**
 * Statistics over axes [axis, rank) ; scale and B broadcast over those axes. The op's own Mean and InvStdDev
 * outputs supply the statistics (they are requested from the forward node when the model omitted them).
 */
const layerNormalization: Rule = (node, ctx, [dY, ...statistics]) => {
  if (statistics.some((d) => d !== undefined)) {
    throw ctx.unsupported('gradient flowing into the LayerNormalization Mean/InvStdDev outputs');
  }
  rejectParameterGradients(node, ctx, 'LayerNormalization parameter');
  const [x, scale] = node.input!;
  const rank = ctx.shape(x).length;
  const raw = attrInt(node, 'axis', -1);
  const axis = raw < 0 ? raw + rank : raw;
  const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
  const mean = ctx.forwardOutput(1);
  const inverseStd = ctx.forwardOutput(2);
  const normalized = ctx.op('Mul', [ctx.op('Sub', [x, mean]), inverseStd]);
  const g = ctx.op('Mul', [dY!, scale]);
  return [standardizeGradient(ctx, g, normalized, inverseStd, axes)];
};

export const normalizationRules = {
  BatchNormalization: batchNormalization,
  InstanceNormalization: instanceNormalization,
  LayerNormalization: layerNormalization,
};
