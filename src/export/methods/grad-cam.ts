/** Grad-CAM as graph ops: ReLU(Σ_c mean_ij(∂y/∂A_c) · A_c), up-sampled as netlens up-samples it. */
import { UnsupportedError } from '../../errors.js';
import type { ResizeMethod } from '../../image/resample.js';
import type { ExportContext } from '../context.js';
import { emitUpsample } from '../upsample-matrix.js';

export interface GradCamExportOptions {
  featureLayer?: string;
  outputUpsampling?: ResizeMethod;
}

export async function emitGradCam(ctx: ExportContext, options: GradCamExportOptions): Promise<string> {
  const layer = options.featureLayer ?? (await ctx.model.featureLayer());
  await ctx.model.checkLayer(layer);
  const dims = ctx.shapes[layer] ?? [];
  if (dims.length !== 4 || ctx.layerLayout !== 'NCHW') {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      `Grad-CAM export needs an NCHW feature layer; '${layer}' has dims [${dims.join(', ')}] (${ctx.layerLayout})`,
    );
  }
  const [, , h, w] = dims;
  const { ops } = ctx;
  const grad = ctx.vjp(layer, ctx.model.inputName, ctx.seed, 'netlens/vjp/').grads[0];
  const sums = ops.reduce('ReduceSum', grad, [2, 3], true);
  const weights = ops.op('Mul', [sums, ops.floats([], [1 / (h * w)], 'inv_pixels')]);
  const weighted = ops.reduce('ReduceSum', ops.op('Mul', [weights, layer]), [1], false);
  const cam = ops.op('Relu', [weighted]);
  return emitUpsample(
    ops,
    cam,
    { height: h, width: w },
    { height: ctx.height, width: ctx.width },
    options.outputUpsampling ?? 'bicubic',
  );
}
