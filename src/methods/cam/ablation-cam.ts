/**
 * Ablation-CAM (Desai & Ramaswamy, 2020): no gradients. Each channel of the feature layer is set to zero
 * in turn and only the network's tail is run from there (`model.forwardFrom`); the channel's weight is the
 * relative drop of the target's score, w_c = (y − y_c) / |y|, and map = ReLU(Σ_c w_c A_c). (The paper
 * divides by y; dividing by |y| keeps "drop" positive when the score is negative and only rescales.)
 * Cost: C tail passes per image, batched by `miniBatchSize`.
 */
import type { Model, TensorData } from '../../types.js';
import { runPerturbed } from '../perturbed-batches.js';
import { runCam, type CamOptions, type CamResult, type CamVariant } from './base.js';
import { perturbedScorer } from './perturbed-scores.js';

export const ablationCamVariant: CamVariant = {
  name: 'ablationcam',
  title: 'Ablation-CAM',
  needsGradients: false,
  relu: true,
  weigh: async (ctx) => {
    const { model, target, rawActivations: raw, featureLayer } = ctx;
    const { channels, height, width } = ctx.activations;
    const plane = height * width;
    const size = channels * plane;
    const images = raw.dims[0];
    const k = target.perImage;
    const score = perturbedScorer(target, 'logit');
    const nchw = ctx.featureLayout === 'NCHW';
    const weights = new Float32Array(images * k * channels);
    await runPerturbed(
      (batch, opts) => model.forwardFrom(featureLayer, batch, { ...opts, output: target.tensor }),
      {
        total: images * channels,
        size,
        itemDims: raw.dims.slice(1),
        miniBatchSize: ctx.options.miniBatchSize ?? 128,
        write: (buffer, offset, job) => {
          const n = Math.floor(job / channels);
          const c = job - n * channels;
          buffer.set(raw.data.subarray(n * size, (n + 1) * size), offset);
          if (nchw) buffer.fill(0, offset + c * plane, offset + (c + 1) * plane);
          else for (let p = 0; p < plane; p++) buffer[offset + p * channels + c] = 0;
        },
        collect: (values, first, count) => {
          for (let r = 0; r < count; r++) {
            const job = first + r;
            const n = Math.floor(job / channels);
            const c = job - n * channels;
            for (let j = 0; j < k; j++) {
              const item = n * k + j;
              const y = target.scores[item];
              const scale = Math.abs(y) > 1e-12 ? Math.abs(y) : 1;
              weights[item * channels + c] = (y - score(values.data, r, item)) / scale;
            }
          }
        },
        onProgress: ctx.options.onProgress,
      },
    );
    ctx.spent({ tailPasses: images * channels });
    return { kind: 'channel', weights };
  },
};

export function ablationCam(model: Model, input: TensorData, options?: CamOptions): Promise<CamResult> {
  return runCam(ablationCamVariant, model, input, options);
}
