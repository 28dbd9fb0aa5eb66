/**
 * Piecewise-constant ops: Floor, Ceil, Round, Sign and Hardmax. Their derivative is 0 wherever it exists
 * (everywhere but the jumps, a set of measure zero), so the gradient is zero — as PyTorch defines it.
 */
import type { Rule } from '../context.js';

const zero: Rule = (node, ctx) => [ctx.zerosLike(node.input![0])];

export const piecewiseConstantRules = { Floor: zero, Ceil: zero, Round: zero, Sign: zero, Hardmax: zero };
