/**
 * The floor every figure is compared to: raw ONNX Runtime batch forward on the unmodified model, with the
 * same thread settings netlens uses, timed in the same run as the method being measured.
 */
import * as ort from 'onnxruntime-node';
import type { TensorData } from '../types.js';
import { measure, type Timing } from './timing.js';

export interface Floor {
  /** Median time of one batch forward. */
  batchMs: number;
  batch: number;
  perItemMs: number;
  timing: Timing;
}

export async function rawForwardFloor(
  modelBytes: Uint8Array,
  inputName: string,
  input: TensorData,
  repeats = 7,
): Promise<Floor> {
  const session = await ort.InferenceSession.create(modelBytes, { graphOptimizationLevel: 'all' });
  try {
    const tensor = new ort.Tensor('float32', input.data, input.dims);
    const timing = await measure(() => session.run({ [inputName]: tensor }), repeats, 2);
    return {
      batchMs: timing.medianMs,
      batch: input.dims[0],
      perItemMs: timing.medianMs / input.dims[0],
      timing,
    };
  } finally {
    await session.release();
  }
}
