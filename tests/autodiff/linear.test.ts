import { describe, it } from 'vitest';
import { floatTensor, makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import { expectVjpMatchesFd, randomTensor, uniform } from './harness.js';

type Dims = (number | string)[];
const concrete = (shape: Dims, batch = 3): number[] => shape.map((d) => (typeof d === 'number' ? d : batch));

describe('Gemm rule vs finite differences', () => {
  const combos: [number, number][] = [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ];
  for (const [transA, transB] of combos) {
    it(`transA=${transA} transB=${transB}, alpha 0.5, beta 2, all of A, B, C fed`, async () => {
      const rand = uniform(300 + transA * 2 + transB);
      const shapeA: Dims = transA ? [4, 'N'] : ['N', 4];
      const shapeB = transB ? [5, 4] : [4, 5];
      const model = makeModel({
        nodes: [
          makeNode('Gemm', ['a', 'b', 'c'], ['y'], {
            transA,
            transB,
            alpha: 0.5,
            beta: { value: 2, kind: 'float' },
          }),
        ],
        inputs: [makeValueInfo('a', shapeA), makeValueInfo('b', shapeB), makeValueInfo('c', [5])],
        outputs: [makeValueInfo('y', undefined)],
      });
      const feeds = {
        a: randomTensor(rand, concrete(shapeA)),
        b: randomTensor(rand, shapeB),
        c: randomTensor(rand, [5]),
      };
      await expectVjpMatchesFd(model, feeds);
    });
  }

  it('a classifier head: weights as initializers, C of shape [1, N] and no C', async () => {
    const rand = uniform(310);
    for (const withC of [true, false]) {
      const model = makeModel({
        nodes: [makeNode('Gemm', ['x', 'w', ...(withC ? ['c'] : [])], ['y'], { transB: 1, alpha: 1.5 })],
        inputs: [makeValueInfo('x', ['N', 6])],
        outputs: [makeValueInfo('y', undefined)],
        initializers: [
          floatTensor('w', [3, 6], randomTensor(rand, [3, 6]).data),
          floatTensor('c', [1, 3], [1, 2, 3]),
        ],
      });
      await expectVjpMatchesFd(model, { x: randomTensor(rand, [2, 6]) });
    }
  });

  it('C fed as a scalar and as a column [M, 1]', async () => {
    const rand = uniform(311);
    for (const shapeC of [[], [3, 1]]) {
      const model = makeModel({
        nodes: [makeNode('Gemm', ['a', 'b', 'c'], ['y'], { beta: -0.5 })],
        inputs: [makeValueInfo('a', [3, 4]), makeValueInfo('b', [4, 2]), makeValueInfo('c', shapeC)],
        outputs: [makeValueInfo('y', undefined)],
      });
      const feeds = {
        a: randomTensor(rand, [3, 4]),
        b: randomTensor(rand, [4, 2]),
        c: randomTensor(rand, shapeC),
      };
      await expectVjpMatchesFd(model, feeds);
    }
  });
});

describe('MatMul rule vs finite differences', () => {
  const cases: [string, Dims, Dims | number[], boolean][] = [
    ['dense layer: [N,4] · weight [4,3]', ['N', 4], [4, 3], true],
    ['batched · weight: [N,2,3,4] · [4,5]', ['N', 2, 3, 4], [4, 5], true],
    ['batched · batched', ['N', 2, 3, 4], ['N', 2, 4, 5], false],
    ['broadcast batch: [N,1,3,4] · [2,4,5]', ['N', 1, 3, 4], [2, 4, 5], false],
    ['broadcast batch: [3,4] · [N,2,4,2]', [3, 4], ['N', 2, 4, 2], false],
    ['vector · batched: [4] · [N,4,5]', [4], ['N', 4, 5], false],
    ['batched · vector: [N,3,4] · [4]', ['N', 3, 4], [4], false],
    ['vector · matrix fed: [4] · [4,3]', [4], [4, 3], false],
    ['vector · vector', [4], [4], false],
  ];
  cases.forEach(([name, shapeA, shapeB, bIsWeight], k) => {
    it(name, async () => {
      const rand = uniform(320 + k);
      const feeds: Record<string, TensorData> = { a: randomTensor(rand, concrete(shapeA)) };
      const inputs = [makeValueInfo('a', shapeA)];
      const initializers = [];
      if (bIsWeight) {
        const dims = shapeB as number[];
        initializers.push(floatTensor('b', dims, randomTensor(rand, dims).data));
      } else {
        inputs.push(makeValueInfo('b', shapeB));
        feeds.b = randomTensor(rand, concrete(shapeB));
      }
      const model = makeModel({
        nodes: [makeNode('MatMul', ['a', 'b'], ['y'])],
        inputs,
        outputs: [makeValueInfo('y', undefined)],
        initializers,
      });
      await expectVjpMatchesFd(model, feeds);
    });
  });

  it('A·A (one tensor on both sides)', async () => {
    const model = makeModel({
      nodes: [makeNode('MatMul', ['a', 'a'], ['y'])],
      inputs: [makeValueInfo('a', ['N', 3, 3])],
      outputs: [makeValueInfo('y', undefined)],
    });
    await expectVjpMatchesFd(model, { a: randomTensor(uniform(330), [2, 3, 3]) });
  });
});
