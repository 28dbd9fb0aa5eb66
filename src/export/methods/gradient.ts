/**
 * Saliency (|∂y/∂x| reduced over channels), guided backpropagation and deconvnet (the same with their backprop
 * rules) and input × gradient as graph ops.
 */
import type { BackpropRule } from '../../types.js';
import type { ChannelReduction } from '../../methods/attribution/common.js';
import { emitChannelReduction, type ExportContext } from '../context.js';

export interface GradientExportOptions {
  channelReduction?: ChannelReduction;
}

export function emitRuleGradient(
  rule: BackpropRule,
  ctx: ExportContext,
  options: GradientExportOptions,
): string {
  const input = ctx.model.inputName;
  const grad = ctx.vjp(input, input, ctx.seed, 'netlens/vjp/', rule).grads[0];
  return emitChannelReduction(ctx, grad, options.channelReduction ?? 'maxAbs');
}

export function emitInputXGradient(ctx: ExportContext, options: GradientExportOptions): string {
  const input = ctx.model.inputName;
  const grad = ctx.vjp(input, input, ctx.seed, 'netlens/vjp/').grads[0];
  const product = ctx.ops.op('Mul', [grad, input]);
  return emitChannelReduction(ctx, product, options.channelReduction ?? 'sum');
}
