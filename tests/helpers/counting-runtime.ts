import * as ort from 'onnxruntime-node';
import type { OnnxRuntime } from '../../src/onnx/runtime.js';

/** The real runtime, counting session creations. */
export function countingRuntime(): { runtime: OnnxRuntime; created: () => number } {
  let created = 0;
  const runtime: OnnxRuntime = {
    InferenceSession: {
      create: (bytes, options) => {
        created++;
        return ort.InferenceSession.create(bytes, options);
      },
    },
    Tensor: ort.Tensor,
  };
  return { runtime, created: () => created };
}
