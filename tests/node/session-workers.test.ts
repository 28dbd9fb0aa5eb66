import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureModelPath } from '../../src/data/manifest.js';
import { OptionError } from '../../src/errors.js';
import { integratedGradients, noiseTunnel, saliency } from '../../src/methods/attribution/index.js';
import { OnnxModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/load.js';
import { WorkerPool } from '../../src/node/session-workers.js';
import type { OnnxRuntime, SessionPool, SessionRunner } from '../../src/onnx/runtime.js';
import type { TensorData } from '../../src/types.js';
import { lcgValues } from '../methods/linear-models.js';

const bytes = new Uint8Array(readFileSync(fixtureModelPath('shapes-cnn')));
const x: TensorData = { data: lcgValues(2 * 3 * 64 * 64, 5, -1.5, 1.5), dims: [2, 3, 64, 64] };

function feeds(data: Float32Array): Record<string, ort.Tensor> {
  return { input: new ort.Tensor('float32', data, [data.length / (3 * 64 * 64), 3, 64, 64]) };
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

describe('WorkerPool', () => {
  let pool: WorkerPool;
  let workers: SessionRunner;
  let direct: ort.InferenceSession;
  beforeAll(async () => {
    pool = new WorkerPool(2);
    workers = await pool.session(bytes.slice(), {});
    direct = await ort.InferenceSession.create(bytes);
  });
  afterAll(async () => {
    await pool.release();
    await direct.release();
  });

  it('runs the model as a session on the calling thread does, calls in flight together included', async () => {
    expect(workers.inputNames).toEqual([...direct.inputNames]);
    expect(workers.outputNames).toEqual([...direct.outputNames]);
    const output = direct.outputNames[0];
    // Six calls on two workers, each with its own batch (views into one buffer, as the methods pass them).
    const all = lcgValues(6 * 3 * 64 * 64, 11, -2, 2);
    const parts = [0, 1, 2, 3, 4, 5].map((i) => all.subarray(i * 12288, (i + 1) * 12288));
    const pooled = await Promise.all(parts.map((p) => workers.run(feeds(p), [output])));
    for (let i = 0; i < parts.length; i++) {
      const expected = (await direct.run(feeds(parts[i])))[output].data as Float32Array;
      const got = pooled[i][output];
      expect(got.dims).toEqual([1, 4]);
      // Softmax probabilities from the same kernels: float32 rounding at most.
      expect(maxAbsDifference(got.data as Float32Array, expected)).toBeLessThan(1e-6);
    }
    // The callers' buffers are left as they were (views are copied, not handed over).
    expect(all.byteLength).toBe(6 * 12288 * 4);
  });

  it('reports a run the worker cannot do as an error, and keeps working', async () => {
    const output = direct.outputNames[0];
    const wrong = { input: new ort.Tensor('float32', new Float32Array(10), [1, 10]) };
    await expect(workers.run(wrong, [output])).rejects.toThrow(/input|dim|shape|rank/i);
    const ok = await workers.run(feeds(x.data.subarray(0, 12288)), [output]);
    expect(ok[output].dims).toEqual([1, 4]);
  });

  it('holds several sessions, each run on its own graph, and drops one without the others', async () => {
    // A second session of the same model on the same workers, then released.
    const second = await pool.session(bytes.slice(), {});
    const output = direct.outputNames[0];
    const item = feeds(x.data.subarray(0, 12288));
    const [a, b] = await Promise.all([workers.run(item, [output]), second.run(item, [output])]);
    expect(Array.from(b[output].data as Float32Array)).toEqual(Array.from(a[output].data as Float32Array));
    await second.release();
    await expect(second.run(item, [output])).rejects.toThrow(/no session/);
    expect((await workers.run(item, [output]))[output].dims).toEqual([1, 4]);
  });

  it('refuses bytes that are not a model, and a count below 1', async () => {
    await expect(pool.session(new Uint8Array([1, 2, 3]), {})).rejects.toThrow();
    expect(() => new WorkerPool(0)).toThrow(/count/);
    // The pool still works after a refused session.
    expect(
      (await workers.run(feeds(x.data.subarray(0, 12288)), ['probabilities'])).probabilities.dims,
    ).toEqual([1, 4]);
  });

  it('refuses runs once released', async () => {
    const one = new WorkerPool(1);
    const session = await one.session(bytes.slice(), {});
    await one.release();
    await expect(session.run(feeds(x.data.subarray(0, 12288)), ['probabilities'])).rejects.toThrow(
      /released/,
    );
    await expect(one.session(bytes.slice(), {})).rejects.toThrow(/released/);
  });

  it('never keeps Node alive while idle', async () => {
    // A script that makes workers, runs once and leaves them unreleased must still end by itself.
    const script = `
      const { WorkerPool } = await import(${JSON.stringify(new URL('../../dist/node/session-workers.js', import.meta.url).href)});
      const fs = await import('node:fs');
      const ort = (await import(${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve('onnxruntime-node')).href)})).default;
      const w = await new WorkerPool(2).session(new Uint8Array(fs.readFileSync(${JSON.stringify(fixtureModelPath('shapes-cnn'))})), {});
      const out = await w.run({ input: new ort.Tensor('float32', new Float32Array(12288), [1, 3, 64, 64]) }, [w.outputNames[0]]);
      console.log(out[w.outputNames[0]].dims.join('x'));`;
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'netlens-workers-')), 'idle.mjs');
    writeFileSync(file, script);
    const { stdout } = await promisify(execFile)(process.execPath, [file], { timeout: 60_000 });
    expect(stdout.trim()).toBe('1x4');
  });
});

