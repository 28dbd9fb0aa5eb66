/**
 * Runs a coalition graph (onnx/coalition-graph.ts) and returns the means group-major, as the Kernel SHAP solve
 * reads them. Rows path: packs the background once and each call's groups into a buffer kept per group count,
 * with its input, shape and (where the runtime writes into given outputs) output tensors made once too — a
 * stream has two group counts, full runs and its tail. First-layer path: see `firstLayerMeansRun`.
 */
import { RuntimeError } from '../errors.js';
import type { CoalitionMeansRequest, CoalitionMeansRun } from '../types.js';
import { COALITION_INPUTS, COALITION_MEANS, packBackground, packGroups } from './coalition-graph.js';
import type { AffineFirstLayer } from './first-layer.js';
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
        means: meansTensor(runtime, k, g),
      };
      bySize.set(g, t);
    }
    return t;
  };
  const run = async (masks: readonly Uint8Array[], queries: readonly Float32Array[]) => {
    const g = masks.length;
    const t = tensorsFor(g);
    packGroups(masks, queries, m, t.packed);
    const means = await runMeans(session, t.means, {
      [COALITION_INPUTS.background]: background,
      [COALITION_INPUTS.groups]: t.groups,
      [COALITION_INPUTS.shape]: t.shape,
    });
    return groupMajor(means, k, g);
  };
  return Object.assign(run, { path: 'rows' as const });
}

/** Packed runs of coalition flags kept at most (a stream of 1 024 coalitions in runs of 77 needs 14). */
const MAX_PACKED_RUNS = 256;

interface LayerTensors {
  masks: readonly Uint8Array[];
  packed: Float32Array;
  flags: OrtTensor;
  shape: OrtTensor;
  means?: OrtTensor;
}

/**
 * The first-layer path (`CoalitionGraphPath`): the layer's output at each background row b is computed once,
 * base[b·H + h] = offset[h] + Σ_f b_f·weight[f, h], and per query point the change of output h when feature f
 * takes the query's value, shifts[f, b·H + h] = (q_f − b_f)·weight[f, h] (both in float64, stored as float32);
 * a group's coalition z then gives base + z·shifts inside the graph. A call's groups are run one query point at a
 * time; the coalition flags of a call's masks are packed once and kept while the same masks come back.
 */
export function firstLayerMeansRun(
  runtime: OnnxRuntime,
  session: OrtSession,
  layer: AffineFirstLayer,
  numFeatures: number,
  request: CoalitionMeansRequest,
): CoalitionMeansRun {
  const m = numFeatures;
  const k = request.columns;
  const h = layer.hidden;
  const { weight, offset } = layer;
  const bg = request.background;
  const n = bg.length / m;
  const baseData = new Float32Array(n * h);
  for (let b = 0; b < n; b++) {
    for (let j = 0; j < h; j++) {
      let sum = offset[j];
      for (let f = 0; f < m; f++) sum += bg[b * m + f] * weight[f * h + j];
      baseData[b * h + j] = sum;
    }
  }
  const base = new runtime.Tensor('float32', baseData, [1, n * h]);
  const shiftData = new Float32Array(m * n * h);
  const shifts = new runtime.Tensor('float32', shiftData, [m, n * h]);
  const current = new Float32Array(m).fill(NaN);
  const setQuery = (q: Float32Array) => {
    let same = true;
    for (let f = 0; f < m; f++) same &&= Object.is(q[f], current[f]);
    if (same) return;
    current.set(q);
    for (let f = 0; f < m; f++) {
      const w = f * h;
      for (let b = 0; b < n; b++) {
        const d = q[f] - bg[b * m + f];
        const row = f * n * h + b * h;
        for (let j = 0; j < h; j++) shiftData[row + j] = d * weight[w + j];
      }
    }
  };
  // Packed flags by the call's first mask: a stream of query points repeats the same runs of coalitions.
  const byFirst = new Map<Uint8Array, LayerTensors>();
  const tensorsFor = (masks: readonly Uint8Array[]): LayerTensors => {
    const g = masks.length;
    const known = byFirst.get(masks[0]);
    if (known && known.masks.length === g && known.masks.every((z, i) => z === masks[i])) return known;
    if (byFirst.size >= MAX_PACKED_RUNS) byFirst.clear();
    const packed = new Float32Array(g * m);
    masks.forEach((z, i) => {
      for (let f = 0; f < m; f++) packed[i * m + f] = z[f] ? 1 : 0;
    });
    const t: LayerTensors = {
      masks: masks.slice(),
      packed,
      flags: new runtime.Tensor('float32', packed, [g, m]),
      shape: new runtime.Tensor('int64', BigInt64Array.from([k, g, n], BigInt), [3]),
      means: meansTensor(runtime, k, g),
    };
    byFirst.set(masks[0], t);
    return t;
  };
  const runOne = async (masks: readonly Uint8Array[], query: Float32Array) => {
    setQuery(query);
    const t = tensorsFor(masks);
    return runMeans(session, t.means, {
      [COALITION_INPUTS.masks]: t.flags,
      [COALITION_INPUTS.shifts]: shifts,
      [COALITION_INPUTS.base]: base,
      [COALITION_INPUTS.shape]: t.shape,
    });
  };
  const run = async (masks: readonly Uint8Array[], queries: readonly Float32Array[]) => {
    const g = masks.length;
    const out = new Float64Array(g * k);
    for (let first = 0; first < g;) {
      let end = first + 1;
      while (end < g && queries[end] === queries[first]) end++;
      const means = await runOne(first === 0 && end === g ? masks : masks.slice(first, end), queries[first]);
      const size = end - first;
      for (let o = 0; o < k; o++)
        for (let i = 0; i < size; i++) out[(first + i) * k + o] = means[o * size + i];
      first = end;
    }
    return out;
  };
  return Object.assign(run, { path: 'first-layer' as const });
}

function meansTensor(runtime: OnnxRuntime, k: number, g: number): OrtTensor | undefined {
  return runtime.preallocatedOutputs
    ? new runtime.Tensor('float32', new Float32Array(k * g), [k, g])
    : undefined;
}

async function runMeans(
  session: OrtSession,
  preallocated: OrtTensor | undefined,
  feeds: Record<string, OrtTensor>,
): Promise<Float32Array> {
  try {
    if (preallocated) {
      await session.run(feeds, { [COALITION_MEANS]: preallocated });
      return preallocated.data as Float32Array;
    }
    return (await session.run(feeds, [COALITION_MEANS]))[COALITION_MEANS].data as Float32Array;
  } catch (err) {
    throw new RuntimeError(
      'RUNTIME_ERROR',
      `ONNX Runtime failed to run the coalition graph: ${firstLine(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** [K, G] class-major from the graph; group-major for the solve. */
function groupMajor(means: Float32Array, k: number, g: number): Float64Array {
  const out = new Float64Array(g * k);
  for (let o = 0; o < k; o++) for (let i = 0; i < g; i++) out[i * k + o] = means[o * g + i];
  return out;
}
