/**
 * Test harness for VJP rules: probe shapes like `Model` does (batch sizes 1 and 2), build the VJP graph, run
 * it with onnxruntime-node, and compare it with central finite differences of ⟨output, dY⟩.
 */
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { buildVjpGraph, type VjpGraph } from '../../src/autodiff/index.js';
import { GraphIndex } from '../../src/autodiff/graph.js';
import {
  DataType,
  cloneModel,
  encodeModel,
  makeModel,
  makeNode,
  makeValueInfo,
  valueInfoShape,
  type AttrMap,
  type ModelProto,
  type TensorProto,
} from '../../src/onnx/proto.js';
import type { BackpropRule, TensorData } from '../../src/types.js';

// ---------------------------------------------------------------------------------------------------------
// Seeded randomness

/** mulberry32: small, fast, seedable uniform generator in [0, 1). */
export function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normals(rand: () => number, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = Math.max(rand(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  }
  return out;
}

const size = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

export function randomTensor(rand: () => number, dims: number[]): TensorData {
  return { data: normals(rand, size(dims)), dims };
}

/**
 * Values far from every kink of piecewise-linear ops (0 for Relu, ties for max): a random permutation of a
 * grid with spacing `gap`, centred on zero with the grid point 0 itself left out.
 */
export function wellSeparated(rand: () => number, dims: number[], gap = 0.1): TensorData {
  const n = size(dims);
  const values = Array.from(
    { length: n },
    (_, i) => (i - Math.floor(n / 2) + (i >= Math.floor(n / 2) ? 0.5 : -0.5)) * gap,
  );
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return { data: Float32Array.from(values), dims };
}

/** Strictly positive values (for Log, Sqrt, Pow with fractional exponents). */
export function positive(rand: () => number, dims: number[], low = 0.5, high = 2): TensorData {
  return { data: Float32Array.from({ length: size(dims) }, () => low + (high - low) * rand()), dims };
}

// ---------------------------------------------------------------------------------------------------------
// Running models

const sessionOptions: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };

export async function session(model: ModelProto): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(model), sessionOptions);
}

export function toOrt(t: TensorData): ort.Tensor {
  return new ort.Tensor('float32', t.data, t.dims);
}

export function fromOrt(t: ort.Tensor): TensorData {
  return { data: t.data as Float32Array, dims: [...t.dims] };
}

export async function runFeeds(
  s: ort.InferenceSession,
  feeds: Record<string, TensorData>,
): Promise<Record<string, TensorData>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = toOrt(v);
  const out = await s.run(ortFeeds);
  const result: Record<string, TensorData> = {};
  for (const [k, v] of Object.entries(out)) result[k] = fromOrt(v);
  return result;
}

/**
 * Shapes of every tensor for batch sizes 1 and 2 (symbolic input dims take the batch size); dims that differ
 * become -1, as `Model` reports them.
 */
export async function probeShapes(model: ModelProto, seed = 7): Promise<Record<string, number[]>> {
  const index = new GraphIndex(model);
  const exposed = cloneModel(model);
  const known = new Set((exposed.graph!.output ?? []).map((o) => o.name));
  for (const node of index.nodes) {
    for (const out of node.output ?? []) {
      if (!out || known.has(out)) continue;
      known.add(out);
      exposed.graph!.output!.push(makeValueInfo(out, undefined, index.elemType.get(out) ?? DataType.FLOAT));
    }
  }
  const s = await session(exposed);
  const rand = uniform(seed);
  const byBatch: Record<string, number[]>[] = [];
  for (const batch of [1, 2]) {
    const feeds: Record<string, ort.Tensor> = {};
    const shapes: Record<string, number[]> = {};
    for (const vi of exposed.graph!.input ?? []) {
      if (!vi.name || !index.feeds.includes(vi.name)) continue;
      const dims = (valueInfoShape(vi) ?? []).map((d) => (typeof d === 'number' ? d : batch));
      feeds[vi.name] = toOrt(randomTensor(rand, dims));
      shapes[vi.name] = dims;
    }
    const out = await s.run(feeds);
    for (const [k, v] of Object.entries(out)) shapes[k] = [...v.dims];
    byBatch.push(shapes);
  }
  await s.release();
  const shapes: Record<string, number[]> = {};
  for (const [name, dims] of Object.entries(byBatch[0])) {
    const other = byBatch[1][name];
    shapes[name] = dims.map((d, i) => (other && other[i] === d ? d : -1));
  }
  return shapes;
}

