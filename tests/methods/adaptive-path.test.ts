/**
 * Adaptive path integration on integrands with known integrals: piecewise-constant slopes (what ReLU
 * networks give), a linear path (nothing to refine) and a budget too small to converge.
 */
import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { integratePathAdaptively, type PathJob } from '../../src/methods/attribution/adaptive-path.js';

/** A two-coordinate gradient whose slopes jump at the given places; f(α) is its exact integral. */
interface StepIntegrand {
  /** Per coordinate: jump positions and the slope after each jump (slope[0] before the first). */
  jumps: number[][];
  slopes: number[][];
}

function slopeAt(s: StepIntegrand, coordinate: number, alpha: number): number {
  let k = 0;
  while (k < s.jumps[coordinate].length && alpha >= s.jumps[coordinate][k]) k++;
  return s.slopes[coordinate][k];
}

function integral(s: StepIntegrand, coordinate: number, alpha: number): number {
  let total = 0;
  let from = 0;
  for (let k = 0; k <= s.jumps[coordinate].length; k++) {
    const to = Math.min(alpha, k < s.jumps[coordinate].length ? s.jumps[coordinate][k] : 1);
    if (to > from) total += (to - from) * s.slopes[coordinate][k];
    from = Math.max(from, to);
  }
  return total;
}

/** Item i uses integrand i; the direction is (1, 1), so f = coordinate 0 + coordinate 1. */
function problem(integrands: StepIntegrand[], initialSteps: number, maxSteps: number, tolerance: number) {
  const f = (item: number, alpha: number) =>
    integral(integrands[item], 0, alpha) + integral(integrands[item], 1, alpha);
  const calls = { gradients: 0, values: 0 };
  return {
    calls,
    run: () =>
      integratePathAdaptively({
        items: integrands.length,
        size: 2,
        startValues: integrands.map(() => 0),
        endValues: integrands.map((_, item) => f(item, 1)),
        direction: () => [1, 1],
        gradients: async (jobs: readonly PathJob[], collect: (job: number, grad: Float32Array) => void) => {
          calls.gradients += jobs.length;
          jobs.forEach((job, j) =>
            collect(
              j,
              Float32Array.of(
                slopeAt(integrands[job.item], 0, job.alpha),
                slopeAt(integrands[job.item], 1, job.alpha),
              ),
            ),
          );
        },
        values: async (jobs: readonly PathJob[]) => {
          calls.values += jobs.length;
          return jobs.map((job) => f(job.item, job.alpha));
        },
        initialSteps,
        maxSteps,
        tolerance,
      }),
  };
}

const kinked: StepIntegrand = {
  jumps: [
    [0.1234, 0.5551, 0.5559],
    [0.3183, 0.7071],
  ],
  slopes: [
    [2, -30, 25, 1],
    [-1, 40, -38],
  ],
};

describe('integratePathAdaptively', () => {
  it('halves the panels that hold the jumps until |delta| meets the tolerance', async () => {
    const p = problem([kinked], 8, 4096, 1e-3);
    const r = await p.run();
    const gap = integral(kinked, 0, 1) + integral(kinked, 1, 1);
    const delta = gap - (r.gradientSums[0] + r.gradientSums[1]);
    expect(Math.abs(delta)).toBeLessThanOrEqual(1e-3 * Math.abs(gap));
    expect(r.converged).toEqual([true]);
    expect(r.stepsUsed[0]).toBeGreaterThan(8);
    expect(r.stepsUsed[0]).toBeLessThan(4096);
    expect(p.calls.gradients).toBe(r.stepsUsed[0]);
    expect(r.valueEvaluations).toBe(p.calls.values);
    // Each coordinate's integral is close as well, since refinement happens around every jump.
    expect(r.gradientSums[0]).toBeCloseTo(integral(kinked, 0, 1), 1);
    expect(r.gradientSums[1]).toBeCloseTo(integral(kinked, 1, 1), 1);
  });

  it('refines nothing on a linear path and is exact there', async () => {
    const flat: StepIntegrand = { jumps: [[], []], slopes: [[3], [-0.5]] };
    const r = await problem([flat, kinked], 16, 1024, 1e-2).run();
    expect(r.stepsUsed[0]).toBe(16);
    expect(r.gradientSums[0]).toBeCloseTo(3, 6);
    expect(r.gradientSums[1]).toBeCloseTo(-0.5, 6);
    expect(r.stepsUsed[1]).toBeGreaterThan(16);
    expect(r.converged).toEqual([true, true]);
  });

  it('stops at maxSteps and says it did not converge', async () => {
    const r = await problem([kinked], 4, 12, 1e-9).run();
    expect(r.converged).toEqual([false]);
    expect(r.stepsUsed[0]).toBeLessThanOrEqual(12);
  });

  it('rejects a tolerance that is not positive and a budget below the start', async () => {
    await expect(problem([kinked], 8, 64, 0).run()).rejects.toThrow(OptionError);
    await expect(problem([kinked], 8, 4, 0.01).run()).rejects.toThrow(/maxSteps/);
  });
});
