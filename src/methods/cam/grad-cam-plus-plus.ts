/**
 * Grad-CAM++ (Chattopadhay et al., 2018). With an exponential of the score, the higher derivatives in the
 * paper become powers of the first one, so for each pixel
 *   α = G² / (2 G² + (Σ_ij A) · G³),   w_c = Σ_ij α · ReLU(G),
 * with α = 0 where the denominator vanishes; map = ReLU(Σ_c w_c A_c).
 */
import type { Model, TensorData } from '../../types.js';
import {
  channelWeightsFromPlanes,
  runCam,
  type CamOptions,
  type CamResult,
  type CamVariant,
} from './base.js';

export const gradCamPlusPlusVariant: CamVariant = {
  name: 'gradcam++',
  title: 'Grad-CAM++',
  needsGradients: true,
  relu: true,
  weigh: (ctx) => ({
    kind: 'channel',
    weights: channelWeightsFromPlanes(ctx, (acts, a, grads, g, plane) => {
      let actSum = 0;
      for (let p = 0; p < plane; p++) actSum += acts[a + p];
      let w = 0;
      for (let p = 0; p < plane; p++) {
        const grad = grads[g + p];
        if (grad <= 0) continue; // ReLU(G) = 0: no contribution
        const g2 = grad * grad;
        const denominator = 2 * g2 + actSum * g2 * grad;
        if (denominator !== 0) w += (g2 / denominator) * grad;
      }
      return w;
    }),
  }),
};

export function gradCamPlusPlus(model: Model, input: TensorData, options?: CamOptions): Promise<CamResult> {
  return runCam(gradCamPlusPlusVariant, model, input, options);
}
