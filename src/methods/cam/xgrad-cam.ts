/**
 * XGrad-CAM (Fu et al., 2020): gradients averaged with the activations' own distribution as weights,
 * w_c = Σ_ij (A_c(i,j) / Σ_ab A_c(a,b)) · ∂y/∂A_c(i,j), chosen to satisfy the paper's sensitivity and
 * conservation axioms; map = ReLU(Σ_c w_c A_c). A channel whose activations sum to 0 gets weight 0.
 */
import type { Model, TensorData } from '../../types.js';
import { runCam, type CamOptions, type CamResult, type CamVariant } from './base.js';

export const xGradCamVariant: CamVariant = {
  name: 'xgradcam',
  title: 'XGrad-CAM',
  needsGradients: true,
  relu: true,
  weigh: (ctx) => {
    const grads = ctx.gradients!;
    const acts = ctx.activations;
    const k = ctx.target.perImage;
    const plane = grads.height * grads.width;
    const weights = new Float32Array(grads.items * grads.channels);
    for (let item = 0; item < grads.items; item++) {
      const image = Math.floor(item / k);
      for (let c = 0; c < grads.channels; c++) {
        const a = (image * grads.channels + c) * plane;
        const g = (item * grads.channels + c) * plane;
        let actSum = 0;
        let weighted = 0;
        for (let p = 0; p < plane; p++) {
          actSum += acts.data[a + p];
          weighted += acts.data[a + p] * grads.data[g + p];
        }
        weights[item * grads.channels + c] = actSum !== 0 ? weighted / actSum : 0;
      }
    }
    return { kind: 'channel', weights };
  },
};

export function xGradCam(model: Model, input: TensorData, options?: CamOptions): Promise<CamResult> {
  return runCam(xGradCamVariant, model, input, options);
}
