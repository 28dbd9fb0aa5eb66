/**
 * Guided backpropagation (Springenberg et al., 2015) and deconvnet (Zeiler & Fergus, 2014): the input
 * gradient with ReLU-like ops backpropagated by the VJP rules 'guided' (pass only positive gradients where
 * the forward input was positive) and 'deconvnet' (ReLU of the gradient, forward ignored). Map: the
 * largest absolute value over channels.
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

async function ruleAttribution(
  method: string,
  rule: 'guided' | 'deconvnet',
  model: Model,
  input: TensorData,
  options: AttributionOptions,
): Promise<AttributionResult> {
  const how = channelReduction(options, 'maxAbs');
  const prepared = await prepareAttribution(model, input, options, { deferred: true });
  const attribution = await inputGradients(model, input, prepared, rule, options);
  return {
    method,
    attribution,
    map: attributionMap(attribution, prepared.geometry, prepared.target.perImage, how, options),
    channelReduction: how,
    rule,
    ...targetFields(prepared),
    cost: { forwardPasses: prepared.forwardPasses, vjpItems: attribution.dims[0] },
  };
}

export function guidedBackprop(model: Model, input: TensorData, options: AttributionOptions = {}) {
  return ruleAttribution('guidedBackprop', 'guided', model, input, options);
}

export function deconvnet(model: Model, input: TensorData, options: AttributionOptions = {}) {
  return ruleAttribution('deconvnet', 'deconvnet', model, input, options);
}
