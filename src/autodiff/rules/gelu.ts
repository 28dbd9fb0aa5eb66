/**
 * Erf and Gelu. Exporters before opset 20 write Gelu as x·½(1 + erf(x/√2)), which the Erf rule and the
 * arithmetic rules differentiate; from opset 20 Gelu is one op, exact (erf) or with the tanh approximation.
 */
import { attrString } from '../../onnx/proto.js';
import type { Rule, RuleContext } from '../context.js';

/** erf'(x) = 2/√π · e^(−x²) */
const erf: Rule = (node, ctx, [dY]) => {
  const x = node.input![0];
  const gaussian = ctx.op('Exp', [ctx.op('Neg', [ctx.op('Mul', [x, x])])]);
  const slope = ctx.op('Mul', [gaussian, ctx.constFloat(2 / Math.sqrt(Math.PI))]);
  return [ctx.op('Mul', [dY!, slope], {}, 'erf_grad')];
};

/** d/dx x·Φ(x) = Φ(x) + x·φ(x) with Φ the standard normal CDF ½(1 + erf(x/√2)) and φ its density. */
function exactSlope(ctx: RuleContext, x: string): string {
  const cdf = ctx.op('Mul', [
    ctx.op('Add', [ctx.op('Erf', [ctx.op('Mul', [x, ctx.constFloat(Math.SQRT1_2)])]), ctx.constFloat(1)]),
    ctx.constFloat(0.5),
  ]);
  const density = ctx.op('Mul', [
    ctx.op('Exp', [ctx.op('Mul', [ctx.op('Mul', [x, x]), ctx.constFloat(-0.5)])]),
    ctx.constFloat(1 / Math.sqrt(2 * Math.PI)),
  ]);
  return ctx.op('Add', [cdf, ctx.op('Mul', [x, density])]);
}

const TANH_CUBIC = 0.044715;

/**
 * y = ½x(1 + t), t = tanh(k(x + c·x³)), k = √(2/π):
 * y' = ½(1 + t) + ½x(1 − t²)·k(1 + 3c·x²).
 */
function tanhSlope(ctx: RuleContext, x: string): string {
  const k = Math.sqrt(2 / Math.PI);
  const square = ctx.op('Mul', [x, x]);
  const inner = ctx.op('Mul', [
    ctx.op('Add', [x, ctx.op('Mul', [ctx.op('Mul', [square, x]), ctx.constFloat(TANH_CUBIC)])]),
    ctx.constFloat(k),
  ]);
  const t = ctx.op('Tanh', [inner]);
  const half = ctx.constFloat(0.5);
  const outer = ctx.op('Mul', [ctx.op('Add', [t, ctx.constFloat(1)]), half]);
  const innerSlope = ctx.op('Add', [
    ctx.op('Mul', [square, ctx.constFloat(3 * TANH_CUBIC * k)]),
    ctx.constFloat(k),
  ]);
  const sech2 = ctx.op('Sub', [ctx.constFloat(1), ctx.op('Mul', [t, t])]);
  const second = ctx.op('Mul', [ctx.op('Mul', [ctx.op('Mul', [x, half]), sech2]), innerSlope]);
  return ctx.op('Add', [outer, second]);
}

const gelu: Rule = (node, ctx, [dY]) => {
  const x = node.input![0];
  const approximate = attrString(node, 'approximate', 'none');
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw ctx.unsupported(`Gelu approximation '${approximate}'`);
  }
  const slope = approximate === 'tanh' ? tanhSlope(ctx, x) : exactSlope(ctx, x);
  return [ctx.op('Mul', [dY!, slope], {}, 'gelu_grad')];
};

export const geluRules = { Erf: erf, Gelu: gelu };
