/**
 * The rows of interventional Shapley values built and reduced on a worker thread (Node worker_threads) while
 * the calling thread runs the model: ONNX Runtime for Node runs a session synchronously on the JavaScript
 * thread, so on one thread building the next batch and taking the softmax of the last one wait for the
 * forward pass. Here the worker fills batch i + DEPTH and sums the outputs of batch i while the model runs
 * batch i + 1. The batches travel as transferred ArrayBuffers (ONNX Runtime for Node does not take
 * SharedArrayBuffer-backed tensors); each is filled and reduced by the same functions as on one thread, and
 * the sums are added in batch order, so the values are the same to the last bit.
 */
import { Worker } from 'node:worker_threads';
import { RuntimeError } from '../errors.js';
import {
  streamShape,
  type RowRun,
  type RowStreamExecutor,
  type RowStreamSpec,
} from '../methods/tabular/interventional.js';
import { workerScript } from './worker-script.js';

/** Batches in flight: filled ahead of the model, so the worker stays ahead even when a wake-up is late. */
const DEPTH = 3;

export type RowWorkerRequest =
  | { kind: 'start'; spec: RowStreamSpec }
  | { kind: 'fill'; index: number; buffer: ArrayBuffer }
  | { kind: 'reduce'; index: number; output: ArrayBuffer };

export type RowWorkerReply =
  | { kind: 'rows'; index: number; rows: number; buffer: ArrayBuffer }
  | { kind: 'sums'; index: number; sums: Float64Array; output: ArrayBuffer }
  | { kind: 'error'; message: string };

/** A promise per batch index, settled by the worker's replies. */
class Pending<T> {
  private readonly waiting = new Map<number, { resolve: (v: T) => void; reject: (e: Error) => void }>();
  private readonly arrived = new Map<number, T>();

  settle(index: number, value: T): void {
    const w = this.waiting.get(index);
    if (w) {
      this.waiting.delete(index);
      w.resolve(value);
    } else this.arrived.set(index, value);
  }

  take(index: number): Promise<T> {
    const value = this.arrived.get(index);
    if (value !== undefined) {
      this.arrived.delete(index);
      return Promise.resolve(value);
    }
    return new Promise((resolve, reject) => this.waiting.set(index, { resolve, reject }));
  }

  fail(error: Error): void {
    for (const w of this.waiting.values()) w.reject(error);
    this.waiting.clear();
    this.arrived.clear();
  }
}

/** One worker thread, started on first use and kept for later streams; `close()` ends it. */
export class TableRowWorker implements RowStreamExecutor {
  private worker: Worker | undefined;
  private rows = new Pending<{ rows: number; buffer: ArrayBuffer }>();
  private sums = new Pending<{ sums: Float64Array; output: ArrayBuffer }>();
  private busy = false;

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(
      workerScript('table-rows-worker', 'table row worker', 'leave rowExecutor unset'),
    );
    // Events of a worker already replaced (closed after a failure) concern no stream now running.
    const current = () => this.worker === worker;
    worker.on('message', (reply: RowWorkerReply) => {
      if (!current()) return;
      if (reply.kind === 'rows') this.rows.settle(reply.index, reply);
      else if (reply.kind === 'sums') this.sums.settle(reply.index, reply);
      else this.fail(new RuntimeError('RUNTIME_ERROR', `table row worker failed: ${reply.message}`));
    });
    worker.on('error', (err) => {
      if (current()) this.fail(new RuntimeError('RUNTIME_ERROR', `table row worker failed: ${err.message}`));
    });
    worker.on('exit', () => {
      if (!current()) return;
      this.worker = undefined;
      this.fail(new RuntimeError('RUNTIME_ERROR', 'table row worker stopped'));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private fail(error: Error): void {
    this.rows.fail(error);
    this.sums.fail(error);
  }

  async stream(
    spec: RowStreamSpec,
    run: RowRun,
    onBatch: (index: number, sums: Float64Array) => void,
  ): Promise<void> {
    if (this.busy) throw new RuntimeError('RUNTIME_ERROR', 'a table row worker runs one stream at a time');
    this.busy = true;
    const worker = this.start();
    // Held while a stream waits on it: an unreferenced worker would let Node exit mid-stream.
    worker.ref();
    this.rows = new Pending();
    this.sums = new Pending();
    try {
      const { m, batches } = streamShape(spec);
      const post = (request: RowWorkerRequest, transfer: ArrayBuffer[] = []) =>
        worker.postMessage(request, transfer);
      post({ kind: 'start', spec });
      for (let index = 0; index < Math.min(DEPTH, batches); index++) {
        post({ kind: 'fill', index, buffer: new ArrayBuffer(spec.batchRows * m * 4) });
      }
      const outputs: ArrayBuffer[] = [];
      let reduced = 0;
      const drain = async (upTo: number) => {
        for (; reduced < upTo; reduced++) {
          const reply = await this.sums.take(reduced);
          onBatch(reduced, reply.sums);
          outputs.push(reply.output);
        }
      };
      for (let index = 0; index < batches; index++) {
        const { rows, buffer } = await this.rows.take(index);
        const raw = await run(new Float32Array(buffer, 0, rows * m), rows);
        // The run's output buffer is reused by the next run: the worker gets a copy it can own.
        const output = outputs.pop() ?? new ArrayBuffer(spec.batchRows * spec.columns * 4);
        new Float32Array(output).set(raw);
        post({ kind: 'reduce', index, output }, [output]);
        if (index + DEPTH < batches) post({ kind: 'fill', index: index + DEPTH, buffer }, [buffer]);
        // Hand on the sums that are ready without waiting for them.
        await drain(Math.max(reduced, index - 1));
      }
      await drain(batches);
    } catch (error) {
      // A half-finished stream leaves messages in flight: start the next one on a fresh worker.
      this.close();
      throw error;
    } finally {
      this.worker?.unref();
      this.busy = false;
    }
  }

  close(): void {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) void worker.terminate();
  }
}

/**
 * `shapley`'s `rowExecutor` for Node: the rows are built and reduced on one worker thread while the model
 * runs. Keep it for many calls (the worker starts once, in tens of milliseconds) and `close()` it at the end.
 */
export function tableRowWorker(): TableRowWorker {
  return new TableRowWorker();
}
