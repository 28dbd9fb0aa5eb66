/**
 * ReLU relatives: LeakyRelu, PRelu, Elu, Selu and Clip (ReLU6 included). Each is piecewise: the gradient is dY
 * times the slope of the branch the forward input fell in. Branch masks read the forward *output* where it
 * identifies the branch, so that ONNX Runtime can still fuse the producer with the activation.
 */
import { attrFloat, DataType, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

function below(ctx: RuleContext, t: string, bound: string | number): string {
  return ctx.op('Less', [t, typeof bound === 'number' ? ctx.constFloat(bound) : bound], {}, 'below');
}

function above(ctx: RuleContext, t: string, bound: string | number): string {
  return ctx.op('Greater', [t, typeof bound === 'number' ? ctx.constFloat(bound) : bound], {}, 'above');
}

/** y = x for x >= 0, alpha·x below; with alpha > 0 the output has the input's sign. */
const leakyRelu: Rule = (node, ctx, [dY]) => {
  const alpha = attrFloat(node, 'alpha', 0.01);
  const branchOf = alpha > 0 ? node.output![0] : node.input![0];
  const scaled = ctx.op('Mul', [dY!, ctx.constFloat(alpha)]);
  return [ctx.op('Where', [below(ctx, branchOf, 0), scaled, dY!], {}, 'leaky_relu_grad')];
};

/** y = x for x >= 0, slope·x below, slope broadcast to x. dSlope = Σ dY·x over the negative part. */
const prelu: Rule = (node, ctx, [dY]) => {
  const [x, slope] = node.input!;
  // The slope may be negative per channel, so the branch is read from the input.
  const negative = below(ctx, x, 0);
  const dX = ctx.needsGradient(0)
    ? ctx.op('Where', [negative, ctx.op('Mul', [dY!, slope]), dY!], {}, 'prelu_grad')
    : undefined;
  let dSlope: string | undefined;
  if (ctx.needsGradient(1)) {
    const perElement = ctx.op('Where', [negative, ctx.op('Mul', [dY!, x]), ctx.constFloat(0)]);
    dSlope = ctx.reduceToShape(perElement, ctx.shape(node.output![0]), slope);
  }
  return [dX, dSlope];
};

/** y = x for x >= 0, alpha·(eˣ − 1) below, where the slope alpha·eˣ = y + alpha. */
const elu: Rule = (node, ctx, [dY]) => {
  const alpha = attrFloat(node, 'alpha', 1);
  const y = node.output![0];
  const branchOf = alpha > 0 ? y : node.input![0];
  const slope = ctx.op('Add', [y, ctx.constFloat(alpha)]);
  return [ctx.op('Where', [below(ctx, branchOf, 0), ctx.op('Mul', [dY!, slope]), dY!], {}, 'elu_grad')];
};

const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

/** y = gamma·x for x > 0, gamma·alpha·(eˣ − 1) otherwise, where the slope gamma·alpha·eˣ = y + gamma·alpha. */
const selu: Rule = (node, ctx, [dY]) => {
  const alpha = attrFloat(node, 'alpha', SELU_ALPHA);
  const gamma = attrFloat(node, 'gamma', SELU_GAMMA);
  const y = node.output![0];
  const branchOf = alpha > 0 && gamma > 0 ? y : node.input![0];
  const positive = ctx.op('Mul', [dY!, ctx.constFloat(gamma)]);
  const negative = ctx.op('Mul', [dY!, ctx.op('Add', [y, ctx.constFloat(gamma * alpha)])]);
  return [ctx.op('Where', [above(ctx, branchOf, 0), positive, negative], {}, 'selu_grad')];
};

/**
 * Clip's bounds as tensor names: inputs 1 and 2 from opset 11 (either may be absent), attributes `min`/`max`
 * before (absent means unbounded).
 */
export function clipBounds(node: NodeProto, ctx: RuleContext): { min?: string; max?: string } {
  const [, min, max] = node.input ?? [];
  if (min || max || ctx.opset >= 11) return { min: min || undefined, max: max || undefined };
  const bound = (name: string): string | undefined => {
    const has = (node.attribute ?? []).some((a) => a.name === name);
    return has ? ctx.constFloat(attrFloat(node, name, 0)) : undefined;
  };
  return { min: bound('min'), max: bound('max') };
}

/**
 * y = min(max(x, min), max). dY passes where min < y < max (strictly: like Relu, nothing at the kinks, as
 * PyTorch's relu6/hardtanh do); a bound on the gradient path gets the dY of the elements clipped to it.
 */
const clip: Rule = (node, ctx, [dY]) => {
  const x = node.input![0];
  const y = node.output![0];
  const { min, max } = clipBounds(node, ctx);
  let dX: string | undefined;
  if (ctx.needsGradient(0)) {
    const masks = [min && above(ctx, y, min), max && below(ctx, y, max)].filter((m): m is string => !!m);
    const inside = masks.length === 2 ? ctx.op('And', masks, {}, 'inside') : masks[0];
    // dY · Cast(mask), not Where with a scalar branch: the Mul form is the one ORT runs fast (see Relu).
    dX = inside
      ? ctx.op('Mul', [dY!, ctx.op('Cast', [inside], { to: DataType.FLOAT }, 'clip_mask')], {}, 'clip_grad')
      : dY;
  }
  const yShape = ctx.shape(y);
  const boundGradient = (bound: string, clipped: string): string =>
    ctx.reduceToShape(ctx.op('Where', [clipped, dY!, ctx.constFloat(0)]), yShape, bound);
  const dMin = min && ctx.needsGradient(1) ? boundGradient(min, below(ctx, x, min)) : undefined;
  const dMax = max && ctx.needsGradient(2) ? boundGradient(max, above(ctx, x, max)) : undefined;
  return [dX, dMin, dMax];
};

export const rectifierRules = {
  LeakyRelu: leakyRelu,
  PRelu: prelu,
  Elu: elu,
  Selu: selu,
  Clip: clip,
};
