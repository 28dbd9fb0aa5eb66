/**
 * ONNX's backend test suite as an autodiff conformance check (no vitest dependency: the runner in
 * tools/conformance/ and the committed-selection test share it). A case is a folder with model.onnx and its
 * input_*.pb tensors. Each (float output, float input) pair of an in-scope case is differentiated and the VJP
 * compared with finite differences on the case's own inputs.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { NetlensError, UnsupportedError } from '../../src/errors.js';
import { GraphIndex } from '../../src/autodiff/graph.js';
import {
  DataType,
  cloneModel,
  decodeModel,
  decodeTensor,
  makeValueInfo,
  onnx,
  opsetVersion,
  type ModelProto,
  type TensorProto,
} from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import { OutputShapeChanged, compareVjpWithFd } from './fd.js';
import { forwardValue, runVjp, session, uniform } from './probe.js';

export interface ConformanceCase {
  name: string;
  model: ModelProto;
  /** Float32 feeds (differentiable), by graph input name. */
  floats: Record<string, TensorData>;
  /** Every other feed (integer, bool, double), as the runtime takes it. */
  fixed: Record<string, ort.Tensor>;
  floatOutputs: string[];
}

/** Ops with no derivative to check: random draws, training-only and sequence ops, quantization. */
const OUT_OF_SCOPE_OPS = new Set([
  'Bernoulli',
  'RandomNormal',
  'RandomNormalLike',
  'RandomUniform',
  'RandomUniformLike',
  'Multinomial',
  'Adagrad',
  'Adam',
  'Momentum',
  'Gradient',
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'SequenceAt',
  'SequenceConstruct',
  'SequenceEmpty',
  'SequenceErase',
  'SequenceInsert',
  'SequenceLength',
  'SequenceMap',
  'SplitToSequence',
  'ConcatFromSequence',
  'Optional',
  'OptionalGetElement',
  'OptionalHasElement',
  'StringNormalizer',
  'TfIdfVectorizer',
]);

const ORT_TYPES: Record<number, ort.Tensor.Type> = {
  [DataType.FLOAT]: 'float32',
  [DataType.DOUBLE]: 'float64',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.INT16]: 'int16',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8',
  [DataType.UINT16]: 'uint16',
  [DataType.BOOL]: 'bool',
};

function toOrtTensor(t: TensorProto): ort.Tensor {
  const { dims, dataType, data } = decodeTensor(t);
  const type = ORT_TYPES[dataType];
  if (!type) throw new NetlensError('INVALID_INPUT', `input of unsupported element type ${dataType}`);
  if (type === 'float32') return new ort.Tensor('float32', data as Float32Array, dims);
  if (type === 'float64') return new ort.Tensor('float64', Float64Array.from(data), dims);
  if (type === 'int64') return new ort.Tensor('int64', BigInt64Array.from(data as number[], BigInt), dims);
  if (type === 'bool') return new ort.Tensor('bool', Uint8Array.from(data as number[]), dims);
  const arrays = {
    int32: Int32Array,
    int16: Int16Array,
    int8: Int8Array,
    uint8: Uint8Array,
    uint16: Uint16Array,
  };
  return new ort.Tensor(type, arrays[type as keyof typeof arrays].from(data as number[]), dims);
}

/** Reads model.onnx and input_<i>.pb (in graph-input order) from a case folder. */
export async function loadCase(dir: string, name = path.basename(dir)): Promise<ConformanceCase> {
  const model = decodeModel(await readFile(path.join(dir, 'model.onnx')), name);
  const index = new GraphIndex(model);
  const files = (await readdir(dir)).filter((f) => /^input_\d+\.pb$/.test(f));
  files.sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
  const floats: Record<string, TensorData> = {};
  const fixed: Record<string, ort.Tensor> = {};
  for (const [i, file] of files.entries()) {
    const feed = index.feeds[i];
    if (!feed) break;
    const proto = onnx.TensorProto.decode(await readFile(path.join(dir, file)));
    if ((proto.dataType ?? 0) === DataType.FLOAT) {
      const { data, dims } = decodeTensor(proto);
      floats[feed] = { data: data as Float32Array, dims };
    } else fixed[feed] = toOrtTensor(proto);
  }
  const floatOutputs = (model.graph!.output ?? [])
    .map((o) => o.name ?? '')
    .filter((o) => index.elemType.get(o) === DataType.FLOAT);
  return { name, model, floats, fixed, floatOutputs };
}

