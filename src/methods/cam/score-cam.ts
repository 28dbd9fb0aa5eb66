/**
 * Score-CAM (Wang et al., 2020): no gradients. Each channel, up-sampled to the input and scaled to [0, 1],
 * becomes a soft mask; the network sees the input multiplied by it, and the channel's weight is the
 * target's score on that masked input minus its score on the fully masked (all-zero) input:
 *   w_c = s(x ⊙ M_c) − s(0),   map = ReLU(Σ_c w_c A_c).
 * s is the softmax probability for class targets (the paper's choice), else the linear target value.
 * Zero in the model's input space is the mean pixel of its normalisation, so masking fades towards it.
 * Cost: C forward passes per image (+1), run in batches of `miniBatchSize`.
 */
import { upsample } from '../../image/upsample.js';
import type { Model, TensorData } from '../../types.js';
import { checkChoice } from '../batch.js';
import { runPerturbed } from '../perturbed-batches.js';
import { normalizeInPlace, runCam, type CamOptions, type CamResult, type CamVariant } from './base.js';
import { perturbedScorer, type PerturbedScore } from './perturbed-scores.js';

export interface ScoreCamOptions extends CamOptions {
  /** Score compared on masked inputs (default 'probability' for class targets, else 'logit'). */
  score?: PerturbedScore;
}

export const scoreCamVariant: CamVariant = {
  name: 'scorecam',
  title: 'Score-CAM',
  needsGradients: false,
  relu: true,
  weigh: async (ctx) => {
    const { model, input, geometry: geo, activations: acts, target } = ctx;
    const options = ctx.options as ScoreCamOptions;
    const classTarget = target.seeds.dims.length === 2 && target.classes.every((c) => c !== undefined);
    const kind = checkChoice(
      'score',
      options.score,
      ['probability', 'logit'],
      classTarget ? 'probability' : 'logit',
    );
    const score = perturbedScorer(target, kind);
    const k = target.perImage;
    const channels = acts.channels;
    const plane = acts.height * acts.width;
    const pixels = geo.height * geo.width;
    const miniBatchSize = options.miniBatchSize ?? 128;

    const zeros = { data: new Float32Array(geo.size), dims: [1, ...input.dims.slice(1)] };
    const base = (await model.run(zeros, [target.tensor], { miniBatchSize }))[target.tensor].data;
    const weights = new Float32Array(geo.batch * k * channels);
    for (let item = 0; item < geo.batch * k; item++) {
      const s0 = score(base, 0, item);
      for (let c = 0; c < channels; c++) weights[item * channels + c] = -s0;
    }

    const mask = new Float32Array(pixels);
    await runPerturbed(
      async (batch, opts) => (await model.run(batch, [target.tensor], opts))[target.tensor],
      {
        total: geo.batch * channels,
        size: geo.size,
        itemDims: input.dims.slice(1),
        miniBatchSize,
        write: (buffer, offset, job) => {
          const n = Math.floor(job / channels);
          const c = job - n * channels;
          const small = acts.data.slice((n * channels + c) * plane, (n * channels + c + 1) * plane);
          mask.set(upsample({ data: small, width: acts.width, height: acts.height }, geo, 'bilinear').data);
          normalizeInPlace(mask);
          const src = n * geo.size;
          for (let ch = 0; ch < geo.channels; ch++) {
            for (let p = 0; p < pixels; p++) {
              const at = ch * geo.channelStride + p * geo.pixelStride;
              buffer[offset + at] = input.data[src + at] * mask[p];
            }
          }
        },
        collect: (values, first, count) => {
          for (let r = 0; r < count; r++) {
            const job = first + r;
            const n = Math.floor(job / channels);
            const c = job - n * channels;
            for (let j = 0; j < k; j++)
              weights[(n * k + j) * channels + c] += score(values.data, r, n * k + j);
          }
        },
        onProgress: options.onProgress,
      },
    );
    ctx.spent({ forwardPasses: geo.batch * channels + 1 });
    return { kind: 'channel', weights };
  },
};

export function scoreCam(model: Model, input: TensorData, options?: ScoreCamOptions): Promise<CamResult> {
  return runCam(scoreCamVariant, model, input, options);
}
