/** Trigonometric and hyperbolic functions and their inverses: dX = dY·f'(x), f' written with the ops at hand. */
import type { Rule, RuleContext } from '../context.js';

type Slope = (ctx: RuleContext, x: string, y: string) => string;

const square = (ctx: RuleContext, t: string): string => ctx.op('Mul', [t, t]);
/** 1/√(±1 ± x²) for the inverse functions. */
const inverseRoot = (ctx: RuleContext, t: string): string => ctx.op('Reciprocal', [ctx.op('Sqrt', [t])]);

const slopes: Record<string, Slope> = {
  Sin: (ctx, x) => ctx.op('Cos', [x]),
  Cos: (ctx, x) => ctx.op('Neg', [ctx.op('Sin', [x])]),
  // tan' = 1 + tan²
  Tan: (ctx, _x, y) => ctx.op('Add', [ctx.constFloat(1), square(ctx, y)]),
  Asin: (ctx, x) => inverseRoot(ctx, ctx.op('Sub', [ctx.constFloat(1), square(ctx, x)])),
  Acos: (ctx, x) => ctx.op('Neg', [inverseRoot(ctx, ctx.op('Sub', [ctx.constFloat(1), square(ctx, x)]))]),
  Atan: (ctx, x) => ctx.op('Reciprocal', [ctx.op('Add', [ctx.constFloat(1), square(ctx, x)])]),
  Sinh: (ctx, x) => ctx.op('Cosh', [x]),
  Cosh: (ctx, x) => ctx.op('Sinh', [x]),
  Asinh: (ctx, x) => inverseRoot(ctx, ctx.op('Add', [square(ctx, x), ctx.constFloat(1)])),
  Acosh: (ctx, x) => inverseRoot(ctx, ctx.op('Sub', [square(ctx, x), ctx.constFloat(1)])),
  Atanh: (ctx, x) => ctx.op('Reciprocal', [ctx.op('Sub', [ctx.constFloat(1), square(ctx, x)])]),
};

export const trigonometricRules: Record<string, Rule> = Object.fromEntries(
  Object.entries(slopes).map(([op, slope]): [string, Rule] => [
    op,
    (node, ctx, [dY]) => [
      ctx.op('Mul', [dY!, slope(ctx, node.input![0], node.output![0])], {}, `${op.toLowerCase()}_grad`),
    ],
  ]),
);
