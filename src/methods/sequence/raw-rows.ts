/**
 * Raw sequences of different lengths as rows of one size, for comparing an embedding of a layer with one of
 * the inputs: each sequence linearly resampled in time to the longest length, then flattened (steps × channels).
 */
import type { BatchOptions } from '../../types.js';
import type { DatasetActivations } from '../dataset/activations.js';
import type { DatasetSource } from '../dataset/source.js';

/** Whether the source holds sequences ([T, C] items) of more than one length. */
export function hasVaryingSequenceLengths(source: DatasetSource): boolean {
  if (source.count === 0 || source.itemDims(0).length !== 2) return false;
  const first = source.itemDims(0)[0];
  for (let i = 1; i < source.count; i++) if (source.itemDims(i)[0] !== first) return true;
  return false;
}

/** Linear interpolation of a T × C sequence onto `length` evenly spaced points of the same time span. */
export function resampleSequence(
  values: Float32Array,
  steps: number,
  channels: number,
  length: number,
): Float32Array {
  const out = new Float32Array(length * channels);
  for (let k = 0; k < length; k++) {
    const at = length === 1 ? 0 : (k * (steps - 1)) / (length - 1);
    const lo = Math.floor(at);
    const hi = Math.min(steps - 1, lo + 1);
    const w = at - lo;
    for (let c = 0; c < channels; c++) {
      out[k * channels + c] = (1 - w) * values[lo * channels + c] + w * values[hi * channels + c];
    }
  }
  return out;
}

export async function resampledSequenceRows(
  source: DatasetSource,
  options: BatchOptions = {},
): Promise<DatasetActivations> {
  const channels = source.itemDims(0)[1];
  let length = 0;
  for (let i = 0; i < source.count; i++) length = Math.max(length, source.itemDims(i)[0]);
  const features = length * channels;
  const data = new Float32Array(source.count * features);
  for (let i = 0; i < source.count; i++) {
    const item = await source.read([i]);
    data.set(resampleSequence(item.data, source.itemDims(i)[0], channels, length), i * features);
    options.onProgress?.({ done: i + 1, total: source.count, stage: 'items' });
  }
  return {
    data,
    n: source.count,
    features,
    layer: `input (resampled to ${length} steps)`,
    reduction: 'flatten',
    layout: { batchAxis: 0, reducedAxes: [], itemDims: [1, length, channels] },
    ...(source.labels ? { labels: source.labels } : {}),
  };
}
