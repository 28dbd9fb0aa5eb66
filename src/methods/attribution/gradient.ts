/**
 * Plain gradients of the target with respect to the input under a backprop rule, for every item (image
 * n·K + k): the shared core of saliency, input × gradient, guided backprop and deconvnet.
 */
import type { BackpropRule, Model, TensorData, VjpFunction } from '../../types.js';
import { resolveTarget } from '../target.js';
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
  const request = { output: target.tensor, wrt: [model.inputName], rule };
  const topClass = prepared.pending === 'top-class' ? await model.topClassVjp?.(request) : undefined;
  // A top-class VJP seeds itself: the seeds written for it are not read.
  const vjp: VjpFunction = topClass
    ? (inputs, _seeds, batch) => topClass(inputs as TensorData, batch)
    : await model.vjp(request);
  // The target tensor's values, from which the top class is resolved as a forward pass would have.
  const values = topClass ? new Float32Array(items * seedSize) : undefined;
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
      if (values) values.set(output.data, first * seedSize);
      else if (prepared.pending === 'scores') fillScores(target, output, first, count);
    },
    onProgress: options.onProgress,
  });
  if (values) {
    prepared.target = resolveTarget(model, undefined, target.tensor, {
      data: values,
      dims: [items, ...target.seeds.dims.slice(1)],
    });
  }
  return { data: grads, dims: [items, ...input.dims.slice(1)] };
}
