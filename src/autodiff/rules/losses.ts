/**
 * NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss. With t the target class of each element, m = 0
 * where t is ignore_index (else 1) and w_t the class weight (1 without weights), the per-element loss is
 * −x[t]·w_t·m; 'sum' adds them and 'mean' divides the sum by B = Σ w_t·m. So
 *   ∂loss/∂x[c] = −[c = t]·w_t·m·g,   g = dY (none, sum) or dY/B (mean);
 *   ∂loss/∂w_c = Σ_{t = c} m·(−x[t] − L)·g,   L = the mean loss for 'mean', 0 otherwise.
 * SoftmaxCrossEntropyLoss is that loss on x = LogSoftmax(scores) over axis 1, whose backward pass follows
 * (plus any gradient of its log_prob output).
 */
import { DataType, attrString, getAttr, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

interface Loss {
  /** Log-probabilities [N, C, d…] (the NLL input, or the SCE log_prob output). */
  x: string;
  /** Their shape. */
  dims: number[];
  target: string;
  weight?: string;
  loss: string;
  reduction: string;
  ignoreIndex?: number;
}

/** One-hot of the targets along axis 1 ([N, C, d…], float), the mask m and the coefficient w_t·m ([N, d…]). */
function targetTerms(ctx: RuleContext, l: Loss) {
  const dims = l.dims;
  const classes = dims[1];
  if (classes < 0) throw ctx.unsupported('a class count that varies with the batch size');
  let target = ctx.op('Cast', [l.target], { to: DataType.INT64 });
  let mask: string | undefined;
  if (l.ignoreIndex !== undefined) {
    const ignored = ctx.op('Equal', [target, ctx.constInt64([l.ignoreIndex], [])]);
    mask = ctx.op('Cast', [ctx.op('Not', [ignored])], { to: DataType.FLOAT });
    target = ctx.op('Where', [ignored, ctx.constInt64([0], []), target]);
  }
  const classIds = ctx.constInt64(
    Array.from({ length: classes }, (_, c) => c),
    [1, classes, ...dims.slice(2).map(() => 1)],
  );
  const oneHot = ctx.op('Cast', [ctx.op('Equal', [ctx.unsqueeze(target, [1]), classIds])], {
    to: DataType.FLOAT,
  });
  const weights = l.weight ? ctx.op('Gather', [l.weight, target], { axis: 0 }) : undefined;
  const coefficient = weights && mask ? ctx.op('Mul', [weights, mask]) : (weights ?? mask ?? undefined);
  return { oneHot, mask, coefficient };
}

/** g: dY per element, broadcast from the scalar for 'sum', divided by B for 'mean'. */
function lossScale(
  ctx: RuleContext,
  l: Loss,
  dY: string,
  coefficient: string | undefined,
  oneHot: string,
): string {
  if (l.reduction !== 'mean') return dY;
  // B = Σ w_t·m, or the element count without weights and ignore_index.
  const total = coefficient
    ? ctx.op('ReduceSum', [coefficient], { keepdims: 0 })
    : ctx.op('Cast', [ctx.op('Size', [ctx.reduceSum(oneHot, [1], false)])], { to: DataType.FLOAT });
  return ctx.op('Div', [dY, total]);
}

function nllGradients(
  ctx: RuleContext,
  l: Loss,
  dY: string,
  needX: boolean,
  needWeight: boolean,
): { dX?: string; dWeight?: string } {
  const { oneHot, mask, coefficient } = targetTerms(ctx, l);
  const g = lossScale(ctx, l, dY, coefficient, oneHot);
  let dX: string | undefined;
  if (needX) {
    const perElement = coefficient ? ctx.op('Mul', [coefficient, g]) : g;
    // Unsqueeze a per-element term to [N, 1, d…]; a scalar g broadcasts as it is.
    const wide = ctx.shape(l.loss).length === 0 && !coefficient ? perElement : ctx.unsqueeze(perElement, [1]);
    dX = ctx.op('Neg', [ctx.op('Mul', [oneHot, wide])], {}, 'nll_grad');
  }
  let dWeight: string | undefined;
  if (needWeight && l.weight) {
    const picked = ctx.reduceSum(ctx.op('Mul', [oneHot, l.x]), [1], false);
    let term = ctx.op('Neg', [picked]);
    if (l.reduction === 'mean') term = ctx.op('Sub', [term, l.loss]);
    if (mask) term = ctx.op('Mul', [term, mask]);
    const spread = ctx.op('Mul', [oneHot, ctx.unsqueeze(ctx.op('Mul', [term, g]), [1])]);
    const rank = l.dims.length;
    dWeight = ctx.reduceSum(spread, [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)], false);
  }
  return { dX, dWeight };
}

function lossOf(node: NodeProto, ctx: RuleContext, x: string): Loss {
  const [, target, weight] = node.input!;
  const ignore = getAttr(node, 'ignore_index');
  return {
    x,
    dims: ctx.shape(node.input![0]),
    target,
    weight: weight || undefined,
    loss: node.output![0],
    reduction: attrString(node, 'reduction', 'mean'),
    ignoreIndex: typeof ignore === 'number' ? ignore : undefined,
  };
}

const negativeLogLikelihoodLoss: Rule = (node, ctx, [dY]) => {
  const { dX, dWeight } = nllGradients(
    ctx,
    lossOf(node, ctx, node.input![0]),
    dY!,
    ctx.needsGradient(0),
    ctx.needsGradient(2),
  );
  return [dX, undefined, dWeight];
};

/** dScores = G − softmax·Σ_c G, with G the gradient reaching log_prob (from the loss and the output itself). */
const softmaxCrossEntropyLoss: Rule = (node, ctx, [dY, dLogProb]) => {
  const logProb = ctx.forwardOutput(1);
  const loss = lossOf(node, ctx, logProb);
  const { dX: fromLoss, dWeight } = dY
    ? nllGradients(ctx, loss, dY, ctx.needsGradient(0), ctx.needsGradient(2))
    : { dX: undefined, dWeight: undefined };
  let dScores: string | undefined;
  if (ctx.needsGradient(0)) {
    const parts = [fromLoss, dLogProb].filter((p): p is string => p !== undefined);
    const G = parts.length === 2 ? ctx.op('Add', parts) : parts[0];
    const total = ctx.reduceSum(G, [1], true);
    dScores = ctx.op(
      'Sub',
      [G, ctx.op('Mul', [ctx.op('Exp', [logProb]), total])],
      {},
      'softmax_cross_entropy_grad',
    );
  }
  return [dScores, undefined, dWeight];
};

export const lossRules = {
  NegativeLogLikelihoodLoss: negativeLogLikelihoodLoss,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropyLoss,
};
