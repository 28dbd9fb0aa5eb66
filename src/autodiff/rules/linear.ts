/** Matrix products: Gemm (transA/transB/alpha/beta) and MatMul (batched, broadcasting, 1-D operands). */
import { attrFloat, attrInt } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

/**
 * Y = alpha·A'·B' + beta·C with A' = transA ? Aᵀ : A, B' likewise. dA' = alpha·dY·B'ᵀ and dB' = alpha·A'ᵀ·dY,
 * each written as one Gemm that reads A or B in its stored layout.
 */
const gemm: Rule = (node, ctx, [dY]) => {
  const [a, b, c] = node.input!;
  const alpha = attrFloat(node, 'alpha', 1);
  const beta = attrFloat(node, 'beta', 1);
  const transA = attrInt(node, 'transA', 0) === 1;
  const transB = attrInt(node, 'transB', 0) === 1;
  const scale = { value: alpha, kind: 'float' as const };
  const g = dY!;
  let dA: string | undefined;
  if (ctx.needsGradient(0)) {
    dA = transA
      ? ctx.op('Gemm', [b, g], { alpha: scale, transA: transB ? 1 : 0, transB: 1 }, 'gemm_grad_a')
      : ctx.op('Gemm', [g, b], { alpha: scale, transA: 0, transB: transB ? 0 : 1 }, 'gemm_grad_a');
  }
  let dB: string | undefined;
  if (ctx.needsGradient(1)) {
    dB = transB
      ? ctx.op('Gemm', [g, a], { alpha: scale, transA: 1, transB: transA ? 1 : 0 }, 'gemm_grad_b')
      : ctx.op('Gemm', [a, g], { alpha: scale, transA: transA ? 0 : 1, transB: 0 }, 'gemm_grad_b');
  }
  let dC: string | undefined;
  if (c && ctx.needsGradient(2)) {
    const scaled = beta === 1 ? g : ctx.op('Mul', [g, ctx.constFloat(beta)]);
    dC = ctx.reduceToShape(scaled, ctx.shape(node.output![0]), c);
  }
  return [dA, dB, dC];
};

/** Swap the last two axes of a tensor of the given rank. */
function transposeLast(ctx: RuleContext, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return ctx.op('Transpose', [x], { perm });
}

/**
 * Y = A·B with numpy semantics. A 1-D operand is promoted to a matrix ([K] → [1, K] for A, [K, 1] for B) and
 * dY gets the matching unit axis; dA = dY·Bᵀ and dB = Aᵀ·dY are summed over broadcast batch axes and the
 * promoted axis is removed again.
 */
const matMul: Rule = (node, ctx, [dY]) => {
  const [a, b] = node.input!;
  let shapeA = ctx.shape(a);
  let shapeB = ctx.shape(b);
  let shapeY = ctx.shape(node.output![0]);
  let matA = a;
  let matB = b;
  let g = dY!;
  const vectorA = shapeA.length === 1;
  const vectorB = shapeB.length === 1;
  if (vectorA) {
    shapeA = [1, shapeA[0]];
    if (ctx.needsGradient(1)) matA = ctx.unsqueeze(a, [0]);
    g = ctx.unsqueeze(g, [vectorB ? 0 : shapeY.length - 1]);
    shapeY = vectorB ? [1] : [...shapeY.slice(0, -1), 1, shapeY[shapeY.length - 1]];
  }
  if (vectorB) {
    shapeB = [shapeB[0], 1];
    if (ctx.needsGradient(0)) matB = ctx.unsqueeze(b, [1]);
    g = ctx.unsqueeze(g, [shapeY.length]);
    shapeY = [...shapeY, 1];
  }
  const batch = shapeY.slice(0, -2);
  let dA: string | undefined;
  if (ctx.needsGradient(0)) {
    const full = ctx.op('MatMul', [g, transposeLast(ctx, matB, shapeB.length)], {}, 'matmul_grad_a');
    dA = ctx.reduceToShape(full, [...batch, shapeA[shapeA.length - 2], shapeA[shapeA.length - 1]], shapeA);
    if (vectorA) dA = ctx.squeeze(dA, [0]);
  }
  let dB: string | undefined;
  if (ctx.needsGradient(1)) {
    const full = ctx.op('MatMul', [transposeLast(ctx, matA, shapeA.length), g], {}, 'matmul_grad_b');
    dB = ctx.reduceToShape(full, [...batch, shapeB[shapeB.length - 2], shapeB[shapeB.length - 1]], shapeB);
    if (vectorB) dB = ctx.squeeze(dB, [1]);
  }
  return [dA, dB];
};

export const linearRules = { Gemm: gemm, MatMul: matMul };
