import { describe, expect, it } from 'vitest';
import { buildVjpGraph } from '../../src/autodiff/index.js';
import { int64Tensor, makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, randomTensor, uniform } from './harness.js';

/** ScatterND(data, indices, updates) with reduction 'mul', indices a constant. */
function scatterMul(
  dataDims: (number | string)[],
  indexDims: number[],
  indices: number[],
  updateDims: number[],
) {
  return makeModel({
    nodes: [makeNode('ScatterND', ['data', 'indices', 'updates'], ['y'], { reduction: 'mul' })],
    inputs: [makeValueInfo('data', dataDims), makeValueInfo('updates', updateDims)],
    outputs: [makeValueInfo('y', undefined)],
    initializers: [int64Tensor('indices', indexDims, indices)],
    opset: 16,
  });
}

describe("ScatterND with reduction 'mul' vs finite differences", () => {
  it('distinct row indices', async () => {
    const model = scatterMul([4, 3], [2, 1], [2, 0], [2, 3]);
    const rand = uniform(3);
    await expectVjpMatchesFd(
      model,
      { data: randomTensor(rand, [4, 3]), updates: randomTensor(rand, [2, 3]) },
      { eps: 1e-3 },
    );
  });

  it('a row hit three times (one index negative), with zero factors in data and updates', async () => {
    const model = scatterMul([4, 3], [4, 1], [0, 2, 0, -4], [4, 3]);
    const rand = uniform(5);
    const data = randomTensor(rand, [4, 3]);
    const updates = randomTensor(rand, [4, 3]);
    data.data[1] = 0; // row 0, column 1
    updates.data[0] = 0; // first update of row 0, column 0
    updates.data[6 + 2] = 0; // third update of row 0, column 2
    const report = await expectVjpMatchesFd(model, { data, updates }, { eps: 1e-3 });
    // The update that is the only zero factor of its element has a nonzero derivative: no 0/0 anywhere.
    const dUpdates = report.grads[1].data;
    expect(dUpdates.every(Number.isFinite)).toBe(true);
    expect(Math.abs(dUpdates[0])).toBeGreaterThan(1e-4);
  });

  it('element tuples (q = 2) with a repeat', async () => {
    const model = scatterMul([3, 4], [3, 2], [0, 1, 2, 3, 0, 1], [3]);
    const rand = uniform(9);
    await expectVjpMatchesFd(
      model,
      { data: randomTensor(rand, [3, 4]), updates: randomTensor(rand, [3]) },
      { eps: 1e-3 },
    );
  });

  it('four slices into the first sample of a batch-dependent data tensor', async () => {
    const model = scatterMul(['N', 2, 3], [2, 2, 1], [0, 0, 0, 0], [2, 2, 2, 3]);
    const rand = uniform(13);
    await expectVjpMatchesFd(
      model,
      { data: randomTensor(rand, [3, 2, 3]), updates: randomTensor(rand, [2, 2, 2, 3]) },
      { eps: 1e-3 },
    );
  });
});

describe("ScatterND with reduction 'mul': size cap", () => {
  it('K updates with K²·slice past 2²² are refused by name before any graph is built', async () => {
    const k = 2100;
    const model = scatterMul(
      [k],
      [k, 1],
      Array.from({ length: k }, (_, i) => i),
      [k],
    );
    const shapes = { data: [k], updates: [k], indices: [k, 1], y: [k] };
    expect(() => buildVjpGraph(model, { output: 'y', wrt: ['updates'], rule: 'gradient', shapes })).toThrow(
      /reduction 'mul' over 2100 updates/,
    );
  });
});
