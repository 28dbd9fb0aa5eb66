/**
 * A data set as the dataset methods see it: a count of items that can be read in any groups, so a pass over
 * it holds one mini-batch of inputs at a time. Items of equal dims can share a mini-batch (images always do;
 * sequences of one length do). The constructors here work on data already in memory and run anywhere; the
 * file-backed sources (image files, folders, bundled sample sets) are in `node-sources.ts`.
 */
import { OptionError } from '../../errors.js';
import { tensorToImages } from '../../image/normalize.js';
import type { RawImage } from '../../image/types.js';
import type { InputSpec, TensorData } from '../../types.js';
import { product } from '../batch.js';
import { sequenceThumbnail } from '../sequence/thumbnail.js';

export interface DatasetSource {
  /** Number of items. */
  readonly count: number;
  /** True class of each item, when known. */
  readonly labels?: Int32Array;
  /** Names of the classes `labels` index, when the source knows them (else the model's labels apply). */
  readonly classNames?: readonly string[];
  /** Display name of each item (file names), when known. */
  readonly names?: readonly string[];
  /** Dims of one item (batch axis excluded). Items with equal dims can be read together. */
  itemDims(index: number): readonly number[];
  /** The model input for `indices` (all of one item dims), batched along axis 0 in the order given. */
  read(indices: readonly number[]): Promise<TensorData>;
  /** What a person should see for item `index` (image sources), for montages and thumbnails. */
  picture?(index: number): Promise<RawImage>;
}

export interface SourceExtras {
  labels?: ArrayLike<number>;
  classNames?: readonly string[];
  names?: readonly string[];
}

export function checkIndices(count: number, indices: readonly number[]): void {
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= count) {
      throw new OptionError('INVALID_INPUT', `dataset item ${i} is out of range 0..${count - 1}`);
    }
  }
}

/** Labels (one per item) as an Int32Array, checked. */
export function checkedLabels(labels: ArrayLike<number> | undefined, count: number): Int32Array | undefined {
  if (labels === undefined) return undefined;
  if (labels.length !== count) {
    throw new OptionError('INVALID_INPUT', `expected one label per item (${count}), got ${labels.length}`);
  }
  const out = Int32Array.from(labels);
  out.forEach((v, i) => {
    if (v < 0 || v !== labels[i]) {
      throw new OptionError('INVALID_INPUT', `label ${labels[i]} of item ${i} is not a class index`);
    }
  });
  return out;
}

function checkedNames(names: readonly string[] | undefined, count: number): readonly string[] | undefined {
  if (names !== undefined && names.length !== count) {
    throw new OptionError('INVALID_INPUT', `expected one name per item (${count}), got ${names.length}`);
  }
  return names;
}

/** Copy items `indices` of a batch (axis 0) into a new batch, in that order. */
export function gatherItems(batch: TensorData, indices: readonly number[]): TensorData {
  const size = product(batch.dims.slice(1));
  const data = new Float32Array(indices.length * size);
  indices.forEach((item, k) => data.set(batch.data.subarray(item * size, (item + 1) * size), k * size));
  return { data, dims: [indices.length, ...batch.dims.slice(1)] };
}

/**
 * A batch already in memory (axis 0 = items). With an image `spec`, items can also be shown as pictures
 * (the normalisation undone).
 */
export function batchSource(
  input: TensorData,
  extras: SourceExtras & { spec?: InputSpec } = {},
): DatasetSource {
  if (!(input.data instanceof Float32Array) || input.dims.length < 1) {
    throw new OptionError('INVALID_INPUT', 'a dataset batch must be a Float32Array with dims [N, ...]');
  }
  const count = input.dims[0];
  if (!(count >= 1) || input.data.length !== product(input.dims)) {
    throw new OptionError(
      'INVALID_INPUT',
      `a dataset batch needs at least one item and data matching dims [${input.dims.join(', ')}], got ${input.data.length} values`,
    );
  }
  const dims = input.dims.slice(1);
  const spec = extras.spec;
  return {
    count,
    labels: checkedLabels(extras.labels, count),
    classNames: extras.classNames,
    names: checkedNames(extras.names, count),
    itemDims: () => dims,
    read: async (indices) => {
      checkIndices(count, indices);
      return gatherItems(input, indices);
    },
    ...(spec
      ? {
          picture: async (index: number) => {
            checkIndices(count, [index]);
            return tensorToImages(gatherItems(input, [index]), spec)[0];
          },
        }
      : {}),
  };
}

/**
 * Sequences of possibly different lengths, each time-major T × C (or [1, T, C]); read back as [N, T, C]
 * batches of one length.
 */
export function sequenceSource(
  sequences: readonly (Float32Array | TensorData)[],
  channels: number,
  extras: SourceExtras = {},
): DatasetSource {
  if (!Number.isInteger(channels) || channels < 1) {
    throw new OptionError('INVALID_OPTION', `sequence channels must be a positive integer, got ${channels}`);
  }
  if (sequences.length === 0) throw new OptionError('INVALID_INPUT', 'no sequences given');
  const values = sequences.map((s, i) => {
    const data = s instanceof Float32Array ? s : s.data;
    if (data.length === 0 || data.length % channels !== 0) {
      throw new OptionError(
        'INVALID_INPUT',
        `sequence ${i} holds ${data.length} values, not a non-zero multiple of ${channels} channels`,
      );
    }
    return data;
  });
  const count = values.length;
  return {
    count,
    labels: checkedLabels(extras.labels, count),
    classNames: extras.classNames,
    names: checkedNames(extras.names, count),
    itemDims: (index) => [values[index].length / channels, channels],
    read: async (indices) => {
      checkIndices(count, indices);
      const length = values[indices[0]].length;
      const data = new Float32Array(indices.length * length);
      indices.forEach((item, k) => {
        if (values[item].length !== length) {
          throw new OptionError(
            'INVALID_INPUT',
            `sequences ${indices[0]} and ${item} differ in length; read one length at a time`,
          );
        }
        data.set(values[item], k * length);
      });
      return { data, dims: [indices.length, length / channels, channels] };
    },
    picture: async (index) => {
      checkIndices(count, [index]);
      return sequenceThumbnail(values[index], channels);
    },
  };
}

/**
 * The items in reading order, split into groups of at most `size` with equal item dims: consecutive items
 * when every item has the same dims, otherwise grouped by dims (first appearance order).
 */
export function readGroups(source: DatasetSource, size: number, items?: readonly number[]): number[][] {
  const all = items ?? Array.from({ length: source.count }, (_, i) => i);
  const byDims = new Map<string, number[]>();
  for (const i of all) {
    const key = source.itemDims(i).join('x');
    let group = byDims.get(key);
    if (!group) byDims.set(key, (group = []));
    group.push(i);
  }
  const out: number[][] = [];
  for (const group of byDims.values()) {
    for (let start = 0; start < group.length; start += size) out.push(group.slice(start, start + size));
  }
  return out;
}
