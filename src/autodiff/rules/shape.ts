/** Ops that only relabel or copy their input: the gradient is reshaped (or cast) back to the input. */
import type { Rule } from '../context.js';

const reshapeBack: Rule = (node, ctx, [dY]) => [ctx.reshapeLike(dY!, node.input![0])];

const passThrough: Rule = (_node, _ctx, [dY]) => [dY];

/** Float→float casts only: integer outputs never carry a gradient, so the builder never asks. */
const cast: Rule = (node, ctx, [dY]) => {
  const input = node.input![0];
  if (!ctx.isFloat(input)) return [undefined];
  return [ctx.op('Cast', [dY!], { to: ctx.elemType(input) })];
};

export const shapeRules = {
  Flatten: reshapeBack,
  Reshape: reshapeBack,
  Identity: passThrough,
  // Inference-mode Dropout is the identity; its mask output never carries a gradient.
  Dropout: passThrough,
  Cast: cast,
};
