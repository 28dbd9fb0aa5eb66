/**
 * Gradient graphs of models whose item dims vary (a free time length) are built for one length at a time and
 * unrolled over it, which makes them thousands of small nodes. ONNX Runtime plans the memory of such a graph
 * far faster (measured 4–6× on the unrolled sequence-lstm gradient) when every input dim is concrete: with a
 * symbolic batch size it cannot prove two buffers the same size and its reuse search grows with the graph.
 * So these sessions are built for a batch size too, drawn from a few buckets (powers of two up to the
 * mini-batch size), and batches are padded with zero items up to a multiple of it.
 */
import { OptionError } from '../errors.js';
import type { TensorData } from '../types.js';
import type { ModelProto } from './proto.js';
import { placeAlong, sliceAlong } from './session.js';

/** The session batch for `count` items in parts of at most `miniBatch`: the next power of two, capped. */
export function batchBucket(count: number, miniBatch: number): number {
  if (!(count >= 1)) throw new OptionError('INVALID_INPUT', 'the batch is empty (batch size 0)');
  let bucket = 1;
  while (bucket < count && bucket < miniBatch) bucket *= 2;
  return Math.min(bucket, miniBatch);
}

/**
 * Declare concrete dims on `model`'s graph inputs (in place): `dims[name]` for each input named there. Returns
 * false, changing nothing, when an input is missing from `dims` or a dim there is not a positive integer.
 */
export function declareInputDims(model: ModelProto, dims: Record<string, readonly number[]>): boolean {
  const inputs = model.graph?.input ?? [];
  const known = inputs.every((vi) => {
    const d = dims[vi.name ?? ''];
    const declared = vi.type?.tensorType?.shape?.dim;
    return d && declared && declared.length === d.length && d.every((v) => Number.isInteger(v) && v > 0);
  });
  if (!known) return false;
  for (const vi of inputs) {
    vi.type!.tensorType!.shape!.dim = dims[vi.name!].map((v) => ({ dimValue: v }));
  }
  return true;
}

/** `t` with zero items appended along `axis` up to `size` items. */
export function padItems(t: TensorData, axis: number, size: number): TensorData {
  if (t.dims[axis] === size) return t;
  const dims = [...t.dims];
  dims[axis] = size;
  const padded = { data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims };
  placeAlong(padded, t, axis, 0);
  return padded;
}

/** The first `count` items of `t` along `axis`, as a copy of its own. */
export function firstItems(t: TensorData, axis: number, count: number): TensorData {
  if (t.dims[axis] === count) return t;
  const part = sliceAlong(t, axis, 0, count);
  return { data: Float32Array.from(part.data), dims: part.dims };
}