describe('a model with worker sessions', () => {
  /** The Node runtime on `cores` cores, recording the worker counts asked for and each session's threads. */
  function spied(cores = 2): { runtime: OnnxRuntime; asked: number[]; threads: (number | undefined)[] } {
    const asked: number[] = [];
    const threads: (number | undefined)[] = [];
    const runtime: OnnxRuntime = {
      ...nodeRuntime,
      cores,
      workerPool: (count): SessionPool => {
        asked.push(count);
        const pool = new WorkerPool(count);
        return {
          session: (model, options) => {
            threads.push(options.intraOpNumThreads);
            return pool.session(model, options);
          },
          release: () => pool.release(),
        };
      },
    };
    return { runtime, asked, threads };
  }

  const opened: OnnxModel[] = [];
  afterAll(async () => {
    for (const model of opened) await model.dispose();
  });
  async function open(runtime: OnnxRuntime, sessionWorkers?: number): Promise<OnnxModel> {
    const model = await OnnxModel.create(bytes, runtime, { source: 'shapes-cnn', sessionWorkers });
    opened.push(model);
    return model;
  }

  it('runs integrated gradients and SmoothGrad on them, with the results of the calling thread', async () => {
    const withWorkers = spied();
    const without = spied();
    const pooled = await open(withWorkers.runtime, 2);
    const single = await open(without.runtime, 0);
    // Mini-batches of 8: 100 path points are 13 calls, enough to keep several in flight.
    const options = { target: 1, numSteps: 50, miniBatchSize: 8 };
    const a = await integratedGradients(pooled, x, options);
    const b = await integratedGradients(single, x, options);
    expect(withWorkers.asked).toEqual([2]);
    expect(without.asked).toEqual([]);
    // Same graph and kernels, one thread against the runtime's default: float32 rounding in the sums.
    expect(maxAbsDifference(a.attribution.data, b.attribution.data)).toBeLessThanOrEqual(
      1e-5 * maxAbs(b.attribution.data),
    );
    const smoothOptions = { target: 1, numSamples: 16, miniBatchSize: 4, seed: 3 };
    const c = await noiseTunnel(saliency, pooled, x, smoothOptions);
    const d = await noiseTunnel(saliency, single, x, smoothOptions);
    expect(maxAbsDifference(c.attribution.data, d.attribution.data)).toBeLessThanOrEqual(
      1e-5 * maxAbs(d.attribution.data),
    );
    // The workers of the gradient graph were made once and kept.
    expect(withWorkers.asked).toEqual([2]);
  });

  it('shares the thread budget between two workers by default', async () => {
    const options = { target: 1, numSteps: 50, miniBatchSize: 8 };
    for (const [cores, threads, workers, each] of [
      [2, undefined, 2, 1],
      [8, undefined, 2, 4],
      [8, 2, 2, 1],
      [8, 6, 3, 2],
    ] as const) {
      const spy = spied(cores);
      const model = await OnnxModel.create(bytes, spy.runtime, {
        threads,
        sessionWorkers: workers === 2 ? undefined : workers,
      });
      opened.push(model);
      await integratedGradients(model, x, options);
      expect([spy.asked, spy.threads]).toEqual([[workers], [each]]);
    }
  });

  it('leaves a few calls, and one-thread models, on the calling thread', async () => {
    const few = spied();
    const model = await open(few.runtime, 2);
    await integratedGradients(model, x, { target: 1, numSteps: 8, miniBatchSize: 8 });
    expect(few.asked).toEqual([]);
    for (const [cores, threads] of [
      [2, 1],
      [1, undefined],
    ] as const) {
      const oneThread = spied(cores);
      const threaded = await OnnxModel.create(bytes, oneThread.runtime, { threads });
      opened.push(threaded);
      await integratedGradients(threaded, x, { target: 1, numSteps: 50, miniBatchSize: 8 });
      expect(oneThread.asked).toEqual([]);
    }
  });

  it('rejects a worker count that is not an integer >= 0', async () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      await expect(OnnxModel.create(bytes, nodeRuntime, { sessionWorkers: bad })).rejects.toThrow(
        OptionError,
      );
    }
  });
});
