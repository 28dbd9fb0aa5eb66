import { describe, expect, it } from 'vitest';
import { buildVjpGraph } from '../../src/autodiff/index.js';
import { int64Tensor, makeModel, makeNode, makeValueInfo, type AttrMap } from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, randomTensor, uniform } from './harness.js';

interface DftCase {
  name: string;
  /** Signal dims after the batch: [..., 1] real or [..., 2] complex. */
  dims: number[];
  attrs?: AttrMap;
  length?: number;
  axis?: number;
  opset: number;
}

const CASES: DftCase[] = [
  { name: 'complex forward along axis 1', dims: [6, 3, 2], opset: 17 },
  { name: 'real inverse along axis 2', dims: [3, 5, 1], attrs: { inverse: 1, axis: 2 }, opset: 17 },
  { name: 'real onesided, even length', dims: [8, 2, 1], attrs: { onesided: 1 }, opset: 17 },
  { name: 'real onesided, odd length', dims: [7, 1], attrs: { onesided: 1 }, opset: 17 },
  { name: 'dft_length pads the signal', dims: [5, 2], length: 8, opset: 17 },
  {
    name: 'dft_length cuts the signal, onesided',
    dims: [9, 1],
    length: 6,
    attrs: { onesided: 1 },
    opset: 17,
  },
  {
    name: 'axis as an input (opset 20), inverse',
    dims: [3, 6, 2],
    axis: -2,
    attrs: { inverse: 1 },
    opset: 20,
  },
];

describe('DFT vs finite differences', () => {
  for (const c of CASES) {
    it(`${c.name}, opset ${c.opset}`, async () => {
      const inputs = ['x', c.length === undefined ? '' : 'length'];
      const initializers = c.length === undefined ? [] : [int64Tensor('length', [], [c.length])];
      if (c.axis !== undefined) {
        inputs.push('axis');
        initializers.push(int64Tensor('axis', [], [c.axis]));
      }
      while (inputs[inputs.length - 1] === '') inputs.pop();
      const model = makeModel({
        nodes: [makeNode('DFT', inputs, ['y'], c.attrs ?? {})],
        inputs: [makeValueInfo('x', ['N', ...c.dims])],
        outputs: [makeValueInfo('y', undefined)],
        initializers,
        opset: c.opset,
      });
      await expectVjpMatchesFd(
        model,
        { x: randomTensor(uniform(c.dims.length + c.opset), [2, ...c.dims]) },
        {
          eps: 1e-3,
        },
      );
    });
  }
});

describe('STFT vs finite differences', () => {
  const cases: {
    name: string;
    parts: number;
    window: boolean;
    onesided: number;
    step: number;
    length: number;
  }[] = [
    {
      name: 'real signal, window fed, overlapping frames, onesided',
      parts: 1,
      window: true,
      onesided: 1,
      step: 3,
      length: 8,
    },
    {
      name: 'real signal, window fed, both sides',
      parts: 1,
      window: true,
      onesided: 0,
      step: 2,
      length: 6,
    },
    {
      name: 'real signal, frame_length only (rectangular), odd length',
      parts: 1,
      window: false,
      onesided: 1,
      step: 4,
      length: 7,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const initializers = [int64Tensor('step', [], [c.step])];
      if (!c.window) initializers.push(int64Tensor('frame_length', [], [c.length]));
      const model = makeModel({
        nodes: [
          makeNode(
            'STFT',
            ['signal', 'step', c.window ? 'window' : '', c.window ? '' : 'frame_length'],
            ['y'],
            {
              onesided: c.onesided,
            },
          ),
        ],
        inputs: [
          makeValueInfo('signal', ['N', 23, c.parts]),
          ...(c.window ? [makeValueInfo('window', [c.length])] : []),
        ],
        outputs: [makeValueInfo('y', undefined)],
        initializers,
        opset: 17,
      });
      model.graph!.node![0].input = model.graph!.node![0].input!.filter(
        (_, i, all) => i < 3 || all[i] !== '',
      );
      const rand = uniform(c.step + c.length);
      const inputs = {
        signal: randomTensor(rand, [2, 23, c.parts]),
        ...(c.window ? { window: randomTensor(rand, [c.length]) } : {}),
      };
      await expectVjpMatchesFd(model, inputs, { eps: 1e-3 });
    });
  }
});

describe('STFT of a complex signal', () => {
  it('is refused by name (the runtime does not compute it)', () => {
    const model = makeModel({
      nodes: [makeNode('STFT', ['signal', 'step', 'window'], ['y'], { onesided: 0 })],
      inputs: [makeValueInfo('signal', [1, 16, 2]), makeValueInfo('window', [4])],
      outputs: [makeValueInfo('y', undefined)],
      initializers: [int64Tensor('step', [], [2])],
      opset: 17,
    });
    const shapes = { signal: [1, 16, 2], window: [4], step: [], y: [1, 7, 4, 2] };
    expect(() => buildVjpGraph(model, { output: 'y', wrt: ['signal'], rule: 'gradient', shapes })).toThrow(
      /STFT node .*complex signal/,
    );
  });
});
