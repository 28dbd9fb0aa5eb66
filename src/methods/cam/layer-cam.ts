/**
 * LayerCAM (Jiang et al., 2021): every pixel of every channel is weighted by its own positive gradient,
 * map = ReLU(Σ_c ReLU(∂y/∂A_c) ⊙ A_c), which keeps fine detail and works on shallow layers too.
 */
import type { Model, TensorData } from '../../types.js';
import { runCam, type CamOptions, type CamResult, type CamVariant } from './base.js';

export const layerCamVariant: CamVariant = {
  name: 'layercam',
  title: 'LayerCAM',
  needsGradients: true,
  relu: true,
  weigh: (ctx) => {
    const grads = ctx.gradients!.data;
    const weights = new Float32Array(grads.length);
    for (let i = 0; i < grads.length; i++) weights[i] = grads[i] > 0 ? grads[i] : 0;
    return { kind: 'element', weights };
  },
};

export function layerCam(model: Model, input: TensorData, options?: CamOptions): Promise<CamResult> {
  return runCam(layerCamVariant, model, input, options);
}
