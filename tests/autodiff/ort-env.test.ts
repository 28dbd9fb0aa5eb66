import { afterEach, describe, expect, it } from 'vitest';
import { environmentSessionOverrides, sessionOptions } from '../../src/onnx/runtime.js';

describe('session options from NETLENS_GRAPH_OPT and NETLENS_THREADS', () => {
  const saved = { opt: process.env.NETLENS_GRAPH_OPT, threads: process.env.NETLENS_THREADS };
  afterEach(() => {
    for (const [key, value] of [
      ['NETLENS_GRAPH_OPT', saved.opt],
      ['NETLENS_THREADS', saved.threads],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  it('override the level and the thread count; unknown values are ignored', () => {
    process.env.NETLENS_GRAPH_OPT = 'disabled';
    process.env.NETLENS_THREADS = '2';
    expect(environmentSessionOverrides()).toEqual({
      graphOptimizationLevel: 'disabled',
      intraOpNumThreads: 2,
    });
    expect(sessionOptions({ threads: 1, graphOptimizationLevel: 'all' })).toMatchObject({
      graphOptimizationLevel: 'disabled',
      intraOpNumThreads: 2,
    });
    process.env.NETLENS_GRAPH_OPT = 'fast';
    process.env.NETLENS_THREADS = '-1';
    expect(environmentSessionOverrides()).toEqual({});
  });
});

describe('thread spinning', () => {
  it('stops at the end of each run by default; spins throughout or never when asked', async () => {
    expect(sessionOptions({}).extra).toEqual({ session: { force_spinning_stop: '1' } });
    expect(sessionOptions({ threadSpinning: true }).extra).toEqual({
      session: { intra_op: { allow_spinning: '1' } },
    });
    expect(sessionOptions({ threadSpinning: false }).extra).toEqual({
      session: { intra_op: { allow_spinning: '0' } },
    });
    // Each setting makes a session ONNX Runtime runs.
    const ort = await import('onnxruntime-node');
    const { DataType, encodeModel, makeModel, makeNode, makeValueInfo } =
      await import('../../src/onnx/proto.js');
    const bytes = encodeModel(
      makeModel({
        opset: 13,
        nodes: [makeNode('Relu', ['x'], ['y'])],
        inputs: [makeValueInfo('x', [2], DataType.FLOAT)],
        outputs: [makeValueInfo('y', [2], DataType.FLOAT)],
      }),
    );
    for (const threadSpinning of [undefined, true, false]) {
      const session = await ort.InferenceSession.create(
        bytes,
        sessionOptions({ threads: 2, threadSpinning }),
      );
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([-1, 2]), [2]) });
      expect(Array.from(out.y.data as Float32Array)).toEqual([0, 2]);
      await session.release();
    }
  });
});
