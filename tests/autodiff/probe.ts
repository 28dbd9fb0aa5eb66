/**
 * Running models and VJP graphs in tests (no vitest dependency, so benchmarks scripts can use it too): seeded
 * random tensors, shape probing like `Model` does (batch sizes 1 and 2), building and running a VJP graph.
 */
import * as ort from 'onnxruntime-node';
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
  fixed: Record<string, ort.Tensor> = {},
): Promise<Record<string, TensorData>> {
  const ortFeeds: Record<string, ort.Tensor> = { ...fixed };
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
  options: {
    output?: string;
    wrt?: string[];
    rule?: BackpropRule;
    shapes?: Record<string, number[]>;
    /** Feeds that are not differentiated (integer indices, shapes). */
    fixed?: Record<string, ort.Tensor>;
  } = {},
): Promise<VjpRun & { seed: TensorData }> {
  const fixed = options.fixed ?? {};
  const output = options.output ?? model.graph!.output![0].name!;
  const wrt = options.wrt ?? Object.keys(inputs);
  const shapes = options.shapes ?? (await probeShapes(model));
  const graph = buildVjpGraph(model, { output, wrt, rule: options.rule ?? 'gradient', shapes });
  let dY: TensorData;
  if (typeof seed === 'function') {
    const forward = await session(model);
    const y =
      (await runFeeds(forward, inputs, fixed))[output] ?? (await forwardValue(model, inputs, output, fixed));
    await forward.release();
    dY = seed(y.dims);
  } else dY = seed;
  const s = await session(graph.model);
  const feeds: Record<string, TensorData> = { [graph.seedName]: dY };
  const needed = new Set((graph.model.graph!.input ?? []).map((i) => i.name));
  for (const [k, v] of Object.entries(inputs)) if (needed.has(k)) feeds[k] = v;
  const neededFixed = Object.fromEntries(Object.entries(fixed).filter(([k]) => needed.has(k)));
  const out = await runFeeds(s, feeds, neededFixed);
  await s.release();
  return { graph, output: out[graph.outputName], grads: graph.gradNames.map((g) => out[g]), seed: dY };
}

/** Value of any tensor (output or intermediate) of `model`. */
export async function forwardValue(
  model: ModelProto,
  inputs: Record<string, TensorData>,
  name: string,
  fixed: Record<string, ort.Tensor> = {},
): Promise<TensorData> {
  const exposed = cloneModel(model);
  if (!(exposed.graph!.output ?? []).some((o) => o.name === name)) {
    exposed.graph!.output = [makeValueInfo(name, undefined)];
  }
  const s = await session(exposed);
  const out = await runFeeds(s, inputs, fixed);
  await s.release();
  return out[name];
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
