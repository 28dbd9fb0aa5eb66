import { afterAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { OnnxModel } from '../src/model.js';
import { encodeModel, type ModelProto } from '../src/onnx/proto.js';
import type { OnnxRuntime } from '../src/onnx/runtime.js';
import type { ProgressEvent } from '../src/types.js';
import { ELEMENTWISE, elementwiseModel, seededValues } from './helpers/onnx-models.js';
import { countingRuntime } from './helpers/counting-runtime.js';

const opened: OnnxModel[] = [];
afterAll(async () => {
  for (const model of opened) await model.dispose();
});

async function open(model: ModelProto, runtime: OnnxRuntime = ort): Promise<OnnxModel> {
  const created = await OnnxModel.create(encodeModel(model), runtime);
  opened.push(created);
  return created;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++)
    expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(tolerance);
}

describe('OnnxModel: vector-Jacobian products', () => {
  // dy/dx = v * [x*w + b > 0] * w, dy/dh = v, element-wise.
  const n = 5;
  const x = { data: seededValues(n * 4, 31), dims: [n, 4] };
  const dY = { data: seededValues(n * 4, 32), dims: [n, 4] };

  it('returns the output and exact gradients for the input and an intermediate', async () => {
    const model = await open(elementwiseModel());
    const vjp = await model.vjp({ output: 'y', wrt: ['x', 'h'] });
    const { output, grads } = await vjp(x, dY);
    const expected = (await model.predict(x)).scores;
    expect(output.dims).toEqual([n, 4]);
    expectClose(output.data, expected.data, 1e-6);
    expect(grads.map((g) => g.dims)).toEqual([
      [n, 4],
      [n, 4],
    ]);
    for (let i = 0; i < n * 4; i++) {
      const k = i % 4;
      const active = x.data[i] * ELEMENTWISE.w[k] + ELEMENTWISE.b[k] > 0 ? 1 : 0;
      expect(grads[0].data[i]).toBeCloseTo(dY.data[i] * ELEMENTWISE.v[k] * active * ELEMENTWISE.w[k], 5);
      expect(grads[1].data[i]).toBeCloseTo(dY.data[i] * ELEMENTWISE.v[k], 5);
    }
  });

  it('passes the backprop rule to the builder: guided backprop keeps positive gradients at a Relu', async () => {
    const model = await open(elementwiseModel());
    const guided = await model.vjp({ output: 'y', wrt: ['x'], rule: 'guided' });
    expect(guided).not.toBe(await model.vjp({ output: 'y', wrt: ['x'] }));
    const { grads } = await guided(x, dY);
    for (let i = 0; i < n * 4; i++) {
      const k = i % 4;
      const active = x.data[i] * ELEMENTWISE.w[k] + ELEMENTWISE.b[k] > 0 ? 1 : 0;
      const reachingRelu = dY.data[i] * ELEMENTWISE.v[k];
      expect(grads[0].data[i]).toBeCloseTo(Math.max(reachingRelu, 0) * active * ELEMENTWISE.w[k], 5);
    }
  });

  it('caches the compiled function and gives identical results in mini-batches', async () => {
    const { runtime, created } = countingRuntime();
    const model = await open(elementwiseModel(), runtime);
    const first = await model.vjp({ output: 'y', wrt: ['x'] });
    const sessions = created();
    const again = await model.vjp({ output: 'y', wrt: ['x'], rule: 'gradient' });
    expect(again).toBe(first);
    expect(created()).toBe(sessions);
    const events: ProgressEvent[] = [];
    const small = await first({ x }, dY, { miniBatchSize: 2, onProgress: (e) => events.push(e) });
    const large = await first(x, dY, { miniBatchSize: 128 });
    expect(Array.from(small.grads[0].data)).toEqual(Array.from(large.grads[0].data));
    expect(events.map((e) => e.done)).toEqual([2, 4, 5]);
    expect(await model.vjp({ output: 'y', wrt: ['h'] })).not.toBe(first);
  });

  it('rejects seeds that do not have the output shape', async () => {
    const model = await open(elementwiseModel());
    const vjp = await model.vjp({ output: 'y', wrt: ['x'] });
    await expect(vjp(x, { data: new Float32Array(n * 3), dims: [n, 3] })).rejects.toThrow(
      "dY (seed for 'y') expects dims [N, 4], got [5, 3]",
    );
    await expect(vjp(x, { data: new Float32Array(8), dims: [2, 4] })).rejects.toThrow(
      /dY has 2 items but the inputs have 5/,
    );
  });
});
