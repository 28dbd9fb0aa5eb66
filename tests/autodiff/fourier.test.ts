import { describe, it } from 'vitest';
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
