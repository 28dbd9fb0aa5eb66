import { describe, it } from 'vitest';
import { floatTensor, makeModel, makeNode, makeValueInfo, type AttrMap } from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import { expectVjpMatchesFd, randomTensor, uniform } from './harness.js';

interface ConvCase {
  name: string;
  /** Input dims for the run (batch first); the model sees the batch as symbolic. */
  x: number[];
  /** Weight dims: Conv [M, C/g, k…], ConvTranspose [C, M/g, k…]. */
  w: number[];
  attrs?: AttrMap;
  bias?: 'weight' | 'input';
  elementwise?: boolean;
}

async function check(op: 'Conv' | 'ConvTranspose', c: ConvCase, seed: number): Promise<void> {
  const rand = uniform(seed);
  const outChannels = op === 'Conv' ? c.w[0] : c.w[1] * Number(c.attrs?.group ?? 1);
  const w = floatTensor('w', c.w, randomTensor(rand, c.w).data);
  const bias = floatTensor('b', [outChannels], randomTensor(rand, [outChannels]).data);
  const feeds: Record<string, TensorData> = { x: randomTensor(rand, c.x) };
  const inputs = [{ name: 'x', shape: ['N', ...c.x.slice(1)] }];
  if (c.bias === 'input') {
    // A bias fed as a graph input needs a gradient: the sum of dY over batch and space.
    inputs.push({ name: 'b', shape: [outChannels] });
    feeds.b = randomTensor(rand, [outChannels]);
  }
  const model = makeModel({
    nodes: [makeNode(op, ['x', 'w', ...(c.bias ? ['b'] : [])], ['y'], c.attrs ?? {})],
    inputs: inputs.map((i) => makeValueInfo(i.name, i.shape)),
    outputs: [makeValueInfo('y', undefined)],
    initializers: c.bias === 'weight' ? [w, bias] : [w],
  });
  await expectVjpMatchesFd(model, feeds, { elementwise: c.elementwise });
}

const convCases: ConvCase[] = [
  { name: '3x3, pad 1', x: [2, 2, 5, 5], w: [3, 2, 3, 3], attrs: { pads: [1, 1, 1, 1] }, bias: 'weight' },
  {
    name: 'stride 2 dropping a row (output_padding 1)',
    x: [2, 2, 8, 7],
    w: [3, 2, 3, 3],
    attrs: { strides: [2, 2] },
  },
  {
    name: 'stride 3, kernel 2 (gaps between windows)',
    x: [1, 1, 8, 8],
    w: [2, 1, 2, 2],
    attrs: { strides: [3, 3] },
  },
  {
    name: 'dilation 2, asymmetric pads',
    x: [2, 2, 7, 6],
    w: [2, 2, 3, 3],
    attrs: { dilations: [2, 2], pads: [2, 1, 0, 2] },
  },
  {
    name: 'rectangular kernel and strides',
    x: [2, 3, 6, 9],
    w: [4, 3, 2, 3],
    attrs: { strides: [1, 2], pads: [0, 1, 1, 0] },
  },
  { name: 'groups 2', x: [2, 4, 5, 5], w: [6, 2, 3, 3], attrs: { group: 2, pads: [1, 1, 1, 1] } },
  {
    name: 'depthwise',
    x: [2, 3, 6, 6],
    w: [3, 1, 3, 3],
    attrs: { group: 3, strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  { name: 'depthwise with channel multiplier 2', x: [2, 2, 5, 5], w: [4, 1, 3, 3], attrs: { group: 2 } },
  {
    name: 'auto_pad SAME_UPPER, stride 2, odd size',
    x: [2, 2, 7, 6],
    w: [2, 2, 3, 3],
    attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] },
  },
  {
    name: 'auto_pad SAME_LOWER, stride 2, kernel 4',
    x: [2, 2, 7, 6],
    w: [2, 2, 4, 4],
    attrs: { auto_pad: 'SAME_LOWER', strides: [2, 2] },
  },
  {
    name: 'auto_pad SAME_UPPER, stride 1, kernel 2',
    x: [2, 1, 5, 4],
    w: [2, 1, 2, 2],
    attrs: { auto_pad: 'SAME_UPPER' },
  },
  { name: 'auto_pad VALID', x: [2, 2, 6, 5], w: [2, 2, 3, 2], attrs: { auto_pad: 'VALID', strides: [2, 1] } },
  { name: '1-D, stride 2, pads', x: [2, 3, 11], w: [2, 3, 3], attrs: { strides: [2], pads: [1, 0] } },
  { name: '3-D', x: [1, 2, 4, 4, 3], w: [2, 2, 2, 3, 2], attrs: { pads: [1, 0, 1, 0, 1, 0] } },
  {
    name: 'bias fed as an input',
    x: [2, 2, 4, 4],
    w: [3, 2, 3, 3],
    attrs: { pads: [1, 1, 1, 1] },
    bias: 'input',
  },
  {
    name: 'tiny, every element',
    x: [1, 2, 4, 4],
    w: [2, 2, 3, 3],
    attrs: { strides: [2, 2], pads: [1, 1, 1, 1] },
    elementwise: true,
  },
];