export type Scope = { inScope: true } | { inScope: false; reason: string };

/** Whether a case has a derivative to check: float32 in and out, no random/training/sequence op, opset 11+. */
export function scopeOf(c: ConformanceCase): Scope {
  const ops = new Set((c.model.graph!.node ?? []).map((n) => n.opType ?? ''));
  const excluded = [...ops].filter((op) => OUT_OF_SCOPE_OPS.has(op));
  if (excluded.length > 0)
    return { inScope: false, reason: `op without a derivative: ${excluded.join(', ')}` };
  const foreign = (c.model.opsetImport ?? []).filter((o) => o.domain && o.domain !== 'ai.onnx');
  if (foreign.length > 0) return { inScope: false, reason: `domain ${foreign[0].domain}` };
  if (Object.keys(c.floats).length === 0) return { inScope: false, reason: 'no float32 input' };
  if (c.floatOutputs.length === 0) return { inScope: false, reason: 'no float32 output' };
  if (Object.values(c.floats).some((t) => t.data.length === 0) && Object.keys(c.floats).length === 1) {
    return { inScope: false, reason: 'empty input' };
  }
  return { inScope: true };
}

/** Whether the forward pass draws random numbers (training-mode Dropout): no finite difference applies. */
export function isRandom(c: ConformanceCase): boolean {
  return (c.model.graph!.node ?? []).some((n) => {
    if (n.opType !== 'Dropout' || !n.input?.[2]) return false;
    const ratio = n.input[1] ? c.floats[n.input[1]]?.data[0] : 0.5;
    return ratio !== 0;
  });
}

export type Outcome =
  | 'pass'
  | 'kink'
  | 'edge'
  | 'noise'
  | 'unchecked'
  | 'refused'
  | 'wrong'
  | 'not-finite'
  | 'vjp-rejected'
  | 'error'
  | 'built';

export interface PairResult {
  output: string;
  wrt: string;
  outcome: Outcome;
  detail: string;
  /** Largest FD error / tolerance. */
  worst?: number;
}

/** Shapes of every tensor from one run on the case's own inputs (all static). */
export async function probeCaseShapes(c: ConformanceCase): Promise<Record<string, number[]>> {
  const index = new GraphIndex(c.model);
  const exposed = cloneModel(c.model);
  const known = new Set((exposed.graph!.output ?? []).map((o) => o.name));
  for (const node of index.nodes) {
    for (const out of node.output ?? []) {
      if (!out || known.has(out)) continue;
      known.add(out);
      exposed.graph!.output!.push(makeValueInfo(out, undefined, index.elemType.get(out) ?? DataType.FLOAT));
    }
  }
  const s = await session(exposed);
  const feeds: Record<string, ort.Tensor> = { ...c.fixed };
  for (const [k, v] of Object.entries(c.floats)) feeds[k] = new ort.Tensor('float32', v.data, v.dims);
  const out = await s.run(feeds);
  await s.release();
  const shapes: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(c.floats)) shapes[k] = [...v.dims];
  for (const [k, v] of Object.entries(c.fixed)) shapes[k] = [...v.dims];
  for (const [k, v] of Object.entries(out)) shapes[k] = [...v.dims];
  return shapes;
}

/** Central-difference steps tried in turn: a pair passes when one of them agrees with the VJP. */
const STEPS = [1e-3, 1e-2, 1e-4, 1e-5];

/**
 * Differentiates one (output, wrt) pair and checks it against finite differences. Ties and kinks in the
 * suite's inputs can put a kink within ε of an input, so a failing check is retried with other steps before
 * the pair counts as wrong.
 */
