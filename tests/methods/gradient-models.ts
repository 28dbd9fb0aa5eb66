/**
 * Small ONNX models for the gradient-method tests, each with a plain-JS reference of its maths so results
 * can be checked against an independent computation.
 */
import { encodeModel, floatTensor, makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';
import { loadModel } from '../../src/node/load.js';
import type { OnnxModel } from '../../src/model.js';
import { lcgValues } from './linear-models.js';

/**
 * A two-layer perceptron on [N, 1, 2, 2] images: flatten → h = x·W1 + b1 → r = relu(h) → y = r·W2 + b2.
 * Used to hand-compute guided backprop and deconvnet.
 */
export const MLP = {
  w1: Float32Array.from([0.5, -1.0, 0.25, -0.5, 0.75, 1.0, 1.0, 0.5, -0.25, 0.25, -0.5, 0.5]), // [4, 3]
  b1: Float32Array.from([0.1, -0.2, 0.05]),
  w2: Float32Array.from([1.0, -0.5, -2.0, 1.0, 0.5, 0.25]), // [3, 2]
  b2: Float32Array.from([0.0, 0.1]),
};

export async function mlpModel(): Promise<OnnxModel> {
  const proto = makeModel({
    nodes: [
      makeNode('Flatten', ['x'], ['flat'], { axis: 1 }, 'flatten'),
      makeNode('MatMul', ['flat', 'W1'], ['mm1'], {}, 'mm1'),
      makeNode('Add', ['mm1', 'B1'], ['h'], {}, 'add1'),
      makeNode('Relu', ['h'], ['r'], {}, 'relu'),
      makeNode('MatMul', ['r', 'W2'], ['mm2'], {}, 'mm2'),
      makeNode('Add', ['mm2', 'B2'], ['y'], {}, 'add2'),
    ],
    inputs: [makeValueInfo('x', ['N', 1, 2, 2])],
    outputs: [makeValueInfo('y', ['N', 2])],
    initializers: [
      floatTensor('W1', [4, 3], MLP.w1),
      floatTensor('B1', [3], MLP.b1),
      floatTensor('W2', [3, 2], MLP.w2),
      floatTensor('B2', [2], MLP.b2),
    ],
  });
  return loadModel(encodeModel(proto));
}

/** Hidden pre-activations h of the MLP for one flattened item. */
export function mlpHidden(x: ArrayLike<number>): number[] {
  return [0, 1, 2].map((j) => MLP.b1[j] + [0, 1, 2, 3].reduce((s, i) => s + x[i] * MLP.w1[i * 3 + j], 0));
}

/**
 * A small RGB CNN with an input spec: x [N, 3, S, S] → conv 3×3 pad 1 (F filters) → relu 'feat' → GAP →
 * flatten → Gemm (transB) 'logits' → softmax 'prob'. Its spec maps pixels p to (p/255 − 0.5)/0.25.
 */
export const RGB_CNN = {
  size: 8,
  filters: 6,
  classes: 3,
  convW: lcgValues(6 * 3 * 9, 21, -0.5, 0.5),
  convB: lcgValues(6, 23, -0.1, 0.3),
  /** [classes, filters] row-major (Gemm with transB). */
  fcW: lcgValues(3 * 6, 22, -1, 1),
  fcB: lcgValues(3, 24, -0.1, 0.1),
};

/** Reference: relu(conv3x3_pad1(x)) of one item [3, S, S] → [F, S, S]. */
export function rgbCnnFeatures(item: ArrayLike<number>): Float32Array {
  const { size: S, filters: F, convW, convB } = RGB_CNN;
  const out = new Float32Array(F * S * S);
  for (let f = 0; f < F; f++)
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++) {
        let sum = convB[f];
        for (let c = 0; c < 3; c++)
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const iy = y + ky - 1;
              const ix = x + kx - 1;
              if (iy < 0 || iy >= S || ix < 0 || ix >= S) continue;
              sum += convW[((f * 3 + c) * 3 + ky) * 3 + kx] * item[(c * S + iy) * S + ix];
            }
        out[(f * S + y) * S + x] = Math.max(0, sum);
      }
  return out;
}

/** Reference logits from the features of one item (GAP + linear). */
export function rgbCnnLogits(features: Float32Array): number[] {
  const { size: S, filters: F, classes: K, fcW, fcB } = RGB_CNN;
  const pooled = Array.from(
    { length: F },
    (_, f) => features.slice(f * S * S, (f + 1) * S * S).reduce((a, b) => a + b, 0) / (S * S),
  );
  return Array.from({ length: K }, (_, k) => fcB[k] + pooled.reduce((s, p, f) => s + p * fcW[k * F + f], 0));
}

