/**
 * Copies of one ONNX Runtime session on worker threads that run independent calls side by side. ONNX Runtime
 * for Node runs a session synchronously on the JavaScript thread, so calls left in flight there take turns, and
 * one session's intra-op threads scale poorly on a single small item: the gradient of MobileNetV2 at 224², one
 * image per call on two cores, took 14.0–14.7 ms an image on two one-thread workers against 17.8–18.4 ms on one
 * two-thread session. Each worker holds its own copy of the weights; workers are referenced only while they
 * run, so an idle pool never keeps Node alive.
 */
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { RuntimeError } from '../errors.js';
import type { OrtTensor, SessionRunner } from '../onnx/runtime.js';
import { workerScript } from './worker-script.js';

export interface WireTensor {
  data: Float32Array;
  dims: number[];
}

export type SessionWorkerRequest =
  | { kind: 'create'; model: Uint8Array; options: ort.InferenceSession.SessionOptions }
  | { kind: 'run'; feeds: Record<string, WireTensor>; fetches: string[] };

export type SessionWorkerReply =
  | { kind: 'ready'; inputNames: string[]; outputNames: string[]; model: Uint8Array }
  | { kind: 'result'; outputs: Record<string, WireTensor> }
  | { kind: 'error'; message: string };

/** One worker with at most one request in flight. */
class WorkerSlot {
  private pending: { resolve: (r: SessionWorkerReply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

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
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('session worker busy'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      // Held while a call waits on it: an unreferenced worker would let Node exit mid-call.
      this.worker.ref();
      this.worker.postMessage(message, transfer);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

export class SessionWorkers implements SessionRunner {
  private readonly idle: WorkerSlot[];
  private readonly queue: ((slot: WorkerSlot) => void)[] = [];
  private released = false;

  private constructor(
    private readonly slots: WorkerSlot[],
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {
    this.idle = [...slots];
  }

  /**
   * `count` workers, each with a session of `model` made with `options` (their intra-op threads included). The
   * bytes go from worker to worker, each making its session and handing them back: they are never held twice
   * in JavaScript, and `model`'s buffer is taken over.
   */
  static async create(
    model: Uint8Array,
    options: ort.InferenceSession.SessionOptions,
    count: number,
  ): Promise<SessionWorkers> {
    if (!Number.isInteger(count) || count < 1) {
      throw new RuntimeError(
        'RUNTIME_ERROR',
        `session workers: count must be a positive integer, got ${count}`,
      );
    }
    const script = workerScript('session-worker', 'session worker', 'set sessionWorkers: 0');
    // The process's own flags (--eval, --input-type, a profiler's) are not the workers'.
    const slots = Array.from({ length: count }, () => new WorkerSlot(new Worker(script, { execArgv: [] })));
    try {
      let bytes = model;
      let names: { inputNames: string[]; outputNames: string[] } | undefined;
      for (const slot of slots) {
        const reply = await slot.request({ kind: 'create', model: bytes, options }, [
          bytes.buffer as ArrayBuffer,
        ]);
        if (reply.kind !== 'ready') throw new Error(`unexpected reply '${reply.kind}'`);
        bytes = reply.model;
        names = reply;
      }
      if (!names) throw new Error('no workers');
      return new SessionWorkers(slots, names.inputNames, names.outputNames);
    } catch (error) {
      await Promise.all(slots.map((slot) => slot.terminate()));
      throw error;
    }
  }

  async run(feeds: Record<string, OrtTensor>, fetches: string[]): Promise<Record<string, OrtTensor>> {
    if (this.released) throw new Error('session workers released');
    const wire: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, tensor] of Object.entries(feeds)) {
      if (tensor.type !== 'float32')
        throw new Error(`session workers take float32 feeds; '${name}' is ${tensor.type}`);
      const data = tensor.data as Float32Array;
      // A message clones a view's whole buffer: a view of part of one is copied out and handed over instead.
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      const sent = whole ? data : data.slice();
      if (!whole) transfer.push(sent.buffer as ArrayBuffer);
      wire[name] = { data: sent, dims: [...tensor.dims] };
    }
    const slot = await this.acquire();
    try {
      const reply = await slot.request({ kind: 'run', feeds: wire, fetches }, transfer);
      if (reply.kind !== 'result') throw new Error(`unexpected reply '${reply.kind}'`);
      const outputs: Record<string, OrtTensor> = {};
      for (const [name, t] of Object.entries(reply.outputs))
        outputs[name] = new ort.Tensor('float32', t.data, t.dims);
      return outputs;
    } finally {
      this.give(slot);
    }
  }

  async release(): Promise<void> {
    this.released = true;
    await Promise.all(this.slots.map((slot) => slot.terminate()));
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
