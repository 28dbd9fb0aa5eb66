/**
 * Where the items and the spatial (or time) positions are in a layer's tensor, found by running the model on
 * one item in three forms, and the per-item reductions over those positions.
 *
 * - Batch axis: the axis that grows from 1 to 2 when the item is fed twice. Most layers are batched along
 *   axis 0, but recurrent layers are time-major (an ONNX LSTM output is [T, directions, N, hidden]).
 * - Reduced axes, for a model whose input has free dims besides the batch (a sequence length, a fully
 *   convolutional image size): the axes that change when the item is tiled to twice its length along those
 *   dims. Otherwise (fixed-size images) every axis after the channel axis, with channels first after the
 *   batch axis, the layer layout of every network netlens imports.
 */
import { OptionError, UnsupportedError } from '../../errors.js';
import type { Model, TensorData } from '../../types.js';
import { product } from '../batch.js';

/** 'last': the last position along the reduced axes (a sequence's last time step, MATLAB's OutputAs 'last'). */
export type DatasetReduction = 'flatten' | 'mean' | 'max' | 'last';
export const REDUCTIONS: readonly DatasetReduction[] = ['flatten', 'mean', 'max', 'last'];

export interface LayerLayout {
  /** Axis of the layer tensor that indexes the items. */
  batchAxis: number;
  /** Axes averaged or maximised away by 'mean' / 'max' (spatial or time positions). */
  reducedAxes: number[];
  /** Dims of the layer for the probe item (batch axis included, of size 1). */
  itemDims: number[];
}

export interface Rows {
  /** n × features, row-major. */
  data: Float32Array;
  n: number;
  features: number;
}

/** Input axes (batch excluded, so 1-based in the batch) whose size the model leaves free. */
function freeInputAxes(model: Model): number[] {
  const input = model.inputs.find((i) => i.name === model.inputName);
  const shape = input?.shape ?? [];
  const out: number[] = [];
  for (let axis = 1; axis < shape.length; axis++) if (typeof shape[axis] !== 'number') out.push(axis);
  return out;
}

/** The item repeated twice along each of `axes` (a batch of one stays a batch of one). */
function tileAlong(item: TensorData, axes: readonly number[]): TensorData {
  let current = item;
  for (const axis of axes) {
    const dims = [...current.dims];
    const outer = product(dims.slice(0, axis));
    const block = product(dims.slice(axis));
    const data = new Float32Array(current.data.length * 2);
    for (let o = 0; o < outer; o++) {
      const from = current.data.subarray(o * block, (o + 1) * block);
      data.set(from, o * 2 * block);
      data.set(from, o * 2 * block + block);
    }
    dims[axis] *= 2;
    current = { data, dims };
  }
  return current;
}

/** Probe the layout of `layer` with `item`, a batch of one model input. */
export async function probeLayerLayout(model: Model, layer: string, item: TensorData): Promise<LayerLayout> {
  const run = async (batch: TensorData): Promise<number[]> =>
    (await model.activations(batch, [layer], { miniBatchSize: batch.dims[0] }))[layer].dims;
  const one = await run(item);
  const twice = { data: new Float32Array(item.data.length * 2), dims: [2, ...item.dims.slice(1)] };
  twice.data.set(item.data);
  twice.data.set(item.data, item.data.length);
  const two = await run(twice);
  const grown = one.map((d, axis) => (d === 1 && two[axis] === 2 ? axis : -1)).filter((a) => a >= 0);
  if (two.length !== one.length || grown.length !== 1 || one.some((d, a) => a !== grown[0] && d !== two[a])) {
    throw new UnsupportedError(
      'UNSUPPORTED_LAYER',
      `layer '${layer}' has no single batch axis (dims [${one.join(', ')}] for one item, [${two.join(', ')}] for two)`,
    );
  }
  const batchAxis = grown[0];
  const free = freeInputAxes(model);
  let reducedAxes: number[];
  if (free.length > 0) {
    const longer = await run(tileAlong(item, free));
    reducedAxes = one
      .map((d, axis) => (axis !== batchAxis && longer[axis] !== d ? axis : -1))
      .filter((a) => a >= 0);
  } else {
    const channelAxis = batchAxis === 0 ? 1 : 0;
    reducedAxes = one.map((_, axis) => axis).filter((axis) => axis !== batchAxis && axis > channelAxis);
  }
  return { batchAxis, reducedAxes, itemDims: one };
}

