/** Comparing explanation maps computed two ways (browser vs Node, exported graph vs library). */
import type { Explainer, ExplainerRun } from '../../src/explainers/index.js';
import type { Model, TensorData } from '../../src/types.js';

export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/**
 * How far the map itself moves when the input moves by float32 rounding (relative 1e-7 to 1e-6, what different
 * summation orders amount to), times 4: the largest change over a few nudge patterns. Zero for methods evaluated
 * at the input alone; for integrated gradients it is large exactly where the path crosses non-differentiable
 * points: on shapes-cnn the path passes MaxPool ties (flat backgrounds) where the routed gradient flips with the
 * last bits of the inputs, and which ties flip depends on the pattern, hence several.
 */
export async function roundingSensitivity(
  explainer: Explainer,
  model: Model,
  input: TensorData,
  options: Record<string, unknown>,
  reference: ExplainerRun,
): Promise<number> {
  if (explainer.id !== 'integrated-gradients') return 0;
  let largest = 0;
  for (const [eps, frequency] of [
    [1e-7, 1],
    [1e-7, 0.37],
    [3e-7, 2.3],
    [1e-6, 1.7],
    [-1e-7, 1],
    [-1e-6, 0.53],
  ]) {
    const nudged = {
      data: input.data.map((v, i) => v * (1 + eps * Math.sin(i * frequency))),
      dims: input.dims,
    };
    const moved = await explainer.run(model, nudged, options);
    largest = Math.max(largest, maxAbsDiff(moved.maps.data, reference.maps.data));
  }
  return 4 * largest;
}
