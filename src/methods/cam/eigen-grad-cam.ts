/**
 * EigenGradCAM: Eigen-CAM's first principal component taken of the gradient-weighted activations
 * ∂y/∂A ⊙ A instead of the activations alone, which makes it class-discriminative.
 */
import type { Model, TensorData } from '../../types.js';
import { runCam, type CamOptions, type CamResult, type CamVariant } from './base.js';
import { firstComponentProjection } from './feature-maps.js';

export const eigenGradCamVariant: CamVariant = {
  name: 'eigengradcam',
  title: 'EigenGradCAM',
  needsGradients: true,
  relu: true,
  weigh: (ctx) => {
    const grads = ctx.gradients!;
    const acts = ctx.activations;
    const k = ctx.target.perImage;
    const plane = grads.height * grads.width;
    const size = grads.channels * plane;
    const map = new Float32Array(grads.items * plane);
    const product = new Float32Array(size);
    for (let item = 0; item < grads.items; item++) {
      const image = Math.floor(item / k);
      for (let i = 0; i < size; i++) product[i] = grads.data[item * size + i] * acts.data[image * size + i];
      map.set(firstComponentProjection(product, grads.channels, plane), item * plane);
    }
    return { kind: 'map', map };
  },
};

export function eigenGradCam(model: Model, input: TensorData, options?: CamOptions): Promise<CamResult> {
  return runCam(eigenGradCamVariant, model, input, options);
}