// ---------------------------------------------------------------------------------------------------------
// VJP vs finite differences

export interface VjpRun {
  graph: VjpGraph;
  output: TensorData;
  grads: TensorData[];
}

export async function runVjp(
  model: ModelProto,
  inputs: Record<string, TensorData>,
  seed: TensorData | ((outputDims: number[]) => TensorData),
  options: { output?: string; wrt?: string[]; rule?: BackpropRule; shapes?: Record<string, number[]> } = {},
): Promise<VjpRun & { seed: TensorData }> {
  const output = options.output ?? model.graph!.output![0].name!;
  const wrt = options.wrt ?? Object.keys(inputs);
  const shapes = options.shapes ?? (await probeShapes(model));
  const graph = buildVjpGraph(model, { output, wrt, rule: options.rule ?? 'gradient', shapes });
  let dY: TensorData;
  if (typeof seed === 'function') {
    const forward = await session(model);
    const y = (await runFeeds(forward, inputs))[output] ?? (await forwardValue(model, inputs, output));
    await forward.release();
    dY = seed(y.dims);
  } else dY = seed;
  const s = await session(graph.model);
  const feeds: Record<string, TensorData> = { [graph.seedName]: dY };
  const needed = new Set((graph.model.graph!.input ?? []).map((i) => i.name));
  for (const [k, v] of Object.entries(inputs)) if (needed.has(k)) feeds[k] = v;
  const out = await runFeeds(s, feeds);
  await s.release();
  return { graph, output: out[graph.outputName], grads: graph.gradNames.map((g) => out[g]), seed: dY };
}

/** Value of any tensor (output or intermediate) of `model`. */
export async function forwardValue(
  model: ModelProto,
  inputs: Record<string, TensorData>,
  name: string,
): Promise<TensorData> {
  const exposed = cloneModel(model);
  if (!(exposed.graph!.output ?? []).some((o) => o.name === name)) {
    exposed.graph!.output = [makeValueInfo(name, undefined)];
  }
  const s = await session(exposed);
  const out = await runFeeds(s, inputs);
  await s.release();
  return out[name];
}

export interface FdOptions {
  output?: string;
  /** Defaults to every input in `inputs`. */
  wrt?: string[];
  rule?: BackpropRule;
  /** Step of the central difference (default 1e-2: exact for piecewise-linear ops away from kinks). */
  eps?: number;
  /** Random directions besides the gradient's own direction (default 3). */
  directions?: number;
  /** Compare every element against its own central difference (default: when the inputs are small). */
  elementwise?: boolean;
  /** Relative tolerance (default 2e-3). */
  rtol?: number;
  seed?: number;
  shapes?: Record<string, number[]>;
}

export interface FdReport {
  /** Largest error / tolerance seen over all checks (<= 1 means pass). */
  worst: number;
  checks: number;
  grads: TensorData[];
}

/**
 * Checks ⟨VJP, v⟩ against (f(x+εv) − f(x−εv)) / 2ε for f(x) = ⟨output(x), dY⟩ along the gradient's own
 * direction, along random directions, and (on small inputs) element by element. Float32 rounding of f is
 * accounted for by an absolute term that scales with Σ|y·dY| / ε.
 */
