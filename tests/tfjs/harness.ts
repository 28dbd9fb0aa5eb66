/**
 * Test harness: build a model with the TF.js layers API, give it seeded random weights, save it as a
 * model.json + weight bytes, convert it, and compare ONNX Runtime against TF.js's own `predict`
 * (WASM backend: the pure-JS CPU backend is far too slow for the real models).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { cloneModel, encodeModel, makeValueInfo, type ModelProto } from '../../src/onnx/proto.js';
import { fromTfjsLayers } from '../../src/tfjs/index.js';
import type { TfjsModelJson } from '../../src/tfjs/index.js';

export { tf };

let ready: Promise<void> | undefined;

/** Select the WASM backend once per test file. */
export function useWasmBackend(): Promise<void> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
    await tf.setBackend('wasm');
    await tf.ready();
  })();
  return ready;
}

/** Mulberry32: a small seeded generator, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, random: () => number, low = -1, high = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * random();
  return out;
}

/** Replace every weight with seeded uniform values; variances and BN scales stay positive. */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const random = seededRandom(seed);
  const tensors = model.weights.map((w) => {
    const shape = w.shape.map((d) => d ?? 1);
    const size = shape.reduce((a, b) => a * b, 1);
    const positive = /moving_variance|gamma/.test(w.originalName ?? w.name);
    const values = positive ? randomArray(size, random, 0.5, 1.5) : randomArray(size, random, -0.5, 0.5);
    return tf.tensor(values, shape);
  });
  model.setWeights(tensors);
  tensors.forEach((t) => t.dispose());
}

/** What `model.save` writes: model.json (with a weights manifest) and the weight bytes. */
export async function saveToJson(
  model: tf.LayersModel,
): Promise<{ modelJson: TfjsModelJson; weightData: Uint8Array }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved || !saved.weightSpecs || !saved.weightData) throw new Error('model.save produced no weights');
  const data =
    saved.weightData instanceof ArrayBuffer
      ? saved.weightData
      : await new Blob(saved.weightData).arrayBuffer();
  const modelJson = {
    format: saved.format,
    generatedBy: saved.generatedBy,
    convertedBy: saved.convertedBy ?? null,
    modelTopology: saved.modelTopology,
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: saved.weightSpecs }],
  } as TfjsModelJson;
  return { modelJson, weightData: new Uint8Array(data) };
}

export async function runOnnx(
  model: ModelProto,
  feeds: Record<string, { data: Float32Array; dims: number[] }>,
  outputs?: string[],
): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const session = await ort.InferenceSession.create(encodeModel(model));
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, t.dims);
    const result = await session.run(ortFeeds, outputs ?? session.outputNames);
    const out: Record<string, { data: Float32Array; dims: number[] }> = {};
    for (const [name, t] of Object.entries(result))
      out[name] = { data: t.data as Float32Array, dims: [...t.dims] };
    return out;
  } finally {
    await session.release();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}

export interface Comparison {
  diff: number;
  onnx: ModelProto;
  tfjsShape: number[];
  onnxShape: number[];
}

export interface CompareOptions {
  /** Bounds of the uniform random inputs; default [-1, 1]. */
  inputRange?: [number, number];
  /** Custom input values (e.g. integer token ids). */
  makeInput?: (size: number, random: () => number) => Float32Array;
  batch?: number;
}

/** Convert `model` via model.json + weight bytes, as a user would. */
export async function convert(model: tf.LayersModel): Promise<ModelProto> {
  const { modelJson, weightData } = await saveToJson(model);
  return fromTfjsLayers(modelJson, weightData);
}

/**
 * Convert `model` and run both on seeded random inputs of the model's input shapes (default batch 2).
 * Compares the first output.
 */
export async function compareWithTfjs(
  model: tf.LayersModel,
  seed: number,
  options: CompareOptions = {},
): Promise<Comparison> {
  const onnx = await convert(model);
  const random = seededRandom(seed + 1);
  const batch = options.batch ?? 2;
  const [low, high] = options.inputRange ?? [-1, 1];
  const inputNames = onnx.graph?.input?.map((i) => i.name ?? '') ?? [];
  const feeds: Record<string, { data: Float32Array; dims: number[] }> = {};
  const tfInputs = model.inputs.map((input, i) => {
    const dims = [batch, ...(input.shape.slice(1) as number[])];
    const size = dims.reduce((a, b) => a * b, 1);
    const data = options.makeInput ? options.makeInput(size, random) : randomArray(size, random, low, high);
    feeds[inputNames[i]] = { data, dims };
    return tf.tensor(data, dims);
  });
  const predicted = model.predict(tfInputs.length === 1 ? tfInputs[0] : tfInputs) as tf.Tensor;
  const expected = (await predicted.data()) as Float32Array;
  const tfjsShape = predicted.shape;
  predicted.dispose();
  tfInputs.forEach((t) => t.dispose());
  const outputName = onnx.graph?.output?.[0]?.name ?? '';
  const got = (await runOnnx(onnx, feeds, [outputName]))[outputName];
  return { diff: maxAbsDiff(got.data, expected), onnx, tfjsShape, onnxShape: got.dims };
}

/** A copy of the model that also outputs the given intermediate tensors. */
export function withOutputs(model: ModelProto, names: string[]): ModelProto {
  const copy = cloneModel(model);
  for (const name of names) copy.graph?.output?.push(makeValueInfo(name, undefined));
  return copy;
}

/** NHWC [n, h, w, c] data → NCHW, to compare with the importer's channels-first layer tensors. */
export function toNchw(data: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) out[((b * c + k) * h + y) * w + x] = data[((b * h + y) * w + x) * c + k];
  return out;
}
