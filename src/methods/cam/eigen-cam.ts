/**
 * Eigen-CAM (Muhammad & Yeasin, 2020): no gradients and no target — the projection of the feature maps on
 * their first principal direction (rank-1 SVD of the [pixels × channels] activations), sign chosen so it
 * sums to >= 0. Every explanation of an image therefore shows the same map.
 */
import type { Model, TensorData } from '../../types.js';
import { runCam, type CamOptions, type CamResult, type CamVariant } from './base.js';
import { firstComponentProjection } from './feature-maps.js';

export const eigenCamVariant: CamVariant = {
  name: 'eigencam',
  title: 'Eigen-CAM',
  needsGradients: false,
  relu: false,
  weigh: (ctx) => {
    const acts = ctx.activations;
    const k = ctx.target.perImage;
    const plane = acts.height * acts.width;
    const size = acts.channels * plane;
    const map = new Float32Array(acts.items * k * plane);
    for (let image = 0; image < acts.items; image++) {
      const projection = firstComponentProjection(
        acts.data.subarray(image * size, (image + 1) * size),
        acts.channels,
        plane,
      );
      for (let j = 0; j < k; j++) map.set(projection, (image * k + j) * plane);
    }
    return { kind: 'map', map };
  },
};

export function eigenCam(model: Model, input: TensorData, options?: CamOptions): Promise<CamResult> {
  return runCam(eigenCamVariant, model, input, options);
}
