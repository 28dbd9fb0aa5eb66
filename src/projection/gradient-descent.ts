/**
 * t-SNE's optimiser (van der Maaten & Hinton 2008; van der Maaten 2014): gradient descent with momentum and
 * per-coordinate adaptive gains, early exaggeration of P for the first iterations, momentum 0.5 while exaggerating
 * and 0.8 after. As in scikit-learn, the momentum buffer and the gains restart when exaggeration ends.
 */

export interface GradientEvaluator {
  /** Gradient at `y` into `grad`; KL(P‖Q) of `y` (unexaggerated) when `withKl` is set. */
  evaluate(y: Float64Array, exaggeration: number, grad: Float64Array, withKl: boolean): number | undefined;
}

export interface DescentSchedule {
  maxIterations: number;
  exaggeration: number;
  exaggerationIterations: number;
  learnRate: number;
  /** Stop once the gradient norm falls below this. */
  tolerance: number;
  /** Record the KL every this many iterations. */
  reportEvery: number;
  initialMomentum?: number;
  finalMomentum?: number;
  /** Called at every recorded iteration. */
  onReport?: (iteration: number, kl: number) => void;
}

export interface DescentResult {
  /** Gradient steps taken. */
  iterations: number;
  /** KL divergence at the recorded iterations, the last one being the final embedding's. */
  kl: number[];
  /** The iteration (number of steps taken before it was measured) of each `kl` entry. */
  klIterations: number[];
  /** Norm of the last gradient computed. */
  gradientNorm: number;
  stoppedBy: 'maxIterations' | 'tolerance';
}

const GAIN_INCREASE = 0.2;
const GAIN_DECAY = 0.8;
const MIN_GAIN = 0.01;
/** Hand the event loop back this often, so a browser page stays responsive while t-SNE runs. */
const YIELD_EVERY_MS = 100;

/**
 * One turn of the event loop: setImmediate where there is one (Node), whose turn comes at once, rather than
 * setTimeout, which waits at least a millisecond there (and 4 ms when nested in browsers, which lack setImmediate).
 */
function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  return new Promise<void>((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}

/** Minimise in place over `y` (n × dims, row-major). */
export async function gradientDescent(
  evaluator: GradientEvaluator,
  y: Float64Array,
  schedule: DescentSchedule,
): Promise<DescentResult> {
  const size = y.length;
  const grad = new Float64Array(size);
  const update = new Float64Array(size);
  const gains = new Float64Array(size).fill(1);
  const initialMomentum = schedule.initialMomentum ?? 0.5;
  const finalMomentum = schedule.finalMomentum ?? 0.8;
  const kl: number[] = [];
  const klIterations: number[] = [];
  const record = (iteration: number, value: number) => {
    kl.push(value);
    klIterations.push(iteration);
    schedule.onReport?.(iteration, value);
  };

  let lastYield = Date.now();
  let iteration = 0;
  let gradientNorm = Infinity;
  let stoppedBy: DescentResult['stoppedBy'] = 'maxIterations';
  for (; iteration < schedule.maxIterations; iteration++) {
    const exploring = iteration < schedule.exaggerationIterations;
    if (iteration === schedule.exaggerationIterations && iteration > 0) {
      update.fill(0);
      gains.fill(1);
    }
    const report = iteration > 0 && iteration % schedule.reportEvery === 0;
    const value = evaluator.evaluate(y, exploring ? schedule.exaggeration : 1, grad, report);
    if (report) record(iteration, value as number);

    let norm2 = 0;
    for (let t = 0; t < size; t++) norm2 += grad[t] * grad[t];
    gradientNorm = Math.sqrt(norm2);
    if (gradientNorm < schedule.tolerance) {
      stoppedBy = 'tolerance';
      break;
    }

    const momentum = exploring ? initialMomentum : finalMomentum;
    const rate = schedule.learnRate;
    for (let t = 0; t < size; t++) {
      const g = grad[t];
      // Grow the gain where the gradient turned against the last step, shrink it where it kept going.
      let gain = gains[t];
      gain = g * update[t] < 0 ? gain + GAIN_INCREASE : gain * GAIN_DECAY;
      if (gain < MIN_GAIN) gain = MIN_GAIN;
      gains[t] = gain;
      const step = momentum * update[t] - rate * gain * g;
      update[t] = step;
      y[t] += step;
    }

    if (Date.now() - lastYield > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = Date.now();
    }
  }

  if (klIterations[klIterations.length - 1] !== iteration) {
    record(iteration, evaluator.evaluate(y, 1, grad, true) as number);
  }
  return { iterations: iteration, kl, klIterations, gradientNorm, stoppedBy };
}
