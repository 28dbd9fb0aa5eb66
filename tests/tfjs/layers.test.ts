/**
 * Every supported layer in a small seeded-random model, converted and run by ONNX Runtime, against
 * TF.js's own predict (WASM backend). Odd input sizes and even kernels/strides exercise Keras's
 * asymmetric 'same' padding.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { supportedLayerClasses } from '../../src/tfjs/index.js';
import { compareWithTfjs, randomizeWeights, tf, useWasmBackend, type CompareOptions } from './harness.js';

type Layer = tf.layers.Layer;

interface Case {
  name: string;
  input: number[];
  layers: () => Layer[];
  options?: CompareOptions;
}

/** A Sequential model: an input of shape `input` (batch excluded) followed by `layers`. */
function sequential(input: number[], layers: Layer[]): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.inputLayer({ inputShape: input }));
  layers.forEach((layer) => model.add(layer));
  return model;
}

const conv = (
  filters: number,
  kernelSize: number,
  extra: Partial<Parameters<typeof tf.layers.conv2d>[0]> = {},
) => tf.layers.conv2d({ filters, kernelSize, padding: 'same', ...extra });

const cases: Case[] = [
  // Convolutions
  {
    name: 'Conv2D same, even kernel and stride, odd size',
    input: [9, 7, 3],
    layers: () => [conv(4, 2, { strides: 2 })],
  },
  { name: 'Conv2D same, kernel 4 stride 3', input: [10, 11, 2], layers: () => [conv(3, 4, { strides: 3 })] },
  {
    name: 'Conv2D valid stride 2, no bias, relu',
    input: [9, 8, 3],
    layers: () => [conv(5, 3, { strides: 2, padding: 'valid', useBias: false, activation: 'relu' })],
  },
  { name: 'Conv2D dilated same', input: [11, 9, 2], layers: () => [conv(3, 3, { dilationRate: 2 })] },
  {
    name: 'Conv2D rectangular kernel',
    input: [8, 9, 2],
    layers: () => [conv(3, 1, { kernelSize: [2, 3], strides: [1, 2] })],
  },
  {
    name: 'DepthwiseConv2D same, kernel 4 stride 2, multiplier 2',
    input: [10, 9, 3],
    layers: () => [
      tf.layers.depthwiseConv2d({ kernelSize: 4, strides: 2, depthMultiplier: 2, padding: 'same' }),
    ],
  },
  {
    name: 'DepthwiseConv2D valid with bias and relu6',
    input: [8, 8, 4],
    layers: () => [
      tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'valid', useBias: true, activation: 'relu6' }),
    ],
  },
  {
    name: 'SeparableConv2D same, kernel 2, multiplier 2, elu',
    input: [9, 8, 3],
    layers: () => [
      tf.layers.separableConv2d({
        filters: 5,
        kernelSize: 2,
        depthMultiplier: 2,
        padding: 'same',
        activation: 'elu',
      }),
    ],
  },
  {
    name: 'SeparableConv2D valid stride 2',
    input: [9, 9, 2],
    layers: () => [tf.layers.separableConv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'valid' })],
  },
  {
    name: 'Conv2DTranspose same, kernel 3 stride 2',
    input: [5, 4, 3],
    layers: () => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' })],
  },
  {
    name: 'Conv2DTranspose same, even kernel 4 stride 2',
    input: [4, 5, 2],
    layers: () => [tf.layers.conv2dTranspose({ filters: 3, kernelSize: 4, strides: 2, padding: 'same' })],
  },
  {
    name: 'Conv2DTranspose same, kernel 2 stride 3 (k < s)',
    input: [3, 4, 2],
    layers: () => [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: 'same' })],
  },
  {
    name: 'Conv2DTranspose valid, kernel 3 stride 2, sigmoid',
    input: [4, 3, 2],
    layers: () => [
      tf.layers.conv2dTranspose({
        filters: 2,
        kernelSize: 3,
        strides: 2,
        padding: 'valid',
        activation: 'sigmoid',
      }),
    ],
  },
  // Dense on any rank
  {
    name: 'Dense on 2-D with softmax',
    input: [6],
    layers: () => [tf.layers.dense({ units: 4, activation: 'softmax' })],
  },
  {
    name: 'Dense on 3-D (last axis)',
    input: [5, 6],
    layers: () => [tf.layers.dense({ units: 3, activation: 'tanh' })],
  },
  {
    name: 'Dense on a conv feature map (4-D)',
    input: [5, 4, 3],
    layers: () => [conv(4, 3), tf.layers.dense({ units: 2, useBias: false })],
  },
  // Normalization
  {
    name: 'BatchNormalization on 4-D',
    input: [5, 6, 4],
    layers: () => [conv(3, 3), tf.layers.batchNormalization({ epsilon: 0.01 })],
  },
  { name: 'BatchNormalization on 2-D', input: [7], layers: () => [tf.layers.batchNormalization({})] },
  {
    name: 'BatchNormalization on 3-D',
    input: [4, 5],
    layers: () => [tf.layers.batchNormalization({ center: false })],
  },
  {
    name: 'BatchNormalization without scale',
    input: [4, 4, 3],
    layers: () => [tf.layers.batchNormalization({ scale: false })],
  },
  // Activation layers
  {
    name: 'ReLU max_value',
    input: [4, 5, 3],
    layers: () => [conv(3, 3), tf.layers.reLU({ maxValue: 0.3 })],
    options: { inputRange: [-2, 2] },
  },
  { name: 'LeakyReLU', input: [4, 5, 3], layers: () => [conv(3, 3), tf.layers.leakyReLU({ alpha: 0.2 })] },
  {
    name: 'PReLU on 4-D, shared spatial axes',
    input: [4, 5, 3],
    layers: () => [conv(3, 3), tf.layers.prelu({ sharedAxes: [1, 2] })],
  },
  { name: 'PReLU on 4-D, per position', input: [4, 5, 3], layers: () => [conv(3, 3), tf.layers.prelu({})] },
  { name: 'PReLU on 2-D', input: [6], layers: () => [tf.layers.prelu({})] },
  {
    name: 'ELU',
    input: [4, 4, 2],
    layers: () => [conv(2, 3), tf.layers.elu({})],
    options: { inputRange: [-3, 3] },
  },
  { name: 'ThresholdedReLU', input: [5], layers: () => [tf.layers.thresholdedReLU({ theta: 0.2 })] },
  {
    name: 'Softmax layer on a 4-D map (channels)',
    input: [3, 4, 5],
    layers: () => [conv(4, 3), tf.layers.softmax({ axis: -1 })],
  },
  { name: 'Softmax layer on 2-D (TF.js default axis 1)', input: [5], layers: () => [tf.layers.softmax({})] },
  // Padding, cropping, resizing
  {
    name: 'ZeroPadding2D asymmetric',
    input: [4, 5, 2],
    layers: () => [
      conv(2, 3),
      tf.layers.zeroPadding2d({
        padding: [
          [1, 2],
          [0, 3],
        ],
      }),
    ],
  },
  {
    name: 'ZeroPadding2D symmetric int',
    input: [4, 5, 2],
    layers: () => [tf.layers.zeroPadding2d({ padding: 2 })],
  },
  {
    name: 'Cropping2D asymmetric',
    input: [7, 8, 2],
    layers: () => [
      conv(2, 3),
      tf.layers.cropping2D({
        cropping: [
          [1, 0],
          [2, 1],
        ],
      }),
    ],
  },
  {
    name: 'UpSampling2D nearest 2×3',
    input: [3, 4, 2],
    layers: () => [conv(2, 3), tf.layers.upSampling2d({ size: [2, 3] })],
  },
  {
    name: 'UpSampling2D bilinear',
    input: [3, 4, 2],
    layers: () => [conv(2, 3), tf.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear' })],
  },
  // Pooling
  {
    name: 'MaxPooling2D same, 3×3 stride 2',
    input: [8, 7, 3],
    layers: () => [tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' })],
  },
  {
    name: 'MaxPooling2D valid default stride',
    input: [9, 8, 2],
    layers: () => [tf.layers.maxPooling2d({ poolSize: 2 })],
  },
  {
    name: "AveragePooling2D 'same' excludes padding",
    input: [7, 5, 2],
    layers: () => [tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same' })],
    options: { inputRange: [1, 2] },
  },
  {
    name: 'AveragePooling2D same 3×3 stride 1',
    input: [5, 6, 2],
    layers: () => [tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' })],
    options: { inputRange: [1, 2] },
  },
  {
    name: 'AveragePooling2D valid 3×3 stride 2',
    input: [9, 7, 2],
    layers: () => [tf.layers.averagePooling2d({ poolSize: 3, strides: 2 })],
  },
  {
    name: 'GlobalAveragePooling2D',
    input: [5, 4, 3],
    layers: () => [conv(4, 3), tf.layers.globalAveragePooling2d({})],
  },
  {
    name: 'GlobalMaxPooling2D',
    input: [5, 4, 3],
    layers: () => [conv(4, 3), tf.layers.globalMaxPooling2d({})],
  },
  // Reshaping
  {
    name: 'Flatten a conv map (channels_last order)',
    input: [4, 3, 5],
    layers: () => [conv(3, 2), tf.layers.flatten(), tf.layers.dense({ units: 3 })],
  },
  { name: 'Flatten 3-D', input: [4, 3], layers: () => [tf.layers.flatten()] },
  {
    name: 'Reshape a conv map',
    input: [4, 6, 2],
    layers: () => [conv(3, 3), tf.layers.reshape({ targetShape: [12, 6] })],
  },
  {
    name: 'Reshape with -1 back to 4-D then conv',
    input: [24],
    layers: () => [tf.layers.reshape({ targetShape: [4, -1, 2] }), conv(2, 2)],
  },
  { name: 'Permute', input: [3, 4, 5], layers: () => [conv(2, 2), tf.layers.permute({ dims: [2, 3, 1] })] },
  // Identity at inference
  {
    name: 'Dropout, SpatialDropout1D, GaussianNoise, GaussianDropout are the identity',
    input: [5, 6],
    layers: () => [
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.spatialDropout1d({ rate: 0.5 }),
      tf.layers.gaussianNoise({ stddev: 1 }),
      tf.layers.gaussianDropout({ rate: 0.5 }),
      tf.layers.dense({ units: 2 }),
    ],
  },
  // Preprocessing and lookup
  {
    name: 'Rescaling',
    input: [4, 4, 3],
    layers: () => [tf.layers.rescaling({ scale: 1 / 127.5, offset: -1 }), conv(2, 3)],
    options: { inputRange: [0, 255] },
  },
  {
    name: 'Embedding',
    input: [6],
    layers: () => [tf.layers.embedding({ inputDim: 11, outputDim: 4 }), tf.layers.flatten()],
    options: { makeInput: (n, random) => Float32Array.from({ length: n }, () => Math.floor(random() * 11)) },
  },
];

const activations = [
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'softmax',
  'softplus',
  'softsign',
  'swish',
  'mish',
  'gelu',
  'gelu_new',
] as const;

for (const activation of activations) {
  cases.push({
    name: `Activation ${activation} on a 4-D map`,
    input: [3, 4, 3],
    layers: () => [conv(3, 3), tf.layers.activation({ activation })],
    options: { inputRange: [-3, 3] },
  });
  cases.push({
    name: `fused ${activation} in Dense`,
    input: [5],
    layers: () => [tf.layers.dense({ units: 4, activation })],
    options: { inputRange: [-3, 3] },
  });
}

describe('each layer against TF.js', () => {
  beforeAll(useWasmBackend);

  cases.forEach((c, i) => {
    it(c.name, async () => {
      const model = sequential(c.input, c.layers());
      randomizeWeights(model, 100 + i);
      const result = await compareWithTfjs(model, 100 + i, c.options);
      expect(result.onnxShape).toEqual(result.tfjsShape);
      expect(result.diff).toBeLessThan(1e-4);
      model.dispose();
    });
  });
});

describe('layer coverage', () => {
  it('every layer class the importer promises is registered', () => {
    const promised = [
      'InputLayer',
      'Conv2D',
      'DepthwiseConv2D',
      'SeparableConv2D',
      'Conv2DTranspose',
      'Dense',
      'BatchNormalization',
      'Activation',
      'ReLU',
      'LeakyReLU',
      'PReLU',
      'ELU',
      'Softmax',
      'ZeroPadding2D',
      'Cropping2D',
      'MaxPooling2D',
      'AveragePooling2D',
      'GlobalAveragePooling2D',
      'GlobalMaxPooling2D',
      'Flatten',
      'Reshape',
      'Permute',
      'Dropout',
      'SpatialDropout2D',
      'GaussianNoise',
      'Add',
      'Subtract',
      'Multiply',
      'Average',
      'Maximum',
      'Concatenate',
      'UpSampling2D',
      'Rescaling',
      'LSTM',
      'GRU',
      'Embedding',
    ];
    // InputLayer is handled by the topology walker itself, not by a converter.
    const registered = new Set([...supportedLayerClasses(), 'InputLayer']);
    expect(promised.filter((c) => !registered.has(c))).toEqual([]);
  });
});
