/** Worker thread of WorkerExecutor (tsne-threads.ts): runs its share of each phase's tasks until told to stop. */
import { workerData } from 'node:worker_threads';
import { PhaseRunner, taskCount, PHASES } from '../projection/interpolation-kernels.js';
import { CONTROL, PHASE_CODES, type WorkerSetup } from './tsne-threads.js';

const { buffers, control, message, index, threads } = workerData as WorkerSetup;
const runner = new PhaseRunner(buffers);
let seen = 0;
for (;;) {
  Atomics.wait(control, CONTROL.generation, seen);
  seen = Atomics.load(control, CONTROL.generation);
  const code = Atomics.load(control, CONTROL.phase);
  if (code === PHASE_CODES.stop) break;
  try {
    const phase = PHASES[code];
    for (let task = index; task < taskCount(phase); task += threads) runner.run(phase, task);
  } catch (error) {
    if (Atomics.compareExchange(control, CONTROL.failed, 0, 1) === 0) {
      message.set(new TextEncoder().encode(String(error)).subarray(0, message.length));
    }
  }
  Atomics.add(control, CONTROL.done, 1);
  Atomics.notify(control, CONTROL.done);
}
