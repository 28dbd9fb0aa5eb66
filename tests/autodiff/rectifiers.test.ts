import { describe, expect, it } from 'vitest';
import { floatTensor, makeModel, makeNode, makeValueInfo, type AttrMap } from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import { expectVjpMatchesFd, oneOpModel, randomTensor, runVjp, uniform, wellSeparated } from './harness.js';

const BATCH = 3;
const float = (value: number) => ({ value, kind: 'float' as const });

/** One op on x of shape ['N', ...rest], fed with well separated values (no kink within the FD step). */
async function unary(op: string, rest: number[], attrs: AttrMap, opset: number, gap = 0.1): Promise<void> {
  const model = oneOpModel({ op, inputs: [{ name: 'x', shape: ['N', ...rest] }], attrs, opset });
  const seed = op.length * 101 + rest.length * 7 + opset;
  await expectVjpMatchesFd(model, { x: wellSeparated(uniform(seed), [BATCH, ...rest], gap) });
}

describe('LeakyRelu, Elu and Selu vs finite differences', () => {
  const shapes = [[4], [2, 3, 3]];
  for (const rest of shapes) {
    it(`LeakyRelu [N, ${rest}] with the default, a large and a negative alpha`, async () => {
      await unary('LeakyRelu', rest, {}, 13);
      await unary('LeakyRelu', rest, { alpha: float(0.3) }, 17);
      await unary('LeakyRelu', rest, { alpha: float(-0.5) }, 21);
    });
    it(`Elu [N, ${rest}] with alpha 1 and 0.5`, async () => {
      await unary('Elu', rest, {}, 11);
      await unary('Elu', rest, { alpha: float(0.5) }, 21);
    });
    it(`Selu [N, ${rest}] with the default and custom constants`, async () => {
      await unary('Selu', rest, {}, 13);
      await unary('Selu', rest, { alpha: float(1.2), gamma: float(0.7) }, 17);
    });
  }
});

describe('PRelu vs finite differences', () => {
  const cases: { name: string; x: number[]; slope: number[] }[] = [
    { name: 'per-channel slope [C, 1, 1]', x: [2, 4, 3], slope: [2, 1, 1] },
    { name: 'slope along the last axis', x: [3, 4], slope: [4] },
    { name: 'one shared slope', x: [2, 5], slope: [1] },
    { name: 'slope of the same shape', x: [2, 3], slope: [2, 3] },
  ];
  cases.forEach((c, k) => {
    it(`${c.name}: gradient w.r.t. x (slope a weight) and w.r.t. x and slope (slope fed)`, async () => {
      const rand = uniform(40 + k);
      const count = c.slope.reduce((a, b) => a * b, 1);
      // Signs of the slope vary so that both branches and negative slopes are exercised.
      const values = Array.from({ length: count }, (_, i) => (i % 2 === 0 ? 0.25 : -0.6) + 0.1 * i);
      const asWeight = oneOpModel({
        op: 'PRelu',
        inputs: [{ name: 'x', shape: ['N', ...c.x] }],
        weights: [floatTensor('slope', c.slope, values)],
      });
      const x = wellSeparated(rand, [BATCH, ...c.x]);
      await expectVjpMatchesFd(asWeight, { x });
      const fed = oneOpModel({
        op: 'PRelu',
        inputs: [
          { name: 'x', shape: ['N', ...c.x] },
          { name: 'slope', shape: c.slope },
        ],
      });
      await expectVjpMatchesFd(fed, { x, slope: { data: Float32Array.from(values), dims: c.slope } });
    });
  });
});