export async function checkPair(
  c: ConformanceCase,
  output: string,
  wrt: string,
  shapes: Record<string, number[]>,
): Promise<PairResult> {
  const others = Object.fromEntries(
    Object.entries(c.floats)
      .filter(([k]) => k !== wrt)
      .map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]),
  );
  const fixed = { ...c.fixed, ...others };
  let last = '';
  let worst = Infinity;
  const size = c.floats[wrt].data.length;
  for (const eps of STEPS) {
    try {
      const report = await compareVjpWithFd(
        c.model,
        { [wrt]: c.floats[wrt] },
        // Large inputs: sparse random directions, so that few elements move at once (max-like ops).
        { output, wrt: [wrt], eps, shapes, fixed, directions: 2, sparsity: size > 4096 ? 16 : undefined },
      );
      if (report.grads.some((g) => g.data.some((v) => !Number.isFinite(v)))) {
        return {
          output,
          wrt,
          outcome: 'not-finite',
          detail: 'the gradient is not finite at these inputs (outside the domain)',
        };
      }
      worst = Math.min(worst, report.worst);
      if (report.failures.length === 0) return { output, wrt, outcome: 'pass', detail: `eps ${eps}`, worst };
      last = report.failures[0];
    } catch (error) {
      const classified = classifyError(error);
      const offDomain =
        error instanceof OutputShapeChanged ||
        (classified.outcome === 'vjp-rejected' && (await vjpRuns(c, output, wrt, shapes, fixed)));
      if (offDomain) {
        return (
          (await retryInsideDomain(c, output, wrt, shapes, fixed)) ?? {
            output,
            wrt,
            outcome: 'unchecked',
            detail: `the runtime refuses the forward pass at the input ± ε: ${classified.detail}`,
          }
        );
      }
      return { output, wrt, ...classified };
    }
  }
  try {
    return (
      (await retryOffKinks(c, output, wrt, shapes, fixed, last, worst)) ?? {
        output,
        wrt,
        outcome: 'wrong',
        detail: last,
        worst,
      }
    );
  } catch (error) {
    // The perturbed input changes the output's shape (Range at a jump of its length): no difference applies.
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { output, wrt, outcome: 'unchecked', detail: `${last}; off the kink: ${message}`, worst };
  }
}

/** Whether the VJP graph of the pair builds and runs on the case's own inputs. */
async function vjpRuns(
  c: ConformanceCase,
  output: string,
  wrt: string,
  shapes: Record<string, number[]>,
  fixed: Record<string, ort.Tensor>,
): Promise<boolean> {
  try {
    const ones = (dims: number[]): TensorData => ({
      data: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(1),
      dims,
    });
    await runVjp(c.model, { [wrt]: c.floats[wrt] }, ones, { output, wrt: [wrt], shapes, fixed });
    return true;
  } catch {
    return false;
  }
}

/** Whether the forward pass runs at `value` for `wrt`, with the output's shape unchanged. */
async function keepsShape(
  c: ConformanceCase,
  output: string,
  wrt: string,
  value: Float32Array,
  fixed: Record<string, ort.Tensor>,
  dims: number[],
): Promise<boolean> {
  try {
    const y = await forwardValue(
      c.model,
      { [wrt]: { data: value, dims: c.floats[wrt].dims } },
      output,
      fixed,
    );
    return y.dims.join(',') === dims.join(',');
  } catch {
    return false;
  }
}

/** Most elements probed one by one for whether the runtime lets them move. */
const MAX_PROBED_ELEMENTS = 64;

/**
 * An input on the edge of the op's domain: the VJP runs there, but on one side of it the runtime refuses the
 * forward pass (MelWeightMatrix's lower edge at 0 Hz) or the output changes shape (a Resize scale at a jump
 * of ⌊in·scale⌋). The input is moved 1e-2 (relative) one way, then the other, and compared there. Where
 * single elements cannot move at all (a Resize scale the runtime requires to be exactly 1), they stay
 * and the check runs along the others. Undefined when neither side can be checked.
 */
