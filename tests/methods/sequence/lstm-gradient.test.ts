/**
 * Gradients through the sequence-lstm fixture (LSTM over [N, T, C], variable length) via Model.vjp: one VJP
 * graph per time length, checked against central differences of the class score.
 */
import { describe, expect, it } from 'vitest';
import { loadSequenceSamples } from '../../../src/data/samples.js';
import { loadModel } from '../../../src/node/load.js';
import type { TensorData } from '../../../src/types.js';
import { normals, uniform } from '../../autodiff/probe.js';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

describe('sequence-lstm gradients', () => {
  it('match central differences for two time lengths and a batch of two', async () => {
    const model = await loadModel('fixtures/sequence-lstm/model.onnx');
    const set = loadSequenceSamples('sequence-lstm');
    const classes = 4;
    // Sequences 1 and 5 share length 37; sequence 0 has length 39.
    expect(set.lengths[1]).toBe(set.lengths[5]);
    const batches: TensorData[] = [
      { data: set.sequences[0], dims: [1, set.lengths[0], set.channels] },
      {
        data: Float32Array.from([...set.sequences[1], ...set.sequences[5]]),
        dims: [2, set.lengths[1], set.channels],
      },
    ];
    const vjp = await model.vjp({ output: model.outputName, wrt: [model.inputName] });
    const rand = uniform(77);
    for (const x of batches) {
      const n = x.dims[0];
      const seed = { data: normals(rand, n * classes), dims: [n, classes] };
      const { grads, output } = await vjp(x, seed);
      expect(grads[0].dims).toEqual(x.dims);
      const f = async (v: Float32Array, eps: number): Promise<number> => {
        const shifted = { data: x.data.map((value, i) => value + eps * v[i]), dims: x.dims };
        return dot((await model.predict(shifted)).scores.data, seed.data);
      };
      expect(dot(output.data, seed.data)).toBeCloseTo(await f(new Float32Array(x.data.length), 0), 4);
      const norm = Math.sqrt(dot(grads[0].data, grads[0].data));
      expect(norm).toBeGreaterThan(0);
      const directions = [grads[0].data.map((g) => g / norm), normals(rand, x.data.length)];
      for (const v of directions) {
        const eps = 1e-2 / Math.sqrt(dot(v, v) / v.length);
        const fd = ((await f(v, eps)) - (await f(v, -eps))) / (2 * eps);
        const predicted = dot(grads[0].data, v);
        const typical = (norm * Math.sqrt(dot(v, v))) / Math.sqrt(v.length);
        expect(Math.abs(fd - predicted)).toBeLessThan(2e-2 * (Math.abs(predicted) + typical));
      }
    }
    await model.dispose();
  });
});
