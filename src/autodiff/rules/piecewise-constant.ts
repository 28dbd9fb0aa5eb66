/**
 * Piecewise-constant ops: Floor, Ceil, Round, Sign and Hardmax. Their derivative is 0 wherever it exists
 * (everywhere but the jumps, a set of measure zero), so the gradient is zero — as PyTorch defines it.
 * MelWeightMatrix too: its triangles are drawn between FFT bins, the edge frequencies rounded down to whole
 * bins (⌊(dft_length + 1)·hz / sample_rate⌋) before any weight is computed, so the lower and upper edge
 * hertz only move the output at those jumps.
 */
import type { Rule } from '../context.js';

const zero: Rule = (node, ctx) => [ctx.zerosLike(node.input![0])];

/** Zeros for every float input that needs a gradient (MelWeightMatrix: the two edge frequencies). */
const zeroForEach: Rule = (node, ctx) =>
  (node.input ?? []).map((name, i) => (name && ctx.needsGradient(i) ? ctx.zerosLike(name) : undefined));

export const piecewiseConstantRules = {
  Floor: zero,
  Ceil: zero,
  Round: zero,
  Sign: zero,
  Hardmax: zero,
  MelWeightMatrix: zeroForEach,
};
