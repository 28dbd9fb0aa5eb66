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
