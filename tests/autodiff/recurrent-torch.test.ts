/**
 * Recurrent layers as torch.onnx exports them (two-layer bidirectional LSTM / GRU / tanh RNN, a ReLU RNN;
 * batch-first, initial states fed) against PyTorch autograd. Files from tools/autodiff/recurrent_reference.py.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/onnx/proto.js';
import { runVjp } from './harness.js';
import { maxAbs, maxDiff, readReference } from './reference-file.js';

const dir = fileURLToPath(new URL('./data/recurrent/', import.meta.url));
const [N, T, C, H] = [3, 6, 4, 5];

const cases = [
  { name: 'lstm', layers: 4, states: 2, outputs: T * 2 * H + 4 * H },
  { name: 'gru', layers: 4, states: 1, outputs: T * 2 * H + 4 * H },
  { name: 'rnn-tanh', layers: 4, states: 1, outputs: T * 2 * H + 4 * H },
  { name: 'rnn-relu', layers: 1, states: 1, outputs: T * H + H },
];

describe('recurrent layers vs PyTorch autograd', () => {
  for (const c of cases) {
    it(`${c.name}: output and gradients of the input and initial states within 1e-4 of the reference`, async () => {
      const file = readReference(`${dir}${c.name}.bin`);
      const take = file.take;
      const xDims = [N, T, C];
      const stateDims = [c.layers, N, H];
      const names = ['x', 'h0', 'c0'].slice(0, 1 + c.states);
      const inputs = Object.fromEntries(names.map((n, i) => [n, take(i === 0 ? xDims : stateDims)]));
      const seed = take([N, c.outputs]);
      const output = take([N, c.outputs]);
      const grads = names.map((_, i) => take(i === 0 ? xDims : stateDims));
      file.done();
      const model = decodeModel(readFileSync(`${dir}${c.name}.onnx`));
      const run = await runVjp(model, inputs, seed, { wrt: names });
      expect(maxDiff(run.output.data, output.data)).toBeLessThanOrEqual(1e-4 * maxAbs(output.data));
      grads.forEach((want, i) => {
        expect(maxAbs(want.data)).toBeGreaterThan(0);
        expect(run.grads[i].dims).toEqual(want.dims);
        expect(maxDiff(run.grads[i].data, want.data)).toBeLessThanOrEqual(1e-4 * maxAbs(want.data));
      });
    });
  }
});
