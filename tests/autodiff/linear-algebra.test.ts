import { describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../src/errors.js';
import { expectVjpMatchesFd, oneOpModel, randomTensor, runVjp, uniform } from './harness.js';

const BATCH = 3;

describe('Det vs finite differences (cofactors from the minors, no inverse)', () => {
  for (const n of [1, 2, 3, 4, 5]) {
    it(`a batch of ${n}×${n} matrices`, async () => {
      const model = oneOpModel({ op: 'Det', inputs: [{ name: 'x', shape: ['N', n, n] }], opset: 11 });
      await expectVjpMatchesFd(model, { x: randomTensor(uniform(40 + n), [BATCH, n, n]) }, { eps: 1e-3 });
    });
  }

  it('a single matrix with two batch axes', async () => {
    const model = oneOpModel({ op: 'Det', inputs: [{ name: 'x', shape: ['N', 2, 3, 3] }], opset: 21 });
    await expectVjpMatchesFd(model, { x: randomTensor(uniform(7), [BATCH, 2, 3, 3]) }, { eps: 1e-3 });
  });

  it('singular matrices (rank n − 1 and rank 1): the derivative exists and is matched', async () => {
    const model = oneOpModel({ op: 'Det', inputs: [{ name: 'x', shape: ['N', 3, 3] }], opset: 13 });
    const rand = uniform(11);
    const data = new Float32Array(2 * 9);
    // Matrix 0: third row = first + second (rank 2); matrix 1: outer product (rank 1, zero cofactors).
    const a = randomTensor(rand, [6]).data;
    data.set([a[0], a[1], a[2], a[3], a[4], a[5], a[0] + a[3], a[1] + a[4], a[2] + a[5]], 0);
    const u = [1, -2, 0.5];
    const v = [0.3, 1.5, -1];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) data[9 + i * 3 + j] = u[i] * v[j];
    const report = await expectVjpMatchesFd(model, { x: { data, dims: [2, 3, 3] } }, { eps: 1e-3 });
    // The rank-2 matrix has nonzero cofactors, the rank-1 matrix none.
    expect(report.grads[0].data.slice(0, 9).some((g) => Math.abs(g) > 1e-3)).toBe(true);
    for (const g of report.grads[0].data.slice(9)) expect(Math.abs(g)).toBeLessThan(1e-5);
  });

  it('matrices beyond the size cap are refused by name', async () => {
    const model = oneOpModel({ op: 'Det', inputs: [{ name: 'x', shape: ['N', 17, 17] }], opset: 13 });
    const run = runVjp(model, { x: randomTensor(uniform(1), [1, 17, 17]) }, randomTensor(uniform(2), [1]));
    await expect(run).rejects.toThrow(UnsupportedError);
    await expect(run).rejects.toThrow(/17×17 matrices/);
  });
});