export async function expectVjpMatchesFd(
  model: ModelProto,
  inputs: Record<string, TensorData>,
  options: FdOptions = {},
): Promise<FdReport> {
  const output = options.output ?? model.graph!.output![0].name!;
  const wrt = options.wrt ?? Object.keys(inputs);
  const eps = options.eps ?? 1e-2;
  const rtol = options.rtol ?? 2e-3;
  const rand = uniform(options.seed ?? 1234);
  const vjp = await runVjp(model, inputs, (dims) => randomTensor(rand, dims), {
    output,
    wrt,
    rule: options.rule,
    shapes: options.shapes,
  });
  const forward = await session(model);
  const exposedOutput = (model.graph!.output ?? []).some((o) => o.name === output);
  const evalModel = exposedOutput ? forward : await session(withOutput(model, output));
  const f = async (
    shift: Record<string, Float32Array>,
    scale: number,
  ): Promise<{ value: number; magnitude: number }> => {
    const feeds: Record<string, TensorData> = {};
    for (const [k, v] of Object.entries(inputs)) {
      const d = shift[k];
      feeds[k] = d ? { data: v.data.map((x, i) => x + scale * d[i]), dims: v.dims } : v;
    }
    const y = (await runFeeds(evalModel, feeds))[output];
    let value = 0;
    let magnitude = 0;
    for (let i = 0; i < y.data.length; i++) {
      value += y.data[i] * vjp.seed.data[i];
      magnitude += Math.abs(y.data[i] * vjp.seed.data[i]);
    }
    return { value, magnitude };
  };
  let worst = 0;
  let checks = 0;
  const gradNorm = Math.sqrt(vjp.grads.reduce((s, g) => s + dot(g.data, g.data), 0));
  const check = async (direction: Record<string, Float32Array>, label: string): Promise<void> => {
    const plus = await f(direction, eps);
    const minus = await f(direction, -eps);
    const fd = (plus.value - minus.value) / (2 * eps);
    const predicted = wrt.reduce(
      (s, w, i) => s + (direction[w] ? dot(vjp.grads[i].data, direction[w]) : 0),
      0,
    );
    const vNorm = Math.sqrt(Object.values(direction).reduce((s, v) => s + dot(v, v), 0));
    const n = Object.values(direction).reduce((s, v) => s + v.length, 0);
    const typical = (gradNorm * vNorm) / Math.sqrt(n);
    const roundoff = (8 * 6e-8 * Math.max(plus.magnitude, minus.magnitude)) / eps;
    const tolerance = rtol * (Math.abs(predicted) + typical) + roundoff + 1e-7;
    const ratio = Math.abs(fd - predicted) / tolerance;
    worst = Math.max(worst, ratio);
    checks++;
    expect(
      ratio,
      `${label}: VJP·v = ${predicted}, finite difference = ${fd}, tolerance ${tolerance}`,
    ).toBeLessThanOrEqual(1);
  };

  // The gradient's own direction: catches wrong scale as well as wrong sign.
  if (gradNorm > 0) {
    const own: Record<string, Float32Array> = {};
    wrt.forEach((w, i) => (own[w] = vjp.grads[i].data.map((g) => g / gradNorm)));
    await check(own, 'gradient direction');
  }
  for (let k = 0; k < (options.directions ?? 3); k++) {
    const v: Record<string, Float32Array> = {};
    for (const w of wrt) v[w] = normals(rand, inputs[w].data.length);
    await check(v, `random direction ${k}`);
  }
  const total = wrt.reduce((s, w) => s + inputs[w].data.length, 0);
  if (options.elementwise ?? total <= 96) {
    for (const [i, w] of wrt.entries()) {
      for (let e = 0; e < inputs[w].data.length; e++) {
        const basis = new Float32Array(inputs[w].data.length);
        basis[e] = 1;
        await check({ [w]: basis }, `element ${e} of ${w} (VJP ${vjp.grads[i].data[e]})`);
      }
    }
  }
  await forward.release();
  if (evalModel !== forward) await evalModel.release();
  return { worst, checks, grads: vjp.grads };
}

/** A model of one node: float inputs with the given (symbolic 'N' allowed) shapes, weights as initializers. */
export function oneOpModel(parts: {
  op: string;
  inputs: { name: string; shape: (number | string)[] }[];
  /** Extra node inputs after the fed ones: initializers or '' for an omitted optional input. */
  weights?: TensorProto[];
  extraInputs?: string[];
  attrs?: AttrMap;
  outputs?: number;
  opset?: number;
}): ModelProto {
  const weights = parts.weights ?? [];
  const nodeInputs = [
    ...parts.inputs.map((i) => i.name),
    ...(parts.extraInputs ?? weights.map((w) => w.name!)),
  ];
  const outputs = Array.from({ length: parts.outputs ?? 1 }, (_, i) => (i === 0 ? 'y' : `y${i}`));
  return makeModel({
    nodes: [makeNode(parts.op, nodeInputs, outputs, parts.attrs ?? {}, 'the_node')],
    inputs: parts.inputs.map((i) => makeValueInfo(i.name, i.shape)),
    outputs: [makeValueInfo('y', undefined)],
    initializers: weights,
    opset: parts.opset ?? 17,
  });
}

function withOutput(model: ModelProto, name: string): ModelProto {
  const copy = cloneModel(model);
  copy.graph!.output = [makeValueInfo(name, undefined)];
  return copy;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