export async function rgbCnnModel(
  options: {
    gap?: 'GlobalAveragePool' | 'ReduceMean' | 'none';
    /** NHWC input transposed once to NCHW layers, declared by `netlens.layerLayout` (like TF.js imports). */
    nhwcInput?: boolean;
  } = {},
): Promise<OnnxModel> {
  const { size, filters, classes } = RGB_CNN;
  const nhwc = options.nhwcInput === true;
  const gap = options.gap ?? 'GlobalAveragePool';
  const { convW, convB } = RGB_CNN;
  const fcW = gap === 'none' ? lcgValues(classes * filters * size * size, 22, -1, 1) : RGB_CNN.fcW;
  const nodes = [
    ...(nhwc ? [makeNode('Transpose', ['x'], ['x_nchw'], { perm: [0, 3, 1, 2] }, 'to_nchw')] : []),
    makeNode(
      'Conv',
      [nhwc ? 'x_nchw' : 'x', 'conv.W', 'conv.B'],
      ['conv'],
      { pads: [1, 1, 1, 1], kernel_shape: [3, 3] },
      'conv',
    ),
  ];
  nodes.push(makeNode('Relu', ['conv'], ['feat'], {}, 'relu'));
  if (gap === 'GlobalAveragePool') nodes.push(makeNode('GlobalAveragePool', ['feat'], ['pool'], {}, 'gap'));
  else if (gap === 'ReduceMean')
    nodes.push(makeNode('ReduceMean', ['feat'], ['pool'], { axes: [2, 3], keepdims: 1 }, 'gap'));
  nodes.push(makeNode('Flatten', gap === 'none' ? ['feat'] : ['pool'], ['flat'], { axis: 1 }, 'flatten'));
  nodes.push(makeNode('Gemm', ['flat', 'fc.W', 'fc.B'], ['logits'], { transB: 1 }, 'fc'));
  nodes.push(makeNode('Softmax', ['logits'], ['prob'], { axis: 1 }, 'softmax'));
  const proto = makeModel({
    nodes,
    inputs: [makeValueInfo('x', nhwc ? ['N', size, size, 3] : ['N', 3, size, size])],
    outputs: [makeValueInfo('prob', ['N', classes])],
    initializers: [
      floatTensor('conv.W', [filters, 3, 3, 3], convW),
      floatTensor('conv.B', [filters], convB),
      floatTensor('fc.W', [classes, gap === 'none' ? filters * size * size : filters], fcW),
      floatTensor('fc.B', [classes], RGB_CNN.fcB),
    ],
    metadata: {
      ...(nhwc ? { 'netlens.layerLayout': 'NCHW' } : {}),
      'netlens.labels': JSON.stringify(['red', 'green', 'blue']),
      'netlens.input': JSON.stringify({
        height: size,
        width: size,
        channels: 3,
        layout: nhwc ? 'NHWC' : 'NCHW',
        channelOrder: 'RGB',
        scale: 1 / 255,
        mean: [0.5, 0.5, 0.5],
        std: [0.25, 0.25, 0.25],
      }),
    },
  });
  return loadModel(encodeModel(proto));
}

/**
 * A tiny segmentation net: x [N, 1, 4, 4] → conv 1×1 (2 output channels, weights [1, −1], bias [0, 0])
 * 'scores' [N, 2, 4, 4] → softmax over channels. Class 1 wins where x < 0.
 */
export async function segModel(): Promise<OnnxModel> {
  const proto = makeModel({
    nodes: [
      makeNode('Conv', ['x', 'W', 'B'], ['scores'], { kernel_shape: [1, 1] }, 'conv'),
      makeNode('Softmax', ['scores'], ['prob'], { axis: 1 }, 'softmax'),
    ],
    inputs: [makeValueInfo('x', ['N', 1, 4, 4])],
    outputs: [makeValueInfo('prob', ['N', 2, 4, 4])],
    initializers: [floatTensor('W', [2, 1, 1, 1], [1, -1]), floatTensor('B', [2], [0, 0])],
    metadata: { 'netlens.labels': JSON.stringify(['background', 'thing']) },
  });
  return loadModel(encodeModel(proto));
}

export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  what = 'value',
): void {
  if (actual.length !== expected.length)
    throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= tolerance * scale)) {
      throw new Error(`${what}[${i}]: ${actual[i]} != ${expected[i]} (tolerance ${tolerance})`);
    }
  }
}

/** The [classes, filters·S·S] weights of `rgbCnnModel({gap: 'none'})` (flatten of the features → Gemm). */
export function rgbCnnDenseWeights(): Float32Array {
  const { size, filters, classes } = RGB_CNN;
  return lcgValues(classes * filters * size * size, 22, -1, 1);
}
