/**
 * Saliency (Simonyan et al., 2014): the gradient of the target with respect to the input pixels. The map
 * is, as in the paper and MATLAB's examples, the largest absolute gradient over the channels
 * (`channelReduction: 'maxAbs'`); 'sum' gives the signed map, and `attribution` keeps the raw gradient.
 */
import type { Model, TensorData } from '../../types.js';
import {
  channelReduction,
  prepareAttribution,
  attributionMap,
  targetFields,
  type AttributionOptions,
  type AttributionResult,
} from './common.js';
import { inputGradients } from './gradient.js';

export async function saliency(
  model: Model,
  input: TensorData,
  options: AttributionOptions = {},
): Promise<AttributionResult> {
  const how = channelReduction(options, 'maxAbs');
  const prepared = await prepareAttribution(model, input, options, { deferred: true });
  const attribution = await inputGradients(model, input, prepared, 'gradient', options);
  return {
    method: 'saliency',
    attribution,
    map: attributionMap(attribution, prepared.geometry, prepared.target.perImage, how, options),
    channelReduction: how,
    rule: 'gradient',
    ...targetFields(prepared),
    cost: { forwardPasses: prepared.forwardPasses, vjpItems: attribution.dims[0] },
  };
}
