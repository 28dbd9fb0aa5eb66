/**
 * XGrad-CAM (Fu et al., 2020): gradients averaged with the activations' own distribution as weights,
 * w_c = Σ_ij (A_c(i,j) / Σ_ab A_c(a,b)) · ∂y/∂A_c(i,j), chosen to satisfy the paper's sensitivity and
 * conservation axioms; map = ReLU(Σ_c w_c A_c). A channel whose activations sum to 0 gets weight 0.
 */
import type { Model, TensorData } from '../../types.js';
import {
  channelWeightsFromPlanes,
  runCam,
  type CamOptions,
  type CamResult,
  type CamVariant,
} from './base.js';

export const xGradCamVariant: CamVariant = {
  name: 'xgradcam',
  title: 'XGrad-CAM',
  needsGradients: true,
  relu: true,
  weigh: (ctx) => ({
    kind: 'channel',
    weights: channelWeightsFromPlanes(ctx, (acts, a, grads, g, plane) => {
      let actSum = 0;
      let weighted = 0;
      for (let p = 0; p < plane; p++) {
        actSum += acts[a + p];
        weighted += acts[a + p] * grads[g + p];
      }
      return actSum !== 0 ? weighted / actSum : 0;
    }),
  }),
};

export function xGradCam(model: Model, input: TensorData, options?: CamOptions): Promise<CamResult> {
  return runCam(xGradCamVariant, model, input, options);
}
