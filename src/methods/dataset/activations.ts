/**
 * Activations of a whole data set (MATLAB `activations` over a datastore): the items are read and run in
 * mini-batches, and only each item's row — the layer flattened, or its global average / max over space
 * (over time for sequence models) — is kept, so memory is N × features plus one mini-batch.
 */
import { OptionError } from '../../errors.js';
import type { BatchOptions, Model, TensorData } from '../../types.js';
import { checkPositiveInt } from '../batch.js';
import {
  checkReduction,
  probeLayerLayout,
  reduceRows,
  type DatasetReduction,
  type LayerLayout,
} from './layer-layout.js';
import { readGroups, type DatasetSource } from './source.js';

export const DEFAULT_DATASET_MINI_BATCH = 128;

export interface DatasetActivationsOptions extends BatchOptions {
  /** Layer (tensor) name; default the model's feature layer (last layer with spatial dims). */
  layer?: string;
  /**
   * 'flatten' (default, MATLAB's OutputAs 'rows'): every value of the layer; 'mean' / 'max': global average
   * or max pooling over the spatial (or time) positions, one value per channel.
   */
  reduction?: DatasetReduction;
  /** Also record each item's predicted class (classification models; same forward passes). */
  predictions?: boolean;
}

export interface DatasetActivations {
  /** n × features, row-major, row i for item i of the source. */
  data: Float32Array;
  n: number;
  features: number;
  layer: string;
  reduction: DatasetReduction;
  /** The layer's dims for one item and which axes were batch / reduced. */
  layout: LayerLayout;
  /** True labels, when the source has them. */
  labels?: Int32Array;
  /** Predicted class of each item, when asked for. */
  predicted?: Int32Array;
}

/**
 * Visit the data set one mini-batch at a time: `visit` gets the item indices of the mini-batch and the
 * tensors `names` for it. Progress counts items.
 */
export async function forEachMiniBatch(
  model: Model,
  source: DatasetSource,
  names: readonly string[],
  options: BatchOptions,
  visit: (items: readonly number[], outputs: Record<string, TensorData>) => void | Promise<void>,
): Promise<void> {
  const size = checkPositiveInt('miniBatchSize', options.miniBatchSize, DEFAULT_DATASET_MINI_BATCH);
  if (!(source.count >= 1)) throw new OptionError('INVALID_INPUT', 'the data set is empty');
  let done = 0;
  for (const items of readGroups(source, size)) {
    const batch = await source.read(items);
    const outputs = await model.run(batch, [...names], { miniBatchSize: items.length });
    await visit(items, outputs);
    done += items.length;
    options.onProgress?.({ done, total: source.count, stage: 'items' });
  }
}

/** Place row block `rows` (one row per entry of `items`) into the n × features matrix `target`. */
export function scatterRows(
  target: Float32Array,
  rows: Float32Array,
  items: readonly number[],
  features: number,
) {
  items.forEach((item, k) => target.set(rows.subarray(k * features, (k + 1) * features), item * features));
}

export async function datasetActivations(
  model: Model,
  source: DatasetSource,
  options: DatasetActivationsOptions = {},
): Promise<DatasetActivations> {
  const reduction = checkReduction(options.reduction, 'flatten');
  const layer = options.layer ?? (await model.featureLayer());
  await model.checkLayer(layer);
  if (!(source.count >= 1)) throw new OptionError('INVALID_INPUT', 'the data set is empty');
  const layout = await probeLayerLayout(model, layer, await source.read([0]));
  const predicted = options.predictions ? new Int32Array(source.count) : undefined;
  const names = predicted ? [...new Set([layer, model.outputName])] : [layer];
  let data: Float32Array | undefined;
  let features = 0;
  await forEachMiniBatch(model, source, names, options, (items, outputs) => {
    if (predicted) recordPredictions(predicted, items, outputs[model.outputName]);
    const rows = reduceRows(outputs[layer], layout, reduction);
    if (data === undefined) {
      features = rows.features;
      data = new Float32Array(source.count * features);
    } else if (rows.features !== features) {
      throw new OptionError(
        'INVALID_INPUT',
        `items give ${features} and ${rows.features} features at layer '${layer}' (inputs of different ` +
          `lengths); use reduction 'mean' or 'max' to get one row size`,
      );
    }
    scatterRows(data, rows.data, items, features);
  });
  return {
    data: data ?? new Float32Array(0),
    n: source.count,
    features,
    layer,
    reduction,
    layout,
    ...(source.labels ? { labels: source.labels } : {}),
    ...(predicted ? { predicted } : {}),
  };
}

/** The arg max of each item's scores (softmax keeps the order, so logits do as well as probabilities). */
function recordPredictions(target: Int32Array, items: readonly number[], scores: TensorData): void {
  const classes = scores.data.length / items.length;
  if (scores.dims.length !== 2) {
    throw new OptionError(
      'INVALID_OPTION',
      `predicted classes need a classification output [N, classes], got dims [${scores.dims.join(', ')}]`,
    );
  }
  items.forEach((item, k) => {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if (scores.data[k * classes + c] > scores.data[k * classes + best]) best = c;
    target[item] = best;
  });
}

/** The model inputs themselves as rows (n × input size), e.g. the raw pixels of an image set. */
export async function datasetInputs(
  source: DatasetSource,
  options: BatchOptions = {},
): Promise<DatasetActivations> {
  const size = checkPositiveInt('miniBatchSize', options.miniBatchSize, DEFAULT_DATASET_MINI_BATCH);
  let data: Float32Array | undefined;
  let features = 0;
  let done = 0;
  let itemDims: number[] = [];
  for (const items of readGroups(source, size)) {
    const batch = await source.read(items);
    const rowSize = batch.data.length / items.length;
    if (data === undefined) {
      features = rowSize;
      itemDims = [1, ...batch.dims.slice(1)];
      data = new Float32Array(source.count * features);
    } else if (rowSize !== features) {
      throw new OptionError('INVALID_INPUT', 'the items differ in size, so their inputs do not form rows');
    }
    scatterRows(data, batch.data, items, features);
    done += items.length;
    options.onProgress?.({ done, total: source.count, stage: 'items' });
  }
  return {
    data: data ?? new Float32Array(0),
    n: source.count,
    features,
    layer: 'input',
    reduction: 'flatten',
    layout: { batchAxis: 0, reducedAxes: [], itemDims },
    ...(source.labels ? { labels: source.labels } : {}),
  };
}
