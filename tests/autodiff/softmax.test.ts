import { describe, it } from 'vitest';
import { expectVjpMatchesFd, oneOpModel, randomTensor, uniform } from './harness.js';

describe('Softmax and LogSoftmax rules vs finite differences', () => {
  const cases: { dims: number[]; axis?: number; opset: number }[] = [
    { dims: [3, 5], opset: 11 },
    { dims: [3, 5], opset: 13 },
    { dims: [2, 3, 4], axis: 1, opset: 11 },
    { dims: [2, 3, 4], axis: 1, opset: 13 },
    { dims: [2, 3, 4], opset: 17 },
    { dims: [2, 2, 3, 2], axis: -3, opset: 12 },
    { dims: [2, 2, 3, 2], axis: 2, opset: 21 },
    { dims: [2, 4, 3], axis: 0, opset: 13 },
  ];
  for (const op of ['Softmax', 'LogSoftmax']) {
    cases.forEach(({ dims, axis, opset }, k) => {
      it(`${op} on [${dims}] axis ${axis ?? 'default'} at opset ${opset}`, async () => {
        const model = oneOpModel({
          op,
          inputs: [{ name: 'x', shape: ['N', ...dims.slice(1)] }],
          attrs: axis === undefined ? {} : { axis },
          opset,
        });
        await expectVjpMatchesFd(model, { x: randomTensor(uniform(400 + k), dims) }, { eps: 1e-3 });
      });
    });
  }
});