// 12+ input channels at stride 1 take the flipped-kernel Conv adjoint instead of ConvTranspose.
const flippedCases: ConvCase[] = [
  { name: '12 channels, 3x3 pad 1', x: [2, 12, 5, 4], w: [5, 12, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
  {
    name: '16 channels, 3x3 pad 1',
    x: [2, 16, 5, 5],
    w: [8, 16, 3, 3],
    attrs: { pads: [1, 1, 1, 1] },
    bias: 'weight',
  },
  {
    name: '16 channels, asymmetric pads, dilation 2',
    x: [2, 16, 7, 6],
    w: [4, 16, 3, 2],
    attrs: { pads: [2, 0, 1, 1], dilations: [2, 2] },
  },
  {
    name: '16 channels, groups 4',
    x: [2, 16, 5, 5],
    w: [8, 4, 3, 3],
    attrs: { group: 4, pads: [1, 1, 1, 1] },
  },
  {
    name: 'depthwise 16 channels, SAME_LOWER, even kernel',
    x: [2, 16, 5, 6],
    w: [16, 1, 2, 2],
    attrs: { group: 16, auto_pad: 'SAME_LOWER' },
  },
  {
    name: '16 channels, pads wider than the kernel (ConvTranspose fallback)',
    x: [1, 16, 3, 3],
    w: [4, 16, 1, 1],
    attrs: { pads: [1, 1, 1, 1] },
  },
  { name: '1-D, 24 channels', x: [2, 24, 9], w: [5, 24, 3], attrs: { pads: [2, 0] } },
  // Strided, many channels: ConvTranspose again.
  {
    name: '16 channels, stride 2 pad 1, even size',
    x: [2, 16, 6, 6],
    w: [8, 16, 3, 3],
    attrs: { strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  {
    name: '16 channels, stride 2, odd size, no pad',
    x: [2, 16, 7, 5],
    w: [4, 16, 3, 3],
    attrs: { strides: [2, 2] },
  },
  {
    name: 'depthwise 16 channels, stride 2 pad 1',
    x: [2, 16, 7, 6],
    w: [16, 1, 3, 3],
    attrs: { group: 16, strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  {
    name: '12 channels, stride 3, kernel 2 (gaps)',
    x: [1, 12, 8, 7],
    w: [3, 12, 2, 2],
    attrs: { strides: [3, 3] },
  },
  {
    name: '16 channels, strides (1, 2), dilation 2',
    x: [2, 16, 7, 8],
    w: [4, 16, 2, 3],
    attrs: { strides: [1, 2], dilations: [2, 2], pads: [1, 2, 0, 1] },
  },
  {
    name: '16 channels, SAME_UPPER stride 2',
    x: [2, 16, 5, 6],
    w: [4, 16, 3, 3],
    attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] },
  },
  {
    name: '1-D, 16 channels, stride 2',
    x: [2, 16, 10],
    w: [3, 16, 4],
    attrs: { strides: [2], pads: [1, 2] },
  },
];

const transposeCases: ConvCase[] = [
  {
    name: 'stride 2, pads 1, output_padding 1',
    x: [2, 3, 4, 4],
    w: [3, 2, 3, 3],
    attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] },
    bias: 'weight',
  },
  { name: 'stride 2, kernel 2 (upsampling)', x: [2, 2, 3, 3], w: [2, 2, 2, 2], attrs: { strides: [2, 2] } },
  {
    name: 'output_padding beyond the end pad',
    x: [2, 2, 3, 4],
    w: [2, 1, 3, 3],
    attrs: { strides: [3, 2], output_padding: [2, 1], pads: [0, 1, 1, 0] },
  },
  {
    name: 'groups and dilations',
    x: [2, 4, 4, 4],
    w: [4, 1, 3, 3],
    attrs: { group: 2, dilations: [2, 1], pads: [1, 0, 1, 1] },
  },
  { name: 'depthwise', x: [2, 3, 4, 4], w: [3, 1, 3, 3], attrs: { group: 3, strides: [2, 2] } },
  {
    name: 'auto_pad SAME_UPPER',
    x: [2, 2, 3, 4],
    w: [2, 2, 3, 3],
    attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] },
  },
  {
    name: 'auto_pad SAME_LOWER',
    x: [2, 2, 3, 4],
    w: [2, 2, 4, 3],
    attrs: { auto_pad: 'SAME_LOWER', strides: [2, 2] },
  },
  {
    name: 'output_shape',
    x: [2, 2, 3, 3],
    w: [2, 2, 3, 3],
    attrs: { strides: [2, 2], output_shape: [6, 5] },
  },
  // Past the full size (7 × 7 here) by less than a stride: rows and columns at the end that no input reaches.
  {
    name: 'output_shape larger than the full size',
    x: [2, 2, 3, 3],
    w: [2, 2, 3, 3],
    attrs: { strides: [3, 2], output_shape: [11, 8] },
    bias: 'input',
  },
  {
    name: 'output_shape larger than the full size, auto_pad SAME_UPPER, every element',
    x: [1, 1, 3, 2],
    w: [1, 2, 3, 3],
    attrs: { strides: [3, 2], output_shape: [10, 6], auto_pad: 'SAME_UPPER' },
    elementwise: true,
  },
  { name: '1-D', x: [2, 2, 5], w: [2, 3, 3], attrs: { strides: [2], pads: [1, 0] } },
  {
    name: 'tiny, every element',
    x: [1, 2, 3, 3],
    w: [2, 2, 3, 3],
    attrs: { strides: [2, 2], pads: [1, 1, 1, 1] },
    elementwise: true,
  },
];

