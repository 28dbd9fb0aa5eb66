/**
 * HiResCAM (Draelos & Carin, 2020): the gradient multiplies the activations element by element before
 * the channel sum, map = ReLU(Σ_c ∂y/∂A_c ⊙ A_c), so the map shows where the score actually came from
 * (Grad-CAM's averaging can move attention to places the gradient never pointed at).
 */
import type { Model, TensorData } from '../../types.js';
import { runCam, type CamOptions, type CamResult, type CamVariant } from './base.js';

export const hiResCamVariant: CamVariant = {
  name: 'hirescam',
  title: 'HiResCAM',
  needsGradients: true,
  relu: true,
  weigh: (ctx) => ({ kind: 'element', weights: ctx.gradients!.data }),
};

export function hiResCam(model: Model, input: TensorData, options?: CamOptions): Promise<CamResult> {
  return runCam(hiResCamVariant, model, input, options);
}
