/**
 * Activations of one layer for a batch (MATLAB `activations`), and the per-channel summaries the
 * "Visualize Activations of a Convolutional Neural Network" example shows: the strongest channel.
 */
import { OptionError } from '../errors.js';
import type { BatchOptions, Model, TensorData } from '../types.js';

export type ActivationsLayout = 'channels' | 'rows' | 'columns';

export interface ActivationsOptions extends BatchOptions {
  /** Layer (tensor) name; default the model's feature layer (last layer with spatial dims). */
  layer?: string;
  /**
   * 'channels' keeps the layer's own layout ([N, C, H, W] for convolutional layers), 'rows' gives one
   * flattened row per observation ([N, F]), 'columns' one column per observation ([F, N]) — as MATLAB's OutputAs.
   */
  outputAs?: ActivationsLayout;
}

export interface ActivationsResult extends TensorData {
  layer: string;
  outputAs: ActivationsLayout;
  /** The layer's own dims for the batch, whatever `outputAs` is. */
  layerDims: number[];
}

export async function activations(
  model: Model,
  input: TensorData,
  options: ActivationsOptions = {},
): Promise<ActivationsResult> {
  const layer = options.layer ?? (await model.featureLayer());
  await model.checkLayer(layer);
  const outputAs = options.outputAs ?? 'channels';
  if (!['channels', 'rows', 'columns'].includes(outputAs)) {
    throw new OptionError(
      'INVALID_OPTION',
      `outputAs must be 'channels', 'rows' or 'columns', got '${String(outputAs)}'`,
    );
  }
  const acts = (await model.activations(input, [layer], options))[layer];
  const n = acts.dims[0];
  const features = n === 0 ? 0 : acts.data.length / n;
  if (outputAs === 'channels') return { ...acts, layer, outputAs, layerDims: acts.dims };
  if (outputAs === 'rows')
    return { data: acts.data, dims: [n, features], layer, outputAs, layerDims: acts.dims };
  const columns = new Float32Array(acts.data.length);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < features; f++) columns[f * n + i] = acts.data[i * features + f];
  }
  return { data: columns, dims: [features, n], layer, outputAs, layerDims: acts.dims };
}

export interface ChannelStats {
  /** Per channel: mean and maximum over the spatial positions of one observation. */
  mean: Float32Array;
  max: Float32Array;
  /** The channel with the largest single activation (the "strongest" channel). */
  strongest: number;
}

/**
 * Channel statistics of one observation of an [N, C, ...spatial] activation tensor (channels on axis 1;
 * a 2-D [N, F] tensor is treated as F channels of one value each).
 */
export function channelStats(acts: TensorData, index = 0): ChannelStats {
  if (acts.dims.length < 2) {
    throw new OptionError(
      'INVALID_OPTION',
      `channel statistics need [N, C, ...] activations, got dims [${acts.dims.join(', ')}]`,
    );
  }
  const [n, c] = acts.dims;
  if (!Number.isInteger(index) || index < 0 || index >= n) {
    throw new OptionError('INVALID_OPTION', `observation index ${index} is out of range 0..${n - 1}`);
  }
  const spatial = acts.dims.slice(2).reduce((a, b) => a * b, 1);
  const mean = new Float32Array(c);
  const max = new Float32Array(c);
  let strongest = 0;
  let best = -Infinity;
  const base = index * c * spatial;
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    let m = -Infinity;
    const off = base + ch * spatial;
    for (let s = 0; s < spatial; s++) {
      const v = acts.data[off + s];
      sum += v;
      if (v > m) m = v;
    }
    mean[ch] = sum / spatial;
    max[ch] = m;
    if (m > best) {
      best = m;
      strongest = ch;
    }
  }
  return { mean, max, strongest };
}