describe('Conv rule vs finite differences', () => {
  convCases.forEach((c, i) => it(c.name, () => check('Conv', c, 100 + i)));
});

describe('Conv rule through the flipped-kernel adjoint', () => {
  flippedCases.forEach((c, i) => it(c.name, () => check('Conv', c, 150 + i)));
});

describe('ConvTranspose rule vs finite differences', () => {
  transposeCases.forEach((c, i) => it(c.name, () => check('ConvTranspose', c, 200 + i)));
});

describe('weights computed in the graph: their gradients vs finite differences', () => {
  const cases: { op: string; x: number[]; w: number[]; attrs: AttrMap }[] = [
    {
      op: 'Conv',
      x: [3, 4, 7, 6],
      w: [6, 2, 3, 2],
      attrs: { group: 2, strides: [2, 1], pads: [1, 0, 1, 1] },
    },
    { op: 'Conv', x: [3, 2, 8, 7], w: [3, 2, 2, 3], attrs: { dilations: [2, 1], pads: [2, 1, 1, 0] } },
    {
      op: 'ConvTranspose',
      x: [3, 4, 4, 3],
      w: [4, 3, 3, 2],
      attrs: { group: 2, strides: [2, 3], pads: [1, 0, 0, 1] },
    },
    {
      op: 'ConvTranspose',
      x: [3, 2, 3, 4],
      w: [2, 2, 2, 2],
      attrs: { dilations: [2, 1], output_padding: [1, 0], strides: [2, 1] },
    },
    {
      op: 'ConvTranspose',
      x: [3, 2, 3, 3],
      w: [2, 3, 3, 3],
      attrs: { strides: [3, 2], output_shape: [11, 8] },
    },
  ];
  for (const c of cases) {
    it(`${c.op} ${JSON.stringify(c.attrs)}`, async () => {
      const model = makeModel({
        nodes: [makeNode(c.op, ['x', 'w'], ['y'], c.attrs)],
        inputs: [makeValueInfo('x', ['N', ...c.x.slice(1)]), makeValueInfo('w', c.w)],
        outputs: [makeValueInfo('y', undefined)],
        opset: 17,
      });
      const rand = uniform(c.x.length * 13 + c.w[0]);
      await expectVjpMatchesFd(
        model,
        { x: randomTensor(rand, c.x), w: randomTensor(rand, c.w) },
        { eps: 1e-3, elementwise: false },
      );
    });
  }
});
