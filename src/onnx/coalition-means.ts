/**
 * Runs a coalition graph (onnx/coalition-graph.ts): packs the background once, each call's groups into one
 * reused buffer, and returns the means group-major, as the Kernel SHAP solve reads them.
 */
import { RuntimeError } from '../errors.js';
import type { CoalitionMeansRequest, CoalitionMeansRun } from '../types.js';
import { COALITION_INPUTS, COALITION_MEANS, packBackground, packGroups } from './coalition-graph.js';
import type { OnnxRuntime, OrtSession } from './runtime.js';
import { firstLine } from './session.js';

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
  let packed = new Float32Array(0);
  return async (masks, queries) => {
    const g = masks.length;
    if (packed.length < m * 2 * g) packed = new Float32Array(m * 2 * g);
    const feeds = {
      [COALITION_INPUTS.background]: background,
      [COALITION_INPUTS.groups]: new runtime.Tensor('float32', packGroups(masks, queries, m, packed), [
        m,
        2,
        g,
      ]),
      [COALITION_INPUTS.shape]: new runtime.Tensor('int64', BigInt64Array.from([k, n, g], BigInt), [3]),
    };
    let means: Float32Array;
    try {
      means = (await session.run(feeds, [COALITION_MEANS]))[COALITION_MEANS].data as Float32Array;
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
