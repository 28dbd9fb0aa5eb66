/** Element-wise arithmetic with numpy broadcasting: each operand's gradient is summed to its own shape. */
import { DataType, type NodeProto } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';
import { gatedProductGradient } from './gated-product.js';

/** Gradient of input `i` from the full-size term `term()`, or undefined when input i needs none. */
function toOperand(node: NodeProto, ctx: RuleContext, i: number, term: () => string): string | undefined {
  if (!ctx.needsGradient(i)) return undefined;
  return ctx.reduceToShape(term(), ctx.shape(node.output![0]), node.input![i]);
}

const add: Rule = (node, ctx, [dY]) => node.input!.map((_, i) => toOperand(node, ctx, i, () => dY!));

const sub: Rule = (node, ctx, [dY]) => [
  toOperand(node, ctx, 0, () => dY!),
  toOperand(node, ctx, 1, () => ctx.op('Neg', [dY!])),
];

const mul: Rule = (node, ctx, [dY]) => {
  const [a, b] = node.input!;
  const gated = gatedProductGradient(node, ctx, dY!);
  if (gated) return gated;
  return [
    toOperand(node, ctx, 0, () => ctx.op('Mul', [dY!, b])),
    toOperand(node, ctx, 1, () => ctx.op('Mul', [dY!, a])),
  ];
};

const div: Rule = (node, ctx, [dY]) => {
  const [, b] = node.input!;
  const y = node.output![0];
  let quotient: string | undefined;
  const q = (): string => (quotient ??= ctx.op('Div', [dY!, b]));
  // d(a/b)/db = -a/b² = -(1/b)·y
  return [
    toOperand(node, ctx, 0, q),
    toOperand(node, ctx, 1, () => ctx.op('Neg', [ctx.op('Mul', [q(), y])])),
  ];
};

const neg: Rule = (_node, ctx, [dY]) => [ctx.op('Neg', [dY!])];

const sqrt: Rule = (node, ctx, [dY]) => [
  ctx.op('Div', [ctx.op('Mul', [dY!, ctx.constFloat(0.5)]), node.output![0]]),
];

const exp: Rule = (node, ctx, [dY]) => [ctx.op('Mul', [dY!, node.output![0]])];

const log: Rule = (node, ctx, [dY]) => [ctx.op('Div', [dY!, node.input![0]])];

const abs: Rule = (node, ctx, [dY]) => [ctx.op('Mul', [dY!, ctx.op('Sign', [node.input![0]])])];

const reciprocal: Rule = (node, ctx, [dY]) => {
  const y = node.output![0];
  return [ctx.op('Neg', [ctx.op('Mul', [dY!, ctx.op('Mul', [y, y])])])];
};

/** d(a^p)/da = p·a^(p-1); d(a^p)/dp = a^p·ln a. */
const pow: Rule = (node, ctx, [dY]) => {
  const [a, p] = node.input!;
  const y = node.output![0];
  const dA = (): string => {
    const values = ctx.constantValue(p);
    if (values && values.length > 0 && values.every((v) => v === values[0])) {
      const exponent = values[0];
      if (exponent === 1) return dY!;
      if (exponent === 2) return ctx.op('Mul', [dY!, ctx.op('Mul', [a, ctx.constFloat(2)])]);
      const slope = ctx.op('Mul', [
        ctx.op('Pow', [a, ctx.constFloat(exponent - 1)]),
        ctx.constFloat(exponent),
      ]);
      return ctx.op('Mul', [dY!, slope]);
    }
    const pf = ctx.isFloat(p) ? p : ctx.op('Cast', [p], { to: DataType.FLOAT });
    const slope = ctx.op('Mul', [ctx.op('Pow', [a, ctx.op('Sub', [pf, ctx.constFloat(1)])]), pf]);
    return ctx.op('Mul', [dY!, slope]);
  };
  // a^p·ln a is 0·(−∞) at a = 0, where the derivative (for p > 0) is 0.
  const dP = (): string => {
    const atZero = ctx.op('Equal', [a, ctx.constFloat(0)]);
    const slope = ctx.op('Where', [atZero, ctx.constFloat(0), ctx.op('Mul', [y, ctx.op('Log', [a])])]);
    return ctx.op('Mul', [dY!, slope]);
  };
  return [toOperand(node, ctx, 0, dA), toOperand(node, ctx, 1, dP)];
};

export const arithmeticRules = {
  Add: add,
  Sum: add,
  Sub: sub,
  Mul: mul,
  Div: div,
  Neg: neg,
  Sqrt: sqrt,
  Exp: exp,
  Log: log,
  Abs: abs,
  Reciprocal: reciprocal,
  Pow: pow,
};
