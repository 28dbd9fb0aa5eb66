/**
 * A time-major model ([T, N, C] into an ONNX LSTM with layout 0, no metadata; tools/reference/time_major_lstm.py)
 * is read batch-first: the logits, the input gradients and the attribution maps match PyTorch's on the same
 * numbers, and a batch of several lengths is explained as for any sequence model.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXPLAINERS } from '../../../src/explainers/index.js';
import { explainSequences } from '../../../src/methods/sequence/explain.js';
import { sequenceInput } from '../../../src/methods/sequence/view.js';
import { loadModel } from '../../../src/node/load.js';

const DIR = 'tests/methods/sequence/data';
const [T, N, C, K] = [7, 3, 4, 3];

function reference() {
  const bytes = readFileSync(`${DIR}/time-major-lstm.bin`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const size = T * N * C;
  const x = all.subarray(0, size);
  const logits = all.subarray(size, size + N * K);
  const grad = all.subarray(size + N * K, 2 * size + N * K);
  /** [T, N, C] → sequence n as T × C. */
  const item = (values: Float32Array, n: number) => {
    const out = new Float32Array(T * C);
    for (let t = 0; t < T; t++) out.set(values.subarray((t * N + n) * C, (t * N + n + 1) * C), t * C);
    return out;
  };
  return { x, logits, grad, item };
}

describe('time-major sequence models', () => {
  it('are read batch-first: logits and input gradients match PyTorch', async () => {
    const ref = reference();
    const model = await loadModel(`${DIR}/time-major-lstm.onnx`);
    expect(model.inputs[0].shape).toEqual(['N', 'T', C]);
    expect(model.notes.join('\n')).toContain('time-major');
    expect(sequenceInput(model)).toEqual({ layout: 'NTC', channels: C });
    const batch = new Float32Array(N * T * C);
    for (let n = 0; n < N; n++) batch.set(ref.item(ref.x, n), n * T * C);
    const x = { data: batch, dims: [N, T, C] };
    const scores = (await model.predict(x)).scores;
    expect(scores.dims).toEqual([N, K]);
    scores.data.forEach((v, i) => expect(v).toBeCloseTo(ref.logits[i], 5));
    const seed = new Float32Array(N * K);
    for (let n = 0; n < N; n++) seed[n * K + (n % K)] = 1;
    const vjp = await model.vjp({ output: model.outputName, wrt: [model.inputName] });
    const { grads } = await vjp(x, { data: seed, dims: [N, K] });
    for (let n = 0; n < N; n++) {
      const expected = ref.item(ref.grad, n);
      const got = grads[0].data.subarray(n * T * C, (n + 1) * T * C);
      const scale = Math.max(...expected.map(Math.abs));
      expected.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-5 * (1 + scale)));
    }
    await model.dispose();
  });

  it('explain sequences of several lengths; input × gradient equals PyTorch gradient × input', async () => {
    const ref = reference();
    const model = await loadModel(`${DIR}/time-major-lstm.onnx`);
    const items = Array.from({ length: N }, (_, n) => ({ values: ref.item(ref.x, n), length: T }));
    // Two shorter sequences (the first 5 steps) join the three of 7 steps.
    const short = [0, 1].map((n) => ({ values: ref.item(ref.x, n).slice(0, 5 * C), length: 5 }));
    const explainer = EXPLAINERS.find((e) => e.id === 'input-x-gradient')!;
    const results = await explainSequences(model, explainer, [...items, ...short], {
      target: [0, 1, 2, 0, 1],
    });
    expect(results.map((r) => r.map.dims)).toEqual([...items.map(() => [1, T, C]), [1, 5, C], [1, 5, C]]);
    for (let n = 0; n < N; n++) {
      const x = ref.item(ref.x, n);
      const grad = ref.item(ref.grad, n);
      results[n].map.data.forEach((v, i) => expect(v).toBeCloseTo(grad[i] * x[i], 5));
    }
    expect(results[3].map.data.some((v) => Math.abs(v) > 1e-4)).toBe(true);
    await model.dispose();
  });
});
