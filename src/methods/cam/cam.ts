/**
 * CAM (Zhou et al., 2016) for networks that end in global average pooling and one linear layer: channel c
 * is weighted by the linear layer's weight from c to the target class, read from the model's graph; no
 * gradient is taken. For a seed dY on the linear layer's output the weights are Σ_k dY_k · W[k, c], so
 * several classes and any linear combination of scores work the same way. No ReLU, as in the paper.
 * On such networks Grad-CAM's weights are exactly these divided by h·w, so the maps agree up to scale.
 */
import { UnsupportedError } from '../../errors.js';
import type { LinearHeadSource, Model, TensorData } from '../../types.js';
import { runCam, type CamOptions, type CamResult, type CamVariant } from './base.js';

function hasLinearHead(model: Model): model is Model & LinearHeadSource {
  return typeof (model as Partial<LinearHeadSource>).linearHead === 'function';
}

export const camVariant: CamVariant = {
  name: 'cam',
  title: 'CAM',
  needsGradients: false,
  relu: false,
  weigh: async (ctx) => {
    if (!hasLinearHead(ctx.model)) {
      throw new UnsupportedError(
        'UNSUPPORTED_MODEL',
        'CAM needs a model that exposes its linear head (OnnxModel)',
      );
    }
    const head = await ctx.model.linearHead(ctx.featureLayer);
    const { tensor, seeds } = ctx.target;
    if (tensor !== head.output) {
      throw new UnsupportedError(
        'UNSUPPORTED_MODEL',
        `CAM explains the linear layer's output '${head.output}', but the target is on '${tensor}' ` +
          `(set reductionLayer to '${head.output}')`,
      );
    }
    const items = seeds.dims[0];
    const channels = ctx.activations.channels;
    const weights = new Float32Array(items * channels);
    for (let item = 0; item < items; item++) {
      for (let k = 0; k < head.outputs; k++) {
        const s = seeds.data[item * head.outputs + k];
        if (s === 0) continue;
        for (let c = 0; c < channels; c++) weights[item * channels + c] += s * head.weights[k * channels + c];
      }
    }
    return { kind: 'channel', weights };
  },
};

export function cam(model: Model, input: TensorData, options?: CamOptions): Promise<CamResult> {
  return runCam(camVariant, model, input, options);
}
