/** Worker thread of WorkerExecutor (tsne-threads.ts): runs its share of each phase's tasks until told to stop. */
import { workerData } from 'node:worker_threads';
import { createRunner } from '../projection/tasks.js';
import { CONTROL, STOP, type WorkerSetup } from './tsne-threads.js';

const { job, control, message, index, threads } = workerData as WorkerSetup;
const runner = createRunner(job);
// The interpolation gradient's tasks keep nothing between them but caches, so its workers take the next task as
// they come free (a shared counter): a worker slowed by other processes on the machine holds up less of a phase.
const claimed = job.kind === 'interpolation';
let seen = 0;
for (;;) {
  Atomics.wait(control, CONTROL.generation, seen);
  seen = Atomics.load(control, CONTROL.generation);
  const phase = Atomics.load(control, CONTROL.phase);
  if (phase === STOP) break;
  try {
    const tasks = Atomics.load(control, CONTROL.tasks);
    if (claimed) {
      for (
        let task = Atomics.add(control, CONTROL.next, 1);
        task < tasks;
        task = Atomics.add(control, CONTROL.next, 1)
      )
        runner.run(phase, task);
    } else for (let task = index; task < tasks; task += threads) runner.run(phase, task);
  } catch (error) {
    if (Atomics.compareExchange(control, CONTROL.failed, 0, 1) === 0) {
      message.set(new TextEncoder().encode(String(error)).subarray(0, message.length));
    }
  }
  Atomics.add(control, CONTROL.done, 1);
  Atomics.notify(control, CONTROL.done);
}
