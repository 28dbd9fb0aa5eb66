/**
 * Runs a coalition graph (onnx/coalition-graph.ts): packs the background once and each call's groups into a
 * buffer kept per group count, with its input, shape and (where the runtime writes into given outputs) output
 * tensors made once too — a stream has two group counts, full runs and its tail — and returns the means
 * group-major, as the Kernel SHAP solve reads them.
 */
import { RuntimeError } from '../errors.js';
import type { CoalitionMeansRequest, CoalitionMeansRun } from '../types.js';
import { COALITION_INPUTS, COALITION_MEANS, packBackground, packGroups } from './coalition-graph.js';
import type { OnnxRuntime, OrtSession, OrtTensor } from './runtime.js';
import { firstLine } from './session.js';

interface RunTensors {
  packed: Float32Array;
  groups: OrtTensor;
  shape: OrtTensor;
  means?: OrtTensor;
}

export function coalitionMeansRun(
  runtime: OnnxRuntime,
  session: OrtSession,
  numFeatures: number,
  request: CoalitionMeansRequest,
): CoalitionMeansRun {
  const m = numFeatures;
  const k = request.columns;
  const n = request.background.length / m;
  const background = new runtime.Tensor('float32', packBackground(request.background, m), [m, n, 2]);
  const bySize = new Map<number, RunTensors>();
  const tensorsFor = (g: number): RunTensors => {
    let t = bySize.get(g);
    if (!t) {
      const packed = new Float32Array(m * 2 * g);
      t = {
        packed,
        groups: new runtime.Tensor('float32', packed, [m, 2, g]),
        shape: new runtime.Tensor('int64', BigInt64Array.from([k, n, g], BigInt), [3]),
        means: runtime.preallocatedOutputs
          ? new runtime.Tensor('float32', new Float32Array(k * g), [k, g])
          : undefined,
      };
      bySize.set(g, t);
    }
    return t;
  };
  return async (masks, queries) => {
    const g = masks.length;
    const t = tensorsFor(g);
    packGroups(masks, queries, m, t.packed);
    const feeds = {
      [COALITION_INPUTS.background]: background,
      [COALITION_INPUTS.groups]: t.groups,
      [COALITION_INPUTS.shape]: t.shape,
    };
    let means: Float32Array;
    try {
      if (t.means) {
        await session.run(feeds, { [COALITION_MEANS]: t.means });
        means = t.means.data as Float32Array;
      } else means = (await session.run(feeds, [COALITION_MEANS]))[COALITION_MEANS].data as Float32Array;
    } catch (err) {
      throw new RuntimeError(
        'RUNTIME_ERROR',
        `ONNX Runtime failed to run the coalition graph: ${firstLine(err)}`,
        {
          cause: err,
        },
      );
    }
    // [K, G] class-major from the graph; group-major for the solve.
    const out = new Float64Array(g * k);
    for (let o = 0; o < k; o++) for (let i = 0; i < g; i++) out[i * k + o] = means[o * g + i];
    return out;
  };
}
