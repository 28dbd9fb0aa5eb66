/**
 * Input × gradient (Shrikumar et al., 2016): each input value times the target's gradient there — a
 * first-order estimate of each value's contribution relative to an all-zero input (for a linear model
 * exactly its term of the score). Map: signed sum over channels.
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

export async function inputXGradient(
  model: Model,
  input: TensorData,
  options: AttributionOptions = {},
): Promise<AttributionResult> {
  const how = channelReduction(options, 'sum');
  const prepared = await prepareAttribution(model, input, options, { deferred: true });
  const grads = await inputGradients(model, input, prepared, 'gradient', options);
  const { size } = prepared.geometry;
  const k = prepared.target.perImage;
  for (let item = 0; item < grads.dims[0]; item++) {
    const n = Math.floor(item / k);
    for (let i = 0; i < size; i++) grads.data[item * size + i] *= input.data[n * size + i];
  }
  return {
    method: 'inputXGradient',
    attribution: grads,
    map: attributionMap(grads, prepared.geometry, k, how, options),
    channelReduction: how,
    rule: 'gradient',
    ...targetFields(prepared),
    cost: { forwardPasses: prepared.forwardPasses, vjpItems: grads.dims[0] },
  };
}