async function retryInsideDomain(
  c: ConformanceCase,
  output: string,
  wrt: string,
  shapes: Record<string, number[]>,
  fixed: Record<string, ort.Tensor>,
): Promise<PairResult | undefined> {
  const x = c.floats[wrt].data;
  const dims = shapes[output];
  if (!dims) return undefined;
  for (const side of [1, -1]) {
    const step = (v: number): number => side * 1e-2 * (1 + Math.abs(v));
    let movable = new Uint8Array(x.length).fill(1);
    if (
      !(await keepsShape(
        c,
        output,
        wrt,
        x.map((v) => v + step(v)),
        fixed,
        dims,
      ))
    ) {
      if (x.length > MAX_PROBED_ELEMENTS) continue;
      movable = new Uint8Array(x.length);
      for (let e = 0; e < x.length; e++) {
        const one = x.map((v, i) => (i === e ? v + step(v) : v));
        const back = x.map((v, i) => (i === e ? v + step(v) / 2 : v));
        if (
          (await keepsShape(c, output, wrt, one, fixed, dims)) &&
          (await keepsShape(c, output, wrt, back, fixed, dims))
        )
          movable[e] = 1;
      }
    }
    const count = movable.reduce((a, b) => a + b, 0);
    if (count === 0) continue;
    const moved = x.map((v, e) => (movable[e] ? v + step(v) : v));
    try {
      const report = await compareVjpWithFd(
        c.model,
        { [wrt]: { data: moved, dims: c.floats[wrt].dims } },
        { output, wrt: [wrt], eps: 1e-3, shapes, fixed, directions: 2, movable: { [wrt]: movable } },
      );
      const along =
        count === x.length ? '' : ` (along the ${count} of ${x.length} elements the runtime lets move)`;
      if (report.failures.length === 0) {
        return {
          output,
          wrt,
          outcome: 'edge',
          detail: `at a jump of the output's size or the edge of the op's domain: passes moved ${side > 0 ? 'up' : 'down'} by 1e-2${along}`,
          worst: report.worst,
        };
      }
      return { output, wrt, outcome: 'wrong', detail: report.failures[0] + along, worst: report.worst };
    } catch {
      // The runtime refuses this side too: try the other.
    }
  }
  return undefined;
}

/** The retries of a failing pair: off a kink, then within measured float32 noise; undefined if both fail. */
async function retryOffKinks(
  c: ConformanceCase,
  output: string,
  wrt: string,
  shapes: Record<string, number[]>,
  fixed: Record<string, ort.Tensor>,
  last: string,
  worst: number,
): Promise<PairResult | undefined> {
  const size = c.floats[wrt].data.length;
  // An input exactly at a kink (Relu-like ops at 0, ties of a max): no derivative there, and the central
  // difference is the mean of the one-sided slopes. Each element moved by a distinct amount between 5e-3
  // and 1e-2 either way is off a kink at its old place, and tied elements come apart.
  const rand = uniform(17);
  const n = size;
  const ranks = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [ranks[i], ranks[j]] = [ranks[j], ranks[i]];
  }
  const moved = c.floats[wrt].data.map((v, i) => v + (rand() < 0.5 ? -1 : 1) * 5e-3 * (1 + ranks[i] / n));
  const report = await compareVjpWithFd(
    c.model,
    { [wrt]: { data: moved, dims: c.floats[wrt].dims } },
    { output, wrt: [wrt], eps: 1e-4, shapes, fixed, directions: 2 },
  );
  if (report.failures.length === 0) {
    return { output, wrt, outcome: 'kink', detail: `at a kink: passes 1e-2 away (${last})`, worst };
  }
  // Long internal sums (a mean loss over thousands of elements) round at a scale the output's magnitude
  // does not show: measured from second differences, that noise may be what the check failed on.
  const noisy = await compareVjpWithFd(
    c.model,
    { [wrt]: c.floats[wrt] },
    { output, wrt: [wrt], eps: 1e-2, shapes, fixed, directions: 2, measuredNoise: true },
  );
  if (noisy.failures.length === 0) {
    return { output, wrt, outcome: 'noise', detail: `within measured float32 noise (${last})`, worst };
  }
  return undefined;
}

export function classifyError(error: unknown): { outcome: Outcome; detail: string } {
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  if (error instanceof UnsupportedError) return { outcome: 'refused', detail: message };
  if (/onnxruntime|Non-zero status|Load model|ORT|session/i.test(message))
    return { outcome: 'vjp-rejected', detail: message };
  return { outcome: 'error', detail: message };
}

/** Every (float output, float input) pair of a case. */
export function pairsOf(c: ConformanceCase): [string, string][] {
  return c.floatOutputs.flatMap((o) => Object.keys(c.floats).map((w): [string, string] => [o, w]));
}

/** Opset of the case's model (for the table). */
export function caseOpset(c: ConformanceCase): number {
  return opsetVersion(c.model);
}

/** Op types of the case's nodes, sorted. */
export function caseOps(c: ConformanceCase): string[] {
  return [...new Set((c.model.graph!.node ?? []).map((n) => n.opType ?? ''))].sort();
}
