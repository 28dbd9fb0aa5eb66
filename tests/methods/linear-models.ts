/**
 * Image models whose class scores are a known linear function of the pixels, scores = W·flatten(x) + b,
 * built as ONNX graphs (Flatten → MatMul → Add [→ Softmax]) so methods can be checked against exact maths.
 */
import { encodeModel, floatTensor, makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';
import type { NodeProto } from '../../src/onnx/proto.js';
import { loadModel } from '../../src/node/load.js';
import type { Model } from '../../src/types.js';

export interface LinearImageModel {
  model: Model;
  /** [classes][C*H*W] weights over the flattened input item (in the model's own layout). */
  weights: Float32Array[];
  bias: Float32Array;
  itemDims: number[];
}

/** Deterministic values in [lo, hi) (LCG), independent of the library's generator. */
export function lcgValues(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (hi - lo) * (state / 2 ** 32);
  }
  return out;
}

export async function linearImageModel(options: {
  itemDims: number[];
  classes: number;
  weights?: (cls: number, index: number) => number;
  bias?: number[];
  softmax?: boolean;
  labels?: string[];
  seed?: number;
}): Promise<LinearImageModel> {
  const size = options.itemDims.reduce((a, b) => a * b, 1);
  const K = options.classes;
  const random = lcgValues(size * K, options.seed ?? 7);
  const weights = Array.from({ length: K }, (_, k) =>
    Float32Array.from({ length: size }, (_, i) =>
      options.weights ? options.weights(k, i) : random[k * size + i],
    ),
  );
  const bias = Float32Array.from(options.bias ?? new Array(K).fill(0));
  // MatMul weight is [size, K]: column k holds class k.
  const matrix = new Float32Array(size * K);
  for (let k = 0; k < K; k++) for (let i = 0; i < size; i++) matrix[i * K + k] = weights[k][i];
  const nodes: NodeProto[] = [
    makeNode('Flatten', ['x'], ['flat'], { axis: 1 }, 'flatten'),
    makeNode('MatMul', ['flat', 'W'], ['mm'], {}, 'matmul'),
    makeNode('Add', ['mm', 'B'], [options.softmax ? 'logits' : 'y'], {}, 'add'),
  ];
  if (options.softmax) nodes.push(makeNode('Softmax', ['logits'], ['y'], { axis: 1 }, 'softmax'));
  const proto = makeModel({
    nodes,
    inputs: [makeValueInfo('x', ['N', ...options.itemDims])],
    outputs: [makeValueInfo('y', ['N', K])],
    initializers: [floatTensor('W', [size, K], matrix), floatTensor('B', [K], bias)],
    metadata: options.labels ? { 'netlens.labels': JSON.stringify(options.labels) } : undefined,
  });
  const model = await loadModel(encodeModel(proto));
  return { model, weights, bias, itemDims: options.itemDims };
}

/** W_k · x + b_k for one flattened item. */
export function linearScore(m: LinearImageModel, cls: number, item: ArrayLike<number>): number {
  let s = m.bias[cls];
  const w = m.weights[cls];
  for (let i = 0; i < w.length; i++) s += w[i] * item[i];
  return s;
}

export function softmax(values: number[]): number[] {
  const max = Math.max(...values);
  const e = values.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/**
 * For a model linear in the pixels, switching segment s off (its pixels -> replacement(s, c)) changes
 * class t's logit by -Σ_{p in s, c} W[t, c, p] (x[c, p] - replacement(s, c)); switched on it adds nothing.
 * So the score is exactly linear in the on/off vector with these coefficients.
 */
export function segmentWeights(
  m: LinearImageModel,
  target: number,
  x: Float32Array,
  labels: Int32Array,
  count: number,
  [C, H, W]: [number, number, number],
  layout: 'NCHW' | 'NHWC',
  replacement: 'image-mean' | 'segment-mean',
): number[] {
  const at = (c: number, p: number) => (layout === 'NCHW' ? c * H * W + p : p * C + c);
  const meanOver = (pixels: number[], c: number) =>
    pixels.reduce((acc, p) => acc + x[at(c, p)], 0) / pixels.length;
  const all = Array.from({ length: H * W }, (_, p) => p);
  const imageMeans = Array.from({ length: C }, (_, c) => meanOver(all, c));
  const out: number[] = [];
  for (let s = 0; s < count; s++) {
    const pixels = all.filter((p) => labels[p] === s);
    let a = 0;
    for (let c = 0; c < C; c++) {
      const value = replacement === 'image-mean' ? imageMeans[c] : meanOver(pixels, c);
      for (const p of pixels) a += m.weights[target][at(c, p)] * (x[at(c, p)] - value);
    }
    out.push(a);
  }
  return out;
}
