import { describe, expect, it } from 'vitest';
import { sliceIndices } from '../../src/autodiff/rules/indexing.js';
import { UnsupportedError } from '../../src/errors.js';
import {
  DataType,
  int64Tensor,
  makeModel,
  makeNode,
  makeValueInfo,
  type TensorProto,
} from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, oneOpModel, randomTensor, runVjp, uniform, wellSeparated } from './harness.js';

const BATCH = 3;
const INT64_MAX = 9223372036854775807n;
/** A 1-D int64 initializer holding exact 64-bit values (INT64_MAX is how exporters write "to the end"). */
function int64(name: string, values: (number | bigint)[]): TensorProto {
  const exact = BigInt64Array.from(values.map((v) => BigInt(v)));
  return { name, dims: [values.length], dataType: DataType.INT64, rawData: new Uint8Array(exact.buffer) };
}

describe('Slice index arithmetic (ONNX clamping rules)', () => {
  it('matches numpy-style slicing on hand-checked cases', () => {
    expect(sliceIndices(6, 1, 4, 1)).toEqual([1, 2, 3]);
    expect(sliceIndices(6, -4, 100, 2)).toEqual([2, 4]);
    expect(sliceIndices(6, 100, -100, -2)).toEqual([5, 3, 1]);
    expect(sliceIndices(6, -1, -7, -1)).toEqual([5, 4, 3, 2, 1, 0]);
    expect(sliceIndices(6, 4, 1, -1)).toEqual([4, 3, 2]);
    expect(sliceIndices(6, 2, 2, 1)).toEqual([]);
    expect(sliceIndices(6, 0, Number(INT64_MAX), 1)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('Slice vs finite differences', () => {
  const cases: {
    name: string;
    starts: number[];
    ends: (number | bigint)[];
    axes?: number[];
    steps?: number[];
  }[] = [
    { name: 'a window on two axes', starts: [1, 0], ends: [3, 2], axes: [1, 2] },
    {
      name: 'negative starts, ends clamped to the size',
      starts: [-3, -2],
      ends: [100, INT64_MAX],
      axes: [2, 3],
    },
    { name: 'step 2 and step 3', starts: [0, 1], ends: [5, 6], axes: [2, 3], steps: [2, 3] },
    { name: 'reversal (step -1 from the end)', starts: [-1], ends: [-INT64_MAX], axes: [3], steps: [-1] },
    { name: 'step -2 with clamped start', starts: [100], ends: [0], axes: [2], steps: [-2] },
    { name: 'negative axes', starts: [1], ends: [-1], axes: [-1] },
    { name: 'whole batch axis plus a channel', starts: [0, 1], ends: [INT64_MAX, 2], axes: [0, 1] },
    { name: 'default axes (leading) including the batch', starts: [0, 1], ends: [INT64_MAX, 3] },
  ];
  for (const opset of [11, 13, 21]) {
    cases.forEach((c, k) => {
      it(`${c.name}, opset ${opset}`, async () => {
        const weights = [int64('starts', c.starts), int64('ends', c.ends)];
        if (c.axes) weights.push(int64('axes', c.axes));
        if (c.steps) weights.push(int64('steps', c.steps));
        if (c.steps && !c.axes) throw new Error('test case needs axes with steps');
        const model = oneOpModel({
          op: 'Slice',
          inputs: [{ name: 'x', shape: ['N', 3, 5, 6] }],
          weights,
          opset,
        });
        await expectVjpMatchesFd(model, { x: randomTensor(uniform(opset * 31 + k), [BATCH, 3, 5, 6]) });
      });
    });
  }

  it('slicing part of the batch axis is refused with a typed error', async () => {
    const model = oneOpModel({
      op: 'Slice',
      inputs: [{ name: 'x', shape: ['N', 4] }],
      weights: [int64('starts', [1]), int64('ends', [2]), int64('axes', [0])],
    });
    const run = runVjp(model, { x: randomTensor(uniform(1), [3, 4]) }, randomTensor(uniform(2), [1, 4]));
    await expect(run).rejects.toThrow(UnsupportedError);
    await expect(run).rejects.toThrow(/Slice node 'the_node'/);
  });

  it('the gradient of a slice is dY at the taken elements and 0 elsewhere', async () => {
    const model = oneOpModel({
      op: 'Slice',
      inputs: [{ name: 'x', shape: ['N', 6] }],
      weights: [int64('starts', [4]), int64('ends', [0]), int64('axes', [1]), int64('steps', [-2])],
    });
    const x = { data: new Float32Array(6), dims: [1, 6] };
    const run = await runVjp(model, { x }, { data: Float32Array.from([10, 20]), dims: [1, 2] });
    expect(Array.from(run.grads[0].data)).toEqual([0, 0, 20, 0, 10, 0]);
  });
});

describe('Gather with constant indices vs finite differences', () => {
  const cases: { name: string; axis: number; indices: number[]; dims: number[] }[] = [
    { name: 'one index (scalar), axis 1', axis: 1, indices: [2], dims: [] },
    { name: 'distinct indices, axis 2', axis: 2, indices: [3, 0, 1], dims: [3] },
    { name: 'negative indices, axis -1', axis: -1, indices: [-1, -4], dims: [2] },
    {
      name: 'repeated indices, 2-D index tensor, axis 2',
      axis: 2,
      indices: [1, 1, 0, 3, 1, 0],
      dims: [2, 3],
    },
    { name: 'repeated indices, axis 1', axis: 1, indices: [0, 2, 0], dims: [3] },
  ];
  for (const opset of [11, 13]) {
    cases.forEach((c, k) => {
      it(`${c.name}, opset ${opset}`, async () => {
        const model = oneOpModel({
          op: 'Gather',
          inputs: [{ name: 'x', shape: ['N', 3, 4, 5] }],
          weights: [int64Tensor('indices', c.dims, c.indices)],
          attrs: { axis: c.axis },
          opset,
        });
        await expectVjpMatchesFd(model, { x: randomTensor(uniform(opset + 7 * k), [BATCH, 3, 4, 5]) });
      });
    });
  }

  it('indices from a Constant node, and a repeated index adds up its gradients', async () => {
    const model = makeModel({
      nodes: [
        makeNode('Constant', [], ['idx'], { value: int64Tensor('v', [4], [2, 0, 2, 2]) }),
        makeNode('Gather', ['x', 'idx'], ['y'], { axis: 1 }),
      ],
      inputs: [makeValueInfo('x', ['N', 3])],
      outputs: [makeValueInfo('y', ['N', 4])],
    });
    const x = { data: Float32Array.from([5, 6, 7]), dims: [1, 3] };
    const run = await runVjp(model, { x }, { data: Float32Array.from([1, 10, 100, 1000]), dims: [1, 4] });
    expect(Array.from(run.grads[0].data)).toEqual([10, 0, 1101]);
    await expectVjpMatchesFd(model, { x: randomTensor(uniform(3), [BATCH, 3]) });
  });

  it('gathering along the batch axis, or with indices computed at run time, uses the indices as data', async () => {
    const alongBatch = oneOpModel({
      op: 'Gather',
      inputs: [{ name: 'x', shape: ['N', 4] }],
      weights: [int64Tensor('indices', [3], [0, -1, 0])],
      attrs: { axis: 0 },
    });
    await expectVjpMatchesFd(alongBatch, { x: randomTensor(uniform(1), [3, 4]) });
    const computed = makeModel({
      nodes: [
        makeNode('ArgMax', ['x'], ['i'], { axis: 1, keepdims: 0 }),
        makeNode('Gather', ['x', 'i'], ['y'], { axis: 1 }, 'dynamic_gather'),
      ],
      inputs: [makeValueInfo('x', ['N', 4])],
      outputs: [makeValueInfo('y', undefined)],
    });
    await expectVjpMatchesFd(computed, { x: wellSeparated(uniform(1), [3, 4]) });
  });
});
