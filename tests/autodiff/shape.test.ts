import { describe, it } from 'vitest';
import {
  DataType,
  floatTensor,
  int64Tensor,
  makeModel,
  makeNode,
  makeValueInfo,
} from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, oneOpModel, randomTensor, uniform } from './harness.js';

/** op(x) · w so that every output element gets its own weight (a plain identity would hide transposed order). */
function thenWeighted(nodes: ReturnType<typeof makeNode>[], outDims: number[], opset = 17) {
  const count = outDims.reduce((a, b) => a * b, 1);
  const w = Array.from({ length: count }, (_, i) => ((i * 7) % 11) - 5);
  return makeModel({
    nodes: [...nodes, makeNode('Mul', ['z', 'w'], ['y'])],
    inputs: [makeValueInfo('x', ['N', 2, 3, 4])],
    outputs: [makeValueInfo('y', undefined)],
    initializers: [floatTensor('w', outDims, w), int64Tensor('target', [3], [0, 4, 6])],
    opset,
  });
}

describe('reshape-like and copy rules vs finite differences', () => {
  const x = () => randomTensor(uniform(31), [3, 2, 3, 4]);
  it('Flatten at axis 1 and 2', async () => {
    await expectVjpMatchesFd(thenWeighted([makeNode('Flatten', ['x'], ['z'], { axis: 1 })], [24]), {
      x: x(),
    });
    await expectVjpMatchesFd(thenWeighted([makeNode('Flatten', ['x'], ['z'], { axis: 2 })], [12]), {
      x: x(),
    });
  });
  it('Reshape with 0 and an inferred size', async () => {
    await expectVjpMatchesFd(thenWeighted([makeNode('Reshape', ['x', 'target'], ['z'])], [4, 6]), { x: x() });
  });
  it('Identity and inference-mode Dropout (opsets 11 and 13)', async () => {
    await expectVjpMatchesFd(thenWeighted([makeNode('Identity', ['x'], ['z'])], [3, 4]), { x: x() });
    await expectVjpMatchesFd(
      thenWeighted([makeNode('Dropout', ['x'], ['z', 'mask'], { ratio: 0.5 })], [3, 4], 11),
      {
        x: x(),
      },
    );
    await expectVjpMatchesFd(thenWeighted([makeNode('Dropout', ['x'], ['z'])], [3, 4], 13), { x: x() });
  });
  it('Cast float → double → float', async () => {
    const nodes = [
      makeNode('Cast', ['x'], ['d'], { to: DataType.DOUBLE }),
      makeNode('Cast', ['d'], ['z'], { to: DataType.FLOAT }),
    ];
    await expectVjpMatchesFd(thenWeighted(nodes, [3, 4]), { x: x() });
  });
  it('a lone Reshape to [-1, 3] on a batch-dependent input', async () => {
    const model = oneOpModel({
      op: 'Reshape',
      inputs: [{ name: 'x', shape: ['N', 6] }],
      weights: [int64Tensor('s', [2], [-1, 3])],
    });
    await expectVjpMatchesFd(model, { x: randomTensor(uniform(32), [3, 6]) });
  });
});
