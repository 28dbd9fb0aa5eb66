/**
 * t-SNE's jobs on several threads (Node worker_threads): the approximate neighbour search with the perplexity
 * calibration (neighbour-kernels.ts) and the interpolation gradient (interpolation-kernels.ts). The workers share
 * the job's buffers (SharedArrayBuffer) and run the tasks of each phase between barriers built on Atomics. Task t
 * of a phase goes to worker t mod threads, except for the interpolation gradient, whose workers take the next task
 * as they come free; the tasks are the same whatever the thread count and which thread runs them, so the result
 * is the same to the last bit as on one thread.
 *
 * The coordinating thread blocks (Atomics.wait) while the workers compute, which Node allows on its main thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { OptionError, RuntimeError } from '../errors.js';
import type { Job, PhaseExecutor } from '../projection/tasks.js';
import { workerScript } from './worker-script.js';

/** Slots of the control array shared with the workers. */
export const CONTROL = { generation: 0, phase: 1, tasks: 2, done: 3, failed: 4, next: 5, length: 6 } as const;
/** Phase code that ends the workers' loop. */
export const STOP = -1;
/** Bytes of the shared buffer a failing worker writes its error message to. */
export const MESSAGE_BYTES = 1024;

export interface WorkerSetup {
  job: Job;
  control: Int32Array;
  message: Uint8Array;
  index: number;
  threads: number;
}

/** Default thread count: every core the process may use, at most 4 (the convolution has only two tasks). */
export function defaultTsneThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

export class WorkerExecutor implements PhaseExecutor {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * CONTROL.length));
  private readonly message = new Uint8Array(new SharedArrayBuffer(MESSAGE_BYTES));
  private workers: Worker[] = [];

  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 2) {
      throw new OptionError('INVALID_OPTION', `worker threads must be an integer >= 2, got ${threads}`);
    }
  }

  allocate = (bytes: number): ArrayBufferLike => new SharedArrayBuffer(bytes);

  start(job: Job): void {
    const script = workerScript('tsne-worker', 't-SNE worker', 'use threads: 1');
    for (let index = 0; index < this.threads; index++) {
      const setup: WorkerSetup = {
        job,
        control: this.control,
        message: this.message,
        index,
        threads: this.threads,
      };
      const worker = new Worker(script, { workerData: setup });
      // A worker reports failures through the shared message; this keeps an unexpected one from crashing Node.
      worker.on('error', () => undefined);
      worker.unref();
      this.workers.push(worker);
    }
  }

  run(phase: number, tasks: number): void {
    const control = this.control;
    Atomics.store(control, CONTROL.done, 0);
    Atomics.store(control, CONTROL.phase, phase);
    Atomics.store(control, CONTROL.tasks, tasks);
    Atomics.store(control, CONTROL.next, 0);
    Atomics.add(control, CONTROL.generation, 1);
    Atomics.notify(control, CONTROL.generation);
    for (;;) {
      const done = Atomics.load(control, CONTROL.done);
      if (done >= this.threads) break;
      Atomics.wait(control, CONTROL.done, done, 1000);
    }
    if (Atomics.load(control, CONTROL.failed) !== 0) {
      const text = new TextDecoder().decode(this.message.slice()).replace(/\0+$/, '');
      this.close();
      throw new RuntimeError('RUNTIME_ERROR', `t-SNE worker failed: ${text}`);
    }
  }

  close(): void {
    if (this.workers.length === 0) return;
    Atomics.store(this.control, CONTROL.phase, STOP);
    Atomics.add(this.control, CONTROL.generation, 1);
    Atomics.notify(this.control, CONTROL.generation);
    for (const worker of this.workers) void worker.terminate();
    this.workers = [];
  }
}

/**
 * t-SNE's `executor` option for `threads` worker threads (default: defaultTsneThreads()); undefined for one
 * thread, the caller's own. Each call of the returned factory starts a new set of workers (one per job).
 */
export function tsneThreads(threads = defaultTsneThreads()): (() => PhaseExecutor) | undefined {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new OptionError('INVALID_OPTION', `threads must be a positive integer, got ${threads}`);
  }
  return threads === 1 ? undefined : () => new WorkerExecutor(threads);
}
