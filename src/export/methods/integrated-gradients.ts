/**
 * Integrated gradients with a fixed quadrature as graph ops: the path points x' + α_k (x − x') form one
 * batch of N·m items through the VJP, the gradients are summed with the rule's weights and multiplied by
 * x − x'. The baseline is a constant image (black or white in pixel terms, normalised as the model wants).
 */
import { OptionError } from '../../errors.js';
import { makeBaseline } from '../../methods/attribution/baselines.js';
import { imageGeometry } from '../../methods/image-layout.js';
import type { ChannelReduction } from '../../methods/attribution/common.js';
import { quadrature, type IntegrationMethod } from '../../methods/attribution/quadrature.js';
import { emitChannelReduction, type ExportContext } from '../context.js';

export interface IntegratedGradientsExportOptions {
  baseline?: 'black' | 'white';
  numSteps?: number;
  method?: IntegrationMethod;
  channelReduction?: ChannelReduction;
}

export function emitIntegratedGradients(
  ctx: ExportContext,
  options: IntegratedGradientsExportOptions,
): string {
  const kind = options.baseline ?? 'black';
  if (kind !== 'black' && kind !== 'white') {
    throw new OptionError(
      'INVALID_OPTION',
      `an exported graph takes baseline black or white, got '${String(kind)}'`,
    );
  }
  const { points, weights } = quadrature(options.method ?? 'gaussLegendre', options.numSteps ?? 50);
  const m = points.length;
  const { ops, channels: C, height: H, width: W } = ctx;
  const item = ctx.layout === 'NCHW' ? [C, H, W] : [H, W, C];
  // The library's own baseline for one image, as a constant.
  const one = { data: new Float32Array(C * H * W), dims: [1, ...item] };
  const geometry = imageGeometry(one, ctx.model.inputSpec, ctx.layout);
  const values = makeBaseline(kind, one, geometry, ctx.model.inputSpec).data;
  const baseline = ops.floats([1, 1, ...item], values, 'baseline');
  const stepShape = [1, m, 1, 1, 1];

  const x = ops.unsqueeze(ctx.model.inputName, [1]); // [N, 1, ...item]
  const difference = ops.op('Sub', [x, baseline]); // [N, 1, ...item]
  const scaled = ops.op('Mul', [difference, ops.floats(stepShape, points, 'alphas')]); // [N, m, ...item]
  const path = ops.reshape(ops.op('Add', [scaled, baseline]), [-1, ...item]); // [N·m, ...item]
  const classes = ctx.shapes[ctx.reduction][1];
  const seeds = ops.reshape(
    ops.op('Mul', [
      ops.unsqueeze(ctx.seed, [1]),
      ops.floats([1, m, 1], new Array<number>(m).fill(1), 'ones'),
    ]),
    [-1, classes],
  );
  const grads = ctx.vjp(ctx.model.inputName, path, seeds, 'netlens/ig/').grads[0]; // [N·m, ...item]
  const perImage = ops.reshape(grads, [-1, m, ...item]);
  const averaged = ops.reduce(
    'ReduceSum',
    ops.op('Mul', [perImage, ops.floats(stepShape, weights, 'weights')]),
    [1],
    true,
  );
  const attribution = ops.reshape(ops.op('Mul', [averaged, difference]), [-1, ...item]);
  return emitChannelReduction(ctx, attribution, options.channelReduction ?? 'sum');
}
