/** Saliency (|∂y/∂x| reduced over channels) and input × gradient as graph ops. */
import type { ChannelReduction } from '../../methods/attribution/common.js';
import { emitChannelReduction, type ExportContext } from '../context.js';

export interface GradientExportOptions {
  channelReduction?: ChannelReduction;
}

export function emitSaliency(ctx: ExportContext, options: GradientExportOptions): string {
  const input = ctx.model.inputName;
  const grad = ctx.vjp(input, input, ctx.seed, 'netlens/vjp/').grads[0];
  return emitChannelReduction(ctx, grad, options.channelReduction ?? 'maxAbs');
}

export function emitInputXGradient(ctx: ExportContext, options: GradientExportOptions): string {
  const input = ctx.model.inputName;
  const grad = ctx.vjp(input, input, ctx.seed, 'netlens/vjp/').grads[0];
  const product = ctx.ops.op('Mul', [grad, input]);
  return emitChannelReduction(ctx, product, options.channelReduction ?? 'sum');
}
