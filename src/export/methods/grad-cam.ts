/**
 * Gradient CAMs as graph ops, up-sampled as netlens up-samples them: Grad-CAM ReLU(Σ_c mean_ij(∂y/∂A_c) · A_c),
 * HiResCAM ReLU(Σ_c ∂y/∂A_c ⊙ A_c), LayerCAM ReLU(Σ_c ReLU(∂y/∂A_c) ⊙ A_c).
 */
import { UnsupportedError } from '../../errors.js';
import type { ResizeMethod } from '../../image/resample.js';
import type { ExportContext } from '../context.js';
import { emitUpsample } from '../upsample-matrix.js';

export interface GradCamExportOptions {
  featureLayer?: string;
  outputUpsampling?: ResizeMethod;
}

export type GradientCam = 'gradcam' | 'hirescam' | 'layercam';

export async function emitGradientCam(
  variant: GradientCam,
  ctx: ExportContext,
  options: GradCamExportOptions,
): Promise<string> {
  const layer = options.featureLayer ?? (await ctx.model.featureLayer());
  await ctx.model.checkLayer(layer);
  const dims = ctx.shapes[layer] ?? [];
  if (dims.length !== 4 || ctx.layerLayout !== 'NCHW') {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      `${variant} export needs an NCHW feature layer; '${layer}' has dims [${dims.join(', ')}] (${ctx.layerLayout})`,
    );
  }
  const [, , h, w] = dims;
  const { ops } = ctx;
  const grad = ctx.vjp(layer, ctx.model.inputName, ctx.seed, 'netlens/vjp/').grads[0];
  let weights: string;
  if (variant === 'gradcam') {
    const sums = ops.reduce('ReduceSum', grad, [2, 3], true);
    weights = ops.op('Mul', [sums, ops.floats([], [1 / (h * w)], 'inv_pixels')]);
  } else {
    weights = variant === 'layercam' ? ops.op('Relu', [grad]) : grad;
  }
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
