/**
 * A pool of worker threads, each holding a copy of the same ONNX Runtime sessions, that run independent calls
 * side by side. ONNX Runtime for Node runs a session synchronously on the JavaScript thread, so calls left in
 * flight there take turns, and one session's intra-op threads scale poorly on small work: the gradient of
 * MobileNetV2 at 224², one image per call on two cores, took 14.0–14.7 ms an image on two one-thread workers
 * against 17.8–18.4 ms on one two-thread session. One pool serves every session of a model (a gradient graph,
 * the pieces of a network cut for occlusion), so their number does not multiply the threads. Each worker holds
 * its own copy of the weights; workers are referenced only while they work, so an idle pool never keeps Node
 * alive.
 */
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { RuntimeError } from '../errors.js';
import type { OrtTensor, SessionPool, SessionRunner } from '../onnx/runtime.js';
import { workerScript } from './worker-script.js';

export interface WireTensor {
  data: Float32Array;
  dims: number[];
}

export type SessionWorkerRequest =
  | { kind: 'create'; key: number; model: Uint8Array; options: ort.InferenceSession.SessionOptions }
  | { kind: 'run'; key: number; feeds: Record<string, WireTensor>; fetches: string[] }
  | { kind: 'drop'; key: number };

export type SessionWorkerReply =
  | { kind: 'ready'; inputNames: string[]; outputNames: string[]; model: Uint8Array }
  | { kind: 'result'; outputs: Record<string, WireTensor> }
  | { kind: 'dropped' }
  | { kind: 'error'; message: string };

/** One worker; its requests are answered one at a time, in the order they were made. */
class WorkerSlot {
  private pending: { resolve: (r: SessionWorkerReply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly worker: Worker) {
    worker.on('message', (reply: SessionWorkerReply) => {
      const pending = this.pending;
      this.pending = undefined;
      worker.unref();
      if (reply.kind === 'error') pending?.reject(new Error(reply.message));
      else pending?.resolve(reply);
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      const pending = this.pending;
      this.pending = undefined;
      pending?.reject(this.failure);
    };
    worker.on('error', (err) => fail(new Error(`session worker failed: ${err.message}`)));
    worker.on('exit', () => fail(new Error('session worker stopped')));
    worker.unref();
  }

  request(message: SessionWorkerRequest, transfer: ArrayBuffer[] = []): Promise<SessionWorkerReply> {
    const reply = this.chain.then(() => this.send(message, transfer));
    this.chain = reply.catch(() => undefined);
    return reply;
  }

  private send(message: SessionWorkerRequest, transfer: ArrayBuffer[]): Promise<SessionWorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      // Held while a request waits on it: an unreferenced worker would let Node exit mid-call.
      this.worker.ref();
      this.worker.postMessage(message, transfer);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

export class WorkerPool implements SessionPool {
  private readonly slots: WorkerSlot[];
  private readonly idle: WorkerSlot[];
  private readonly queue: ((slot: WorkerSlot) => void)[] = [];
  private released = false;
  private keys = 0;

  /** `count` worker threads, started now; sessions are added with `session`. */
  constructor(readonly count: number) {
    if (!Number.isInteger(count) || count < 1) {
      throw new RuntimeError(
        'RUNTIME_ERROR',
        `session workers: count must be a positive integer, got ${count}`,
      );
    }
    const script = workerScript('session-worker', 'session worker', 'set sessionWorkers: 0');
    // The process's own flags (--eval, --input-type, a profiler's) are not the workers'.
    this.slots = Array.from({ length: count }, () => new WorkerSlot(new Worker(script, { execArgv: [] })));
    this.idle = [...this.slots];
  }

  /**
   * A session of `model` made with `options` (its intra-op threads included) on every worker. The bytes go from
   * worker to worker, each making its session and handing them back: they are never held twice in JavaScript,
   * and `model`'s buffer is taken over.
   */
  async session(model: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<SessionRunner> {
    if (this.released) throw new Error('session workers released');
    const key = this.keys++;
    let bytes = model;
    let names: { inputNames: string[]; outputNames: string[] } | undefined;
    try {
      for (const slot of this.slots) {
        const reply = await slot.request({ kind: 'create', key, model: bytes, options }, [
          bytes.buffer as ArrayBuffer,
        ]);
        if (reply.kind !== 'ready') throw new Error(`unexpected reply '${reply.kind}'`);
        bytes = reply.model;
        names = reply;
      }
    } catch (error) {
      await this.drop(key);
      throw error;
    }
    const { inputNames, outputNames } = names as { inputNames: string[]; outputNames: string[] };
    return {
      inputNames,
      outputNames,
      run: (feeds, fetches) => this.run(key, feeds, fetches),
      release: () => this.drop(key),
    };
  }

  async release(): Promise<void> {
    this.released = true;
    await Promise.all(this.slots.map((slot) => slot.terminate()));
  }

  private async run(
    key: number,
    feeds: Record<string, OrtTensor>,
    fetches: string[],
  ): Promise<Record<string, OrtTensor>> {
    if (this.released) throw new Error('session workers released');
    const wire: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, tensor] of Object.entries(feeds)) {
      if (tensor.type !== 'float32') {
        throw new Error(`session workers take float32 feeds; '${name}' is ${tensor.type}`);
      }
      const data = tensor.data as Float32Array;
      // A message clones a view's whole buffer: a view of part of one is copied out and handed over instead.
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      const sent = whole ? data : data.slice();
      if (!whole) transfer.push(sent.buffer as ArrayBuffer);
      wire[name] = { data: sent, dims: [...tensor.dims] };
    }
    const slot = await this.acquire();
    try {
      const reply = await slot.request({ kind: 'run', key, feeds: wire, fetches }, transfer);
      if (reply.kind !== 'result') throw new Error(`unexpected reply '${reply.kind}'`);
      const outputs: Record<string, OrtTensor> = {};
      for (const [name, t] of Object.entries(reply.outputs)) {
        outputs[name] = new ort.Tensor('float32', t.data, t.dims);
      }
      return outputs;
    } finally {
      this.give(slot);
    }
  }

  /** Removes session `key` from every worker (those that made it). */
  private async drop(key: number): Promise<void> {
    if (this.released) return;
    await Promise.allSettled(this.slots.map((slot) => slot.request({ kind: 'drop', key })));
  }

  private acquire(): Promise<WorkerSlot> {
    const slot = this.idle.pop();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve) => this.queue.push(resolve));
  }

  private give(slot: WorkerSlot): void {
    const next = this.queue.shift();
    if (next) next(slot);
    else this.idle.push(slot);
  }
}
