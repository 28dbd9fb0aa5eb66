import { describe, expect, it } from 'vitest';
import { floatTensor, int64Tensor, makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import {
  expectVjpMatchesFd,
  oneOpModel,
  positive,
  randomTensor,
  runVjp,
  uniform,
  wellSeparated,
} from './harness.js';

type Dims = (number | string)[];
const BATCH = 3;
const concrete = (shape: Dims): number[] => shape.map((d) => (typeof d === 'number' ? d : BATCH));

/** Shapes of two broadcast operands: equal, trailing, both-broadcast, scalar, rank-1 against rank-4. */
const broadcastCases: [Dims, Dims][] = [
  [
    ['N', 3, 4],
    ['N', 3, 4],
  ],
  [['N', 3, 4], [4]],
  [
    [3, 1],
    ['N', 1, 4],
  ],
  [['N', 2, 3], []],
  [
    ['N', 1, 3],
    ['N', 2, 1],
  ],
  [[2], ['N', 3, 2, 2]],
];

async function binaryCase(
  op: string,
  a: Dims,
  b: Dims,
  gen: (r: () => number, d: number[]) => TensorData,
): Promise<void> {
  const rand = uniform(op.length * 31 + a.length * 7 + b.length);
  const model = oneOpModel({
    op,
    inputs: [
      { name: 'a', shape: a },
      { name: 'b', shape: b },
    ],
  });
  const eps = op === 'Add' || op === 'Sub' || op === 'Mul' ? 1e-2 : 1e-3;
  await expectVjpMatchesFd(model, { a: gen(rand, concrete(a)), b: gen(rand, concrete(b)) }, { eps });
}

describe('arithmetic rules vs finite differences', () => {
  for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
    for (const [a, b] of broadcastCases) {
      it(`${op} [${a}] ∘ [${b}]`, async () => {
        await binaryCase(op, a, b, op === 'Div' ? (r, d) => positive(r, d) : randomTensor);
      });
    }
  }

  it('Mul and Add with a weight operand give a gradient for the fed input only', async () => {
    const rand = uniform(11);
    for (const op of ['Mul', 'Add', 'Div', 'Sub']) {
      const model = oneOpModel({
        op,
        inputs: [{ name: 'x', shape: ['N', 3, 2] }],
        weights: [floatTensor('w', [3, 1], [0.5, -1.5, 2])],
      });
      await expectVjpMatchesFd(model, { x: randomTensor(rand, [2, 3, 2]) });
    }
  });

  it('Sum of three broadcast operands', async () => {
    const rand = uniform(12);
    const model = oneOpModel({
      op: 'Sum',
      inputs: [
        { name: 'a', shape: ['N', 2, 3] },
        { name: 'b', shape: [3] },
        { name: 'c', shape: ['N', 2, 1] },
      ],
    });
    await expectVjpMatchesFd(model, {
      a: randomTensor(rand, [2, 2, 3]),
      b: randomTensor(rand, [3]),
      c: randomTensor(rand, [2, 2, 1]),
    });
  });

  for (const exponent of [2, 3, 0.5, -1.5, 1]) {
    it(`Pow with constant exponent ${exponent}`, async () => {
      const model = oneOpModel({
        op: 'Pow',
        inputs: [{ name: 'x', shape: ['N', 2, 3] }],
        weights: [floatTensor('p', [], [exponent])],
      });
      await expectVjpMatchesFd(model, { x: positive(uniform(13), [2, 2, 3]) }, { eps: 1e-3 });
    });
  }

  it('Pow with an integer exponent from a Constant node, and with a broadcast exponent tensor', async () => {
    const model = makeModel({
      nodes: [
        makeNode('Constant', [], ['p'], { value: int64Tensor('pv', [], [3]) }),
        makeNode('Pow', ['x', 'p'], ['y']),
      ],
      inputs: [makeValueInfo('x', ['N', 4])],
      outputs: [makeValueInfo('y', ['N', 4])],
    });
    await expectVjpMatchesFd(model, { x: randomTensor(uniform(14), [2, 4]) }, { eps: 1e-3 });
    const byColumn = oneOpModel({
      op: 'Pow',
      inputs: [{ name: 'x', shape: ['N', 3] }],
      weights: [floatTensor('p', [3], [2, 0.5, -1])],
    });
    await expectVjpMatchesFd(byColumn, { x: positive(uniform(15), [2, 3]) }, { eps: 1e-3 });
  });

  it('Pow with the exponent on the path too (gradient w.r.t. base and exponent)', async () => {
    const model = oneOpModel({
      op: 'Pow',
      inputs: [
        { name: 'a', shape: ['N', 3] },
        { name: 'p', shape: [3] },
      ],
    });
    const rand = uniform(16);
    await expectVjpMatchesFd(model, { a: positive(rand, [2, 3]), p: randomTensor(rand, [3]) }, { eps: 1e-3 });
  });

  const unary: [string, (r: () => number, d: number[]) => TensorData, number][] = [
    ['Neg', randomTensor, 1e-2],
    ['Sqrt', (r, d) => positive(r, d), 1e-3],
    ['Exp', randomTensor, 1e-3],
    ['Log', (r, d) => positive(r, d), 1e-3],
    ['Abs', (r, d) => wellSeparated(r, d), 1e-2],
    ['Reciprocal', (r, d) => positive(r, d), 1e-3],
    ['Relu', (r, d) => wellSeparated(r, d), 1e-2],
  ];
  for (const [op, gen, eps] of unary) {
    for (const dims of [
      [2, 5],
      [3, 2, 4, 4],
    ]) {
      it(`${op} on [${dims}]`, async () => {
        const model = oneOpModel({ op, inputs: [{ name: 'x', shape: ['N', ...dims.slice(1)] }] });
        await expectVjpMatchesFd(model, { x: gen(uniform(17 + dims.length), dims) }, { eps });
      });
    }
  }
});

describe('Pow at a zero base', () => {
  it('the exponent gradient is 0 where the base is 0 (not 0·ln 0 = NaN)', async () => {
    const model = oneOpModel({
      op: 'Pow',
      inputs: [
        { name: 'a', shape: [4] },
        { name: 'p', shape: [4] },
      ],
    });
    const a = { data: Float32Array.from([0, 0, 1.5, 2]), dims: [4] };
    const p = { data: Float32Array.from([2, 1.5, 2, 0.5]), dims: [4] };
    const run = await runVjp(model, { a, p }, { data: Float32Array.from([1, 1, 1, 1]), dims: [4] });
    const dP = Array.from(run.grads[1].data);
    expect(dP.slice(0, 2)).toEqual([0, 0]);
    expect(dP[2]).toBeCloseTo(1.5 ** 2 * Math.log(1.5), 5);
    expect(dP[3]).toBeCloseTo(Math.sqrt(2) * Math.log(2), 5);
  });
});
