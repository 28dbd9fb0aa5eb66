/** Ops that only relabel or copy their input: the gradient is reshaped (or cast) back to the input. */
import { DataType, attrFloat, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

const reshapeBack: Rule = (node, ctx, [dY]) => [ctx.reshapeLike(dY!, node.input![0])];

const passThrough: Rule = (_node, _ctx, [dY]) => [dY];

/** Float→float casts only: integer outputs never carry a gradient, so the builder never asks. */
const cast: Rule = (node, ctx, [dY]) => {
  const input = node.input![0];
  if (!ctx.isFloat(input)) return [undefined];
  return [ctx.op('Cast', [dY!], { to: ctx.elemType(input) })];
};

/** Whether a Dropout node drops anything: opset 12+ takes `training_mode` as an input (default false). */
function dropoutTrains(node: NodeProto, ctx: RuleContext): boolean {
  if (ctx.opset < 12) return false;
  const mode = node.input![2];
  if (!mode) return false;
  const value = ctx.constantValue(mode);
  return value === undefined || value.some((v) => v !== 0);
}

/**
 * Inference-mode Dropout is the identity. In training mode y = x·mask/(1 − ratio) with a mask drawn by the
 * forward pass: the gradient uses that same mask (the forward node's own Mask output, added when the model
 * omitted it), never a fresh draw.
 */
const dropout: Rule = (node, ctx, [dY]) => {
  if (!dropoutTrains(node, ctx)) return [dY];
  if (node.input![1] && ctx.needsGradient(1))
    throw ctx.unsupported(
      'gradient with respect to the ratio: it sets the law of a random mask, and a draw has no derivative',
    );
  const mask = ctx.op('Cast', [ctx.forwardOutput(1)], { to: DataType.FLOAT });
  const ratioInput = node.input![1];
  let keep: string;
  const constant = ratioInput ? ctx.constantValue(ratioInput) : [attrFloat(node, 'ratio', 0.5)];
  if (constant) {
    // ratio 1 drops everything: the output is constant zero and so is its gradient.
    if (constant[0] >= 1) return [ctx.zerosLike(node.input![0])];
    keep = ctx.constFloat(1 / (1 - constant[0]));
  } else {
    const ratio = ctx.op('Cast', [ratioInput], { to: DataType.FLOAT });
    keep = ctx.op('Reciprocal', [ctx.op('Sub', [ctx.constFloat(1), ratio])]);
  }
  return [ctx.op('Mul', [ctx.op('Mul', [dY!, mask]), keep], {}, 'dropout_grad')];
};

export const shapeRules = {
  Flatten: reshapeBack,
  Reshape: reshapeBack,
  Identity: passThrough,
  Dropout: dropout,
  Cast: cast,
};
