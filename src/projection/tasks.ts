/**
 * Jobs cut into phases of independent tasks over typed arrays, so that the same code runs on one thread or on
 * several sharing the arrays (SharedArrayBuffer). A job's buffers and its kind are all a worker needs to rebuild
 * the runner of its tasks (`createRunner`). Every job cuts its work into a fixed number of tasks whatever the
 * thread count and sums in a fixed order, so its results are the same to the last bit on any number of threads.
 */
import { PhaseRunner, PHASES, type InterpolationBuffers } from './interpolation-kernels.js';
import { NeighbourRunner, type NeighbourBuffers } from './neighbour-kernels.js';
import { LayoutRunner, type LayoutBuffers } from './umap-kernels.js';

export type Allocate = (bytes: number) => ArrayBufferLike;

export type Job =
  | { kind: 'interpolation'; buffers: InterpolationBuffers }
  | { kind: 'neighbours'; buffers: NeighbourBuffers }
  | { kind: 'umap-layout'; buffers: LayoutBuffers };

export interface TaskRunner {
  run(phase: number, task: number): void;
}

/** The runner of a job's tasks; one per thread, each with its own scratch memory. */
export function createRunner(job: Job): TaskRunner {
  if (job.kind === 'neighbours') return new NeighbourRunner(job.buffers);
  if (job.kind === 'umap-layout') return new LayoutRunner(job.buffers);
  const runner = new PhaseRunner(job.buffers);
  return { run: (phase, task) => runner.run(PHASES[phase], task) };
}

/**
 * Runs every task of a phase and returns when all are done. The default runs them in order on the calling
 * thread; a threaded executor (Node: src/node/tsne-threads.ts) hands them to workers sharing the buffers.
 */
export interface PhaseExecutor {
  readonly threads: number;
  /** Memory for the buffers: SharedArrayBuffer when other threads read them. */
  allocate: Allocate;
  /** Called once with the job before its first phase. */
  start(job: Job): void;
  /** Runs tasks 0 .. tasks - 1 of `phase`. */
  run(phase: number, tasks: number): void;
  /** Releases the threads; the executor is not used again. */
  close(): void;
}

/** Every task on the calling thread. */
export class InlineExecutor implements PhaseExecutor {
  readonly threads = 1;
  private runner: TaskRunner | undefined;
  allocate: Allocate = (bytes) => new ArrayBuffer(bytes);

  start(job: Job): void {
    this.runner = createRunner(job);
  }

  run(phase: number, tasks: number): void {
    const runner = this.runner as TaskRunner;
    for (let task = 0; task < tasks; task++) runner.run(phase, task);
  }

  close(): void {
    this.runner = undefined;
  }
}