describe('Clip vs finite differences', () => {
  /** x: 60 values, 0.5 apart, spanning about ±15, so that both bounds clip something; none lands on a bound. */
  const input = (seed: number, rest: number[]): TensorData =>
    wellSeparated(uniform(seed), [BATCH, ...rest], 0.5);

  const bounds: { name: string; min?: number; max?: number }[] = [
    { name: 'ReLU6 (0, 6)', min: 0, max: 6 },
    { name: '(-1, 1)', min: -1, max: 1 },
    { name: 'min only', min: -2 },
    { name: 'max only', max: 3 },
    { name: 'no bounds' },
  ];
  for (const opset of [11, 13, 21]) {
    for (const b of bounds) {
      it(`${b.name} as initializers, opset ${opset}`, async () => {
        const weights = [];
        const extra = [b.min === undefined ? '' : 'lo', b.max === undefined ? '' : 'hi'];
        if (b.min !== undefined) weights.push(floatTensor('lo', [], [b.min]));
        if (b.max !== undefined) weights.push(floatTensor('hi', [], [b.max]));
        while (extra.length > 0 && extra[extra.length - 1] === '') extra.pop();
        const model = oneOpModel({
          op: 'Clip',
          inputs: [{ name: 'x', shape: ['N', 4, 5] }],
          weights,
          extraInputs: extra,
          opset,
        });
        await expectVjpMatchesFd(model, { x: input(opset + (b.min ?? 7) * 3 + (b.max ?? 11), [4, 5]) });
      });
    }
  }

  it('bounds from Constant nodes, and bounds fed as inputs (gradient w.r.t. min and max too)', async () => {
    const constants = makeModel({
      nodes: [
        makeNode('Constant', [], ['lo'], { value: floatTensor('v_lo', [], [-1.5]) }),
        makeNode('Constant', [], ['hi'], { value: floatTensor('v_hi', [], [2.5]) }),
        makeNode('Clip', ['x', 'lo', 'hi'], ['y']),
      ],
      inputs: [makeValueInfo('x', ['N', 6])],
      outputs: [makeValueInfo('y', ['N', 6])],
    });
    await expectVjpMatchesFd(constants, { x: input(50, [6]) });
    const fed = oneOpModel({
      op: 'Clip',
      inputs: [
        { name: 'x', shape: ['N', 6] },
        { name: 'lo', shape: [] },
        { name: 'hi', shape: [] },
      ],
    });
    const scalar = (v: number): TensorData => ({ data: Float32Array.from([v]), dims: [] });
    await expectVjpMatchesFd(fed, { x: input(51, [6]), lo: scalar(-1.2), hi: scalar(2.2) });
  });

  it('ReLU6 at the bounds: no gradient at exactly 0 or 6 (as PyTorch relu6), full gradient inside', async () => {
    const model = oneOpModel({
      op: 'Clip',
      inputs: [{ name: 'x', shape: ['N', 6] }],
      weights: [floatTensor('lo', [], [0]), floatTensor('hi', [], [6])],
    });
    const x = { data: Float32Array.from([-1, 0, 3, 6, 7, 5.5]), dims: [1, 6] };
    const seed = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), dims: [1, 6] };
    const run = await runVjp(model, { x }, seed);
    expect(Array.from(run.grads[0].data)).toEqual([0, 0, 3, 0, 0, 6]);
  });

  it('Clip with a lower bound other than 0 keeps its exact gradient under guided and deconvnet', async () => {
    const model = oneOpModel({
      op: 'Clip',
      inputs: [{ name: 'x', shape: ['N', 5] }],
      weights: [floatTensor('lo', [], [-1]), floatTensor('hi', [], [1])],
    });
    const x = { data: Float32Array.from([-2, -0.5, 0.5, 2, 0.2]), dims: [1, 5] };
    const seed = { data: Float32Array.from([1, -1, 2, 3, -4]), dims: [1, 5] };
    for (const rule of ['guided', 'deconvnet'] as const) {
      const run = await runVjp(model, { x }, seed, { rule });
      expect(Array.from(run.grads[0].data)).toEqual([0, -1, 2, 0, -4]);
    }
  });
});

describe('rectifiers on inputs of every rank', () => {
  it('Elu (alpha 1: smooth enough for random inputs) on [N], [N, 3], [N, 2, 2], [N, 2, 1, 3]', async () => {
    for (const rest of [[], [3], [2, 2], [2, 1, 3]]) {
      const model = oneOpModel({ op: 'Elu', inputs: [{ name: 'x', shape: ['N', ...rest] }] });
      await expectVjpMatchesFd(
        model,
        { x: randomTensor(uniform(60 + rest.length), [2, ...rest]) },
        { eps: 1e-3 },
      );
    }
  });
});
