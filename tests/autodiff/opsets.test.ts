import { describe, expect, it } from 'vitest';
import { floatTensor, makeModel, makeNode, makeValueInfo, type ModelProto } from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, randomTensor, runVjp, uniform, wellSeparated } from './harness.js';

/**
 * One small network, written in the ops whose signatures differ across opsets (ReduceSum / Unsqueeze axes,
 * ScatterElements reduction, Softmax axis semantics are all exercised by its backward pass).
 */
function network(opset: number): ModelProto {
  const rand = uniform(900);
  const w = (name: string, dims: number[], scale = 0.5) =>
    floatTensor(
      name,
      dims,
      randomTensor(rand, dims).data.map((v) => v * scale),
    );
  return makeModel({
    opset,
    nodes: [
      makeNode('Conv', ['x', 'w1', 'b1'], ['c'], { pads: [1, 1, 1, 1] }),
      makeNode('Relu', ['c'], ['r']),
      makeNode('MaxPool', ['r'], ['m'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
      makeNode('AveragePool', ['m'], ['a'], { kernel_shape: [2, 2], ceil_mode: 1, strides: [2, 2] }),
      makeNode('GlobalAveragePool', ['a'], ['gap']),
      makeNode('Mul', ['a', 'gap'], ['s']),
      makeNode('Flatten', ['s'], ['f'], { axis: 1 }),
      makeNode('Gemm', ['f', 'w2', 'b2'], ['g'], { transB: 1 }),
      makeNode('MatMul', ['f', 'w3'], ['h']),
      makeNode('Softmax', ['g'], ['p'], { axis: 1 }),
      makeNode('LogSoftmax', ['h'], ['l'], { axis: 1 }),
      makeNode('Add', ['p', 'l'], ['pl']),
      makeNode('MatMul', ['pl', 'v'], ['y']),
    ],
    inputs: [makeValueInfo('x', ['N', 2, 8, 8])],
    outputs: [makeValueInfo('y', ['N'])],
    initializers: [
      w('w1', [4, 2, 3, 3]),
      w('b1', [4]),
      w('w2', [5, 16]),
      w('b2', [5]),
      w('w3', [16, 5]),
      w('v', [5], 1),
    ],
  });
}

describe('the same graph at opsets 11, 13, 17 and 21', () => {
  it('gives the same gradient, and that gradient matches finite differences', async () => {
    const x = wellSeparated(uniform(901), [3, 2, 8, 8], 0.02);
    const seed = randomTensor(uniform(902), [3]);
    const grads: Float32Array[] = [];
    for (const opset of [11, 13, 17, 21]) {
      const run = await runVjp(network(opset), { x }, seed);
      grads.push(run.grads[0].data);
    }
    const scale = Math.max(...grads[2].map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    for (const g of grads) {
      for (let i = 0; i < g.length; i++)
        expect(Math.abs(g[i] - grads[2][i])).toBeLessThanOrEqual(1e-5 * scale);
    }
    for (const opset of [11, 21]) {
      await expectVjpMatchesFd(network(opset), { x }, { eps: 1e-3, directions: 2, elementwise: false });
    }
  });
});

describe('models older than opset 11: upgraded as Model loads them, then differentiated', () => {
  it('opset 9: Pad, Clip and Slice with their attribute forms', async () => {
    const model = makeModel({
      opset: 9,
      nodes: [
        makeNode('Pad', ['x'], ['p'], { mode: 'reflect', pads: [0, 0, 1, 2, 0, 0, 2, 1] }),
        makeNode('Clip', ['p'], ['c'], { min: -0.44, max: 0.48 }),
        makeNode('Slice', ['c'], ['y'], { starts: [1, 0], ends: [5, 100], axes: [2, 3] }),
      ],
      inputs: [makeValueInfo('x', ['N', 2, 4, 3])],
      outputs: [makeValueInfo('y', undefined)],
    });
    await expectVjpMatchesFd(model, { x: wellSeparated(uniform(903), [3, 2, 4, 3], 0.04) }, { eps: 1e-3 });
  });

  it('opset 6: a constant Pad with a value (the form of the PyTorch-converted suite cases)', async () => {
    const model = makeModel({
      opset: 6,
      nodes: [
        makeNode('Pad', ['x'], ['y'], { mode: 'constant', value: 1.5, pads: [0, 1, 2, 0, 0, 0, 1, 3] }),
      ],
      inputs: [makeValueInfo('x', ['N', 2, 3, 4])],
      outputs: [makeValueInfo('y', undefined)],
    });
    const run = await expectVjpMatchesFd(model, { x: randomTensor(uniform(904), [2, 2, 3, 4]) });
    expect(run.grads[0].dims).toEqual([2, 2, 3, 4]);
  });
});
