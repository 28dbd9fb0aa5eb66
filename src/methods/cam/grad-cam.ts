/**
 * Grad-CAM (Selvaraju et al., 2017) — MATLAB `gradCAM`: each channel is weighted by the mean of the
 * target's gradient over its pixels, w_c = mean_ij ∂y/∂A_c(i,j); map = ReLU(Σ_c w_c A_c).
 */
import type { Model, TensorData } from '../../types.js';
import { runCam, spatialMeans, type CamOptions, type CamResult, type CamVariant } from './base.js';

export const gradCamVariant: CamVariant = {
  name: 'gradcam',
  title: 'Grad-CAM',
  needsGradients: true,
  relu: true,
  weigh: (ctx) => ({ kind: 'channel', weights: spatialMeans(ctx.gradients!) }),
};

export function gradCam(model: Model, input: TensorData, options?: CamOptions): Promise<CamResult> {
  return runCam(gradCamVariant, model, input, options);
}
