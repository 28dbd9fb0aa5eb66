/**
 * Plain gradients of the target with respect to the input under a backprop rule, for every item (image
 * n·K + k): the shared core of saliency, input × gradient, guided backprop and deconvnet.
 */
import type { BackpropRule, Model, TensorData } from '../../types.js';
import { runDerivedGradients } from './gradient-batches.js';
import { fillScores, type AttributionOptions, type PreparedAttribution } from './common.js';

export async function inputGradients(
  model: Model,
  input: TensorData,
  prepared: PreparedAttribution,
  rule: BackpropRule,
  options: AttributionOptions,
): Promise<TensorData> {
  const { geometry: geo, target } = prepared;
  const k = target.perImage;
  const items = geo.batch * k;
  const seedSize = target.seeds.data.length / items;
  const grads = new Float32Array(items * geo.size);
  const vjp = await model.vjp({ output: target.tensor, wrt: [model.inputName], rule });
  await runDerivedGradients({
    vjp,
    total: items,
    itemDims: input.dims.slice(1),
    seedDims: target.seeds.dims.slice(1),
    miniBatchSize: options.miniBatchSize ?? 128,
    write: (buffer, offset, job) => {
      const n = Math.floor(job / k);
      buffer.set(input.data.subarray(n * geo.size, (n + 1) * geo.size), offset);
    },
    seed: (buffer, offset, job) =>
      buffer.set(target.seeds.data.subarray(job * seedSize, (job + 1) * seedSize), offset),
    collect: (g, output, first, count) => {
      grads.set(g.data, first * geo.size);
      if (prepared.scoresPending) fillScores(target, output, first, count);
    },
    onProgress: options.onProgress,
  });
  return { data: grads, dims: [items, ...input.dims.slice(1)] };
}
