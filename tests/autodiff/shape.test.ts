import { describe, expect, it } from 'vitest';
import {
  DataType,
  floatTensor,
  int64Tensor,
  makeModel,
  makeNode,
  makeValueInfo,
} from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, oneOpModel, randomTensor, runVjp, uniform } from './harness.js';

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

describe('training-mode Dropout and zero-size Reshape', () => {
  it('training-mode Dropout: the gradient is dY·mask/(1 − ratio) with the forward pass’s own mask', async () => {
    const model = makeModel({
      nodes: [makeNode('Dropout', ['x', 'ratio', 'training'], ['y'])],
      inputs: [makeValueInfo('x', ['N', 4, 5])],
      outputs: [makeValueInfo('y', undefined)],
      initializers: [
        floatTensor('ratio', [], [0.25]),
        { name: 'training', dims: [], dataType: DataType.BOOL, int32Data: [1] },
      ],
      opset: 13,
    });
    // Inputs away from 0: an output of 0 means the element was dropped.
    const x = { data: Float32Array.from({ length: 60 }, (_, i) => 1 + i / 10), dims: [3, 4, 5] };
    const run = await runVjp(model, { x }, (d) => randomTensor(uniform(5), d));
    let dropped = 0;
    run.output.data.forEach((y, i) => {
      const kept = y !== 0;
      if (!kept) dropped++;
      else expect(y).toBeCloseTo(x.data[i] / 0.75, 5);
      expect(run.grads[0].data[i]).toBeCloseTo(kept ? run.seed.data[i] / 0.75 : 0, 5);
    });
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(60);
  });
  it('Dropout with training_mode false stays the identity', async () => {
    const model = makeModel({
      nodes: [makeNode('Dropout', ['x', 'ratio', 'training'], ['y'])],
      inputs: [makeValueInfo('x', ['N', 4])],
      outputs: [makeValueInfo('y', undefined)],
      initializers: [
        floatTensor('ratio', [], [0.5]),
        { name: 'training', dims: [], dataType: DataType.BOOL, int32Data: [0] },
      ],
      opset: 13,
    });
    await expectVjpMatchesFd(model, { x: randomTensor(uniform(6), [3, 4]) });
  });
  it('Reshape with allowzero to and from a zero-size shape', async () => {
    const model = makeModel({
      nodes: [makeNode('Reshape', ['x', 'shape'], ['y'], { allowzero: 1 })],
      inputs: [makeValueInfo('x', ['N', 3, 4])],
      outputs: [makeValueInfo('y', undefined)],
      initializers: [int64Tensor('shape', [3], [3, 4, 0])],
      opset: 14,
    });
    const run = await runVjp(
      model,
      { x: { data: new Float32Array(0), dims: [0, 3, 4] } },
      (d) => randomTensor(uniform(7), d),
      { shapes: { x: [0, 3, 4], shape: [3], y: [3, 4, 0] } },
    );
    expect(run.output.dims).toEqual([3, 4, 0]);
    expect(run.grads[0].dims).toEqual([0, 3, 4]);
  });
});
