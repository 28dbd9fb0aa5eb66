/**
 * x · g(x) with g = Sigmoid (SiLU / swish, as torchvision's EfficientNet exports it) or HardSigmoid (hard-swish
 * before opset 14, as its MobileNetV3 exports it), differentiated as one function. Taken node by node, the Mul
 * gives dY·g and dY·x, the gate's rule turns the second into dY·x·g′ and an Add sums the two: six full-size
 * passes. Written as dY·(g + x·g′) with the forward values it takes four (SiLU) or five (hard-swish), and the
 * gate gets no backward step. Only when the gate reads the Mul's other operand and feeds nothing else.
 */
import { DataType, attrFloat, type NodeProto } from '../../onnx/proto.js';
import type { RuleContext } from '../context.js';
import { hardSigmoidLinear } from './sigmoids.js';

/** d(x·σ(x))/dx = σ + x·σ·(1 − σ) = σ + y·(1 − σ), with y = x·σ the Mul's own output. */
function siluSlope(ctx: RuleContext, gate: string, y: string): string {
  const rest = ctx.op('Mul', [y, ctx.op('Sub', [ctx.constFloat(1), gate])]);
  return ctx.op('Add', [gate, rest]);
}

/** d(x·h(x))/dx = h + x·α where 0 < h < 1 (h = max(0, min(1, αx + β))), else h. */
function hardSwishSlope(ctx: RuleContext, gateNode: NodeProto, x: string, gate: string): string {
  const alpha = attrFloat(gateNode, 'alpha', 0.2);
  const linear = ctx.op('Cast', [hardSigmoidLinear(ctx, gate)], { to: DataType.FLOAT }, 'hard_swish_mask');
  const scaled = ctx.op('Mul', [ctx.op('Mul', [x, linear]), ctx.constFloat(alpha)]);
  return ctx.op('Add', [gate, scaled]);
}

/**
 * The gradients of a Mul's two inputs when it is x · g(x) as above ([dx, undefined] or [undefined, dx]), else
 * undefined (the Mul's own rule applies).
 */
export function gatedProductGradient(
  node: NodeProto,
  ctx: RuleContext,
  dY: string,
): (string | undefined)[] | undefined {
  const inputs = node.input ?? [];
  if (inputs.length !== 2 || inputs[0] === inputs[1]) return undefined;
  for (const g of [1, 0]) {
    const x = inputs[1 - g];
    const gate = ctx.soleProducer(g);
    if (!gate || gate.input?.[0] !== x || !ctx.needsGradient(1 - g)) continue;
    const gateOut = inputs[g];
    const shape = ctx.shape(node.output![0]);
    // The same shape on both sides: no broadcast to undo.
    if (ctx.shape(x).join() !== shape.join() || ctx.shape(gateOut).join() !== shape.join()) continue;
    let slope: string | undefined;
    if (gate.opType === 'Sigmoid') slope = siluSlope(ctx, gateOut, node.output![0]);
    else if (gate.opType === 'HardSigmoid') slope = hardSwishSlope(ctx, gate, x, gateOut);
    if (!slope) continue;
    const dX = ctx.op('Mul', [dY, slope], {}, gate.opType === 'Sigmoid' ? 'silu_grad' : 'hard_swish_grad');
    return g === 1 ? [dX, undefined] : [undefined, dX];
  }
  return undefined;
}
