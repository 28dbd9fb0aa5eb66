/**
 * Guided Grad-CAM (Selvaraju et al., 2017): guided backpropagation multiplied, pixel by pixel and in every
 * channel, by the Grad-CAM map up-sampled to the input — fine detail restricted to the class's region.
 * The target is resolved once and shared by both parts. Map: largest absolute value over channels.
 */
import type { Model, TensorData } from '../../types.js';
import { runCam, type CamOptions } from '../cam/base.js';
import { gradCamVariant } from '../cam/grad-cam.js';
import { repeatTarget } from '../target.js';
import {
  channelReduction,
  prepareAttribution,
  attributionMap,
  targetFields,
  type AttributionOptions,
  type AttributionResult,
} from './common.js';
import { inputGradients } from './gradient.js';

export interface GuidedGradCamOptions extends AttributionOptions {
  /** Feature layer of the Grad-CAM part (default `model.featureLayer()`). */
  featureLayer?: string;
  /** Interpolation of the Grad-CAM map (default 'bilinear', as in the paper). */
  outputUpsampling?: CamOptions['outputUpsampling'];
}

export async function guidedGradCam(
  model: Model,
  input: TensorData,
  options: GuidedGradCamOptions = {},
): Promise<AttributionResult & { gradCam: TensorData }> {
  const how = channelReduction(options, 'maxAbs');
  const prepared = await prepareAttribution(model, input, options);
  const guided = await inputGradients(model, input, prepared, 'guided', options);
  const { target, geometry: geo } = prepared;
  const k = target.perImage;
  // Seeds are per item already: hand them to Grad-CAM one image per item, so no re-resolution happens.
  const camResult = await runCam(gradCamVariant, model, input, {
    target: { ...repeatTarget(target, 1), perImage: k },
    featureLayer: options.featureLayer,
    outputUpsampling: options.outputUpsampling ?? 'bilinear',
    miniBatchSize: options.miniBatchSize,
    layout: options.layout,
  });
  const pixels = geo.height * geo.width;
  const camMap = camResult.map.data;
  for (let item = 0; item < guided.dims[0]; item++) {
    for (let c = 0; c < geo.channels; c++) {
      for (let p = 0; p < pixels; p++) {
        guided.data[item * geo.size + c * geo.channelStride + p * geo.pixelStride] *=
          camMap[item * pixels + p];
      }
    }
  }
  return {
    method: 'guidedGradCam',
    attribution: guided,
    map: attributionMap(guided, geo, k, how, options),
    gradCam: camResult.map,
    channelReduction: how,
    rule: 'guided',
    ...targetFields(prepared),
    cost: {
      forwardPasses: prepared.forwardPasses + camResult.cost.forwardPasses,
      vjpItems: guided.dims[0] + camResult.cost.vjpItems,
    },
  };
}
