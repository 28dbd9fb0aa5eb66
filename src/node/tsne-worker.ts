/** Worker thread of WorkerExecutor (tsne-threads.ts): runs its share of each phase's tasks until told to stop. */
import { workerData } from 'node:worker_threads';
import { createRunner } from '../projection/tasks.js';
import { CONTROL, STOP, type WorkerSetup } from './tsne-threads.js';

const { job, control, message, index, threads } = workerData as WorkerSetup;
const runner = createRunner(job);
let seen = 0;
for (;;) {
  Atomics.wait(control, CONTROL.generation, seen);
  seen = Atomics.load(control, CONTROL.generation);
  const phase = Atomics.load(control, CONTROL.phase);
  if (phase === STOP) break;
  try {
    const tasks = Atomics.load(control, CONTROL.tasks);
    for (let task = index; task < tasks; task += threads) runner.run(phase, task);
  } catch (error) {
    if (Atomics.compareExchange(control, CONTROL.failed, 0, 1) === 0) {
      message.set(new TextEncoder().encode(String(error)).subarray(0, message.length));
    }
  }
  Atomics.add(control, CONTROL.done, 1);
  Atomics.notify(control, CONTROL.done);
}