/**
 * One row per item of a layer tensor: every value in layout order ('flatten'), or the mean / max over the
 * reduced axes, the remaining axes in layout order forming the features.
 */
export function reduceRows(tensor: TensorData, layout: LayerLayout, reduction: DatasetReduction): Rows {
  const dims = tensor.dims;
  const { batchAxis } = layout;
  const reduced = new Set(reduction === 'flatten' ? [] : layout.reducedAxes);
  const n = dims[batchAxis];
  if (dims.length !== layout.itemDims.length || !(n >= 0)) {
    throw new UnsupportedError(
      'UNSUPPORTED_LAYER',
      `layer tensor dims [${dims.join(', ')}] do not match the probed layout [${layout.itemDims.join(', ')}]`,
    );
  }
  // Per axis: how far one step moves the feature index, and how many positions are pooled together.
  const featureStep = new Array<number>(dims.length).fill(0);
  let features = 1;
  for (let axis = dims.length - 1; axis >= 0; axis--) {
    if (axis === batchAxis || reduced.has(axis)) continue;
    featureStep[axis] = features;
    features *= dims[axis];
  }
  const pooled = [...reduced].reduce((size, axis) => size * dims[axis], 1);
  const values = tensor.data;
  const trailing = [...reduced].every((axis) => axis >= dims.length - reduced.size);
  if (batchAxis === 0 && trailing) {
    // Items first and the pooled positions last: each output is one contiguous run of `pooled` values.
    return { data: poolRuns(values, n * features, pooled, reduction), n, features };
  }
  const sums = new Float64Array(n * features).fill(reduction === 'max' ? -Infinity : 0);
  const index = new Array<number>(dims.length).fill(0);
  const last = dims.length - 1;
  // Walk the tensor in memory order with an odometer over the multi-index.
  for (let e = 0; e < values.length; e++) {
    let feature = 0;
    for (let axis = 0; axis <= last; axis++) feature += index[axis] * featureStep[axis];
    const at = index[batchAxis] * features + feature;
    const v = values[e];
    if (reduction === 'last') {
      if ([...reduced].every((axis) => index[axis] === dims[axis] - 1)) sums[at] = v;
    } else if (reduction === 'max') {
      if (v > sums[at] || Number.isNaN(v)) sums[at] = v;
    } else sums[at] += v;
    for (let axis = last; axis >= 0; axis--) {
      if (++index[axis] < dims[axis]) break;
      index[axis] = 0;
    }
  }
  const out = new Float32Array(sums.length);
  for (let i = 0; i < out.length; i++) out[i] = reduction === 'mean' ? sums[i] / pooled : sums[i];
  return { data: out, n, features };
}

/** Mean or max of each run of `size` consecutive values (a copy for 'flatten' or size 1). */
function poolRuns(
  values: Float32Array,
  runs: number,
  size: number,
  reduction: DatasetReduction,
): Float32Array {
  if (reduction === 'flatten' || size === 1) return Float32Array.from(values);
  const out = new Float32Array(runs);
  for (let r = 0; r < runs; r++) {
    const base = r * size;
    if (reduction === 'last') out[r] = values[base + size - 1];
    else if (reduction === 'max') {
      let m = -Infinity;
      for (let i = 0; i < size; i++) {
        const v = values[base + i];
        if (v > m || Number.isNaN(v)) m = v;
      }
      out[r] = m;
    } else {
      let sum = 0;
      for (let i = 0; i < size; i++) sum += values[base + i];
      out[r] = sum / size;
    }
  }
  return out;
}

export function checkReduction(value: string | undefined, fallback: DatasetReduction): DatasetReduction {
  const reduction = value ?? fallback;
  if (!REDUCTIONS.includes(reduction as DatasetReduction)) {
    throw new OptionError(
      'INVALID_OPTION',
      `reduction must be one of ${REDUCTIONS.join(', ')}, got '${String(value)}'`,
    );
  }
  return reduction as DatasetReduction;
}
