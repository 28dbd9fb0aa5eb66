import { describe, expect, it } from 'vitest';
import { int64Tensor, type AttrMap, type TensorProto } from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, oneOpModel, randomTensor, runVjp, uniform, wellSeparated } from './harness.js';

const BATCH = 3;
const X = [3, 4, 2];

interface ReduceCase {
  axes?: number[];
  keepdims?: number;
  noop?: number;
}

/** A Reduce* node on x [N, 3, 4, 2] with the axes where this opset wants them. */
function reduceModel(op: string, opset: number, c: ReduceCase) {
  const axesAsInput = op === 'ReduceSum' ? opset >= 13 : opset >= 18;
  const attrs: AttrMap = {};
  if (c.keepdims !== undefined) attrs.keepdims = c.keepdims;
  if (c.noop !== undefined) attrs.noop_with_empty_axes = c.noop;
  const weights: TensorProto[] = [];
  if (c.axes && axesAsInput) weights.push(int64Tensor('axes', [c.axes.length], c.axes));
  else if (c.axes) attrs.axes = c.axes;
  return oneOpModel({ op, inputs: [{ name: 'x', shape: ['N', ...X] }], weights, attrs, opset });
}

const cases: ReduceCase[] = [
  { axes: [1] },
  { axes: [2, -1], keepdims: 0 },
  { axes: [1, 3], keepdims: 1 },
  { axes: [0] },
  { axes: [0, 2], keepdims: 0 },
  {},
  { keepdims: 0 },
];
const label = (c: ReduceCase): string =>
  `axes ${c.axes ? `[${c.axes}]` : 'none'}, keepdims ${c.keepdims ?? 1}`;

describe('ReduceSum, ReduceMean, ReduceMax vs finite differences', () => {
  for (const op of ['ReduceSum', 'ReduceMean', 'ReduceMax']) {
    // Opsets where the axes move from attribute to input: 13 for ReduceSum, 18 for the others.
    for (const opset of op === 'ReduceSum' ? [11, 13, 21] : [11, 17, 18]) {
      cases.forEach((c, k) => {
        it(`${op} opset ${opset}: ${label(c)}`, async () => {
          const model = reduceModel(op, opset, c);
          // Distinct values 0.1 apart: a maximum never ties within the FD step. Every element is checked on
          // its own in the newest form; random directions suffice for the others.
          const x = wellSeparated(uniform(opset * 17 + k), [BATCH, ...X]);
          await expectVjpMatchesFd(model, { x }, { elementwise: opset === 21 || opset === 18 });
        });
      });
    }
  }

  for (const op of ['ReduceSum', 'ReduceMean', 'ReduceMax']) {
    it(`${op} opset 18 with no axes and noop_with_empty_axes = 1 is the identity`, async () => {
      const model = reduceModel(op, 18, { noop: 1 });
      const x = randomTensor(uniform(3), [2, ...X]);
      const seed = randomTensor(uniform(4), [2, ...X]);
      const run = await runVjp(model, { x }, seed);
      expect(Array.from(run.grads[0].data)).toEqual(Array.from(seed.data));
    });
  }

  it('ReduceMax shares the gradient evenly among tied maxima', async () => {
    const shaped = oneOpModel({
      op: 'ReduceMax',
      inputs: [{ name: 'x', shape: ['N', 4] }],
      attrs: { axes: [1], keepdims: 0 },
      opset: 13,
    });
    const x = { data: Float32Array.from([1, 3, 3, 0, 5, 5, 5, 2]), dims: [2, 4] };
    const seed = { data: Float32Array.from([2, 3]), dims: [2] };
    const run = await runVjp(shaped, { x }, seed);
    expect(Array.from(run.grads[0].data)).toEqual([0, 1, 1, 0, 1, 1, 1, 0]);
  });

  it('ReduceMean over the batch axis divides by the batch size at run time', async () => {
    const model = reduceModel('ReduceMean', 13, { axes: [0], keepdims: 0 });
    for (const batch of [2, 5]) {
      const x = randomTensor(uniform(batch), [batch, ...X]);
      const seed = { data: new Float32Array(24).fill(1), dims: X };
      const run = await runVjp(model, { x }, seed);
      for (const g of run.grads[0].data) expect(g).toBeCloseTo(1 / batch, 6);
    }
  });
});
