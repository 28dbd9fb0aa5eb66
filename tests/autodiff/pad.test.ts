import { describe, expect, it } from 'vitest';
import {
  floatTensor,
  int64Tensor,
  makeModel,
  makeNode,
  makeValueInfo,
  type TensorProto,
} from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, oneOpModel, randomTensor, runVjp, uniform } from './harness.js';

const BATCH = 3;

describe('Pad (constant mode) vs finite differences', () => {
  const cases: { name: string; pads: number[]; axes?: number[]; value?: number }[] = [
    { name: 'spatial padding 1', pads: [0, 0, 1, 1, 0, 0, 1, 1] },
    { name: 'asymmetric, on channels too', pads: [0, 1, 0, 2, 0, 0, 3, 1] },
    { name: 'negative pads crop', pads: [0, 0, -1, 2, 0, 0, 1, -2] },
    { name: 'non-zero padding value', pads: [0, 0, 2, 0, 0, 0, 0, 1], value: 1.5 },
    { name: 'padding the batch axis', pads: [1, 0, 0, 0, 1, 0, 0, 0] },
  ];
  for (const opset of [11, 13, 18, 21]) {
    cases.forEach((c, k) => {
      it(`${c.name}, opset ${opset}`, async () => {
        const weights: TensorProto[] = [int64Tensor('pads', [c.pads.length], c.pads)];
        const extra = ['pads'];
        if (c.value !== undefined) {
          weights.push(floatTensor('value', [], [c.value]));
          extra.push('value');
        }
        const model = oneOpModel({
          op: 'Pad',
          inputs: [{ name: 'x', shape: ['N', 2, 4, 5] }],
          weights,
          extraInputs: extra,
          opset,
        });
        await expectVjpMatchesFd(model, { x: randomTensor(uniform(opset + 13 * k), [BATCH, 2, 4, 5]) });
      });
    });
  }

  it('opset 18 pads given for chosen axes only (axes input, negative axis)', async () => {
    const model = oneOpModel({
      op: 'Pad',
      inputs: [{ name: 'x', shape: ['N', 2, 4, 5] }],
      weights: [int64Tensor('pads', [4], [1, 2, 0, -1]), int64Tensor('axes', [2], [-1, 2])],
      extraInputs: ['pads', '', 'axes'],
      opset: 18,
    });
    await expectVjpMatchesFd(model, { x: randomTensor(uniform(5), [BATCH, 2, 4, 5]) });
  });

  it('the gradient crops the padding away exactly', async () => {
    const model = oneOpModel({
      op: 'Pad',
      inputs: [{ name: 'x', shape: ['N', 3] }],
      weights: [int64Tensor('pads', [4], [0, 2, 0, 1])],
      opset: 13,
    });
    const x = { data: new Float32Array(3), dims: [1, 3] };
    const run = await runVjp(model, { x }, { data: Float32Array.from([1, 2, 3, 4, 5, 6]), dims: [1, 6] });
    expect(Array.from(run.grads[0].data)).toEqual([3, 4, 5]);
  });

  for (const mode of ['reflect', 'edge']) {
    it(`${mode} mode: repeated elements add up their gradients`, async () => {
      const model = oneOpModel({
        op: 'Pad',
        inputs: [{ name: 'x', shape: ['N', 2, 4] }],
        weights: [int64Tensor('pads', [6], [0, 1, 2, 0, 1, 1])],
        attrs: { mode },
      });
      await expectVjpMatchesFd(model, { x: randomTensor(uniform(1), [2, 2, 4]) });
    });
  }

  // Pads read from the input's shape: a static dim folds after the probe, the batch dim stays run-time data.
  for (const [what, from] of [
    ['folded from a static dim', 1],
    ['the batch size, as run-time data', 0],
  ] as const) {
    it(`pads computed in the graph: ${what}`, async () => {
      const model = makeModel({
        nodes: [
          makeNode('Shape', ['x'], ['s']),
          makeNode('Slice', ['s', 'from', 'to'], ['c']),
          makeNode('Concat', ['zero', 'c', 'zero', 'one'], ['p'], { axis: 0 }),
          makeNode('Pad', ['x', 'p'], ['y'], {}, 'dynamic_pad'),
        ],
        inputs: [makeValueInfo('x', ['N', 3])],
        outputs: [makeValueInfo('y', undefined)],
        initializers: [
          int64Tensor('zero', [1], [0]),
          int64Tensor('one', [1], [1]),
          int64Tensor('from', [1], [from]),
          int64Tensor('to', [1], [from + 1]),
        ],
        opset: 13,
      });
      await expectVjpMatchesFd(model, { x: randomTensor(uniform(3), [2, 3]) });
    });
  }
});

describe('Pad with respect to its padding value vs finite differences', () => {
  for (const pads of [
    [0, 0, 1, 2, 0, 1, 0, 1],
    [0, 0, -1, 2, 0, 0, 1, -2],
  ]) {
    it(`constant mode, pads ${pads.join(' ')}`, async () => {
      const model = makeModel({
        nodes: [makeNode('Pad', ['x', 'pads', 'value'], ['y'])],
        inputs: [makeValueInfo('x', ['N', 2, 4, 5]), makeValueInfo('value', [])],
        outputs: [makeValueInfo('y', undefined)],
        initializers: [int64Tensor('pads', [8], pads)],
        opset: 13,
      });
      const value = { data: Float32Array.from([0.7]), dims: [] };
      const report = await expectVjpMatchesFd(model, {
        x: randomTensor(uniform(3), [BATCH, 2, 4, 5]),
        value,
      });
      expect(report.grads[1].data[0]).not.toBe(0);
    });
  }
});
