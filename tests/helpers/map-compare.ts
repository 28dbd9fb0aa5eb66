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
 * How far the map itself moves when the input moves by float32 rounding (relative 1e-7, what different
 * summation orders amount to), times 4. Zero for methods evaluated at the input alone; for integrated gradients
 * it is large exactly where the path crosses non-differentiable points: on shapes-cnn the path passes MaxPool
 * ties (flat backgrounds) where the routed gradient flips with the last bit of the inputs.
 */
export async function roundingSensitivity(
  explainer: Explainer,
  model: Model,
  input: TensorData,
  options: Record<string, unknown>,
  reference: ExplainerRun,
): Promise<number> {
  if (explainer.id !== 'integrated-gradients') return 0;
  const nudged = { data: input.data.map((v, i) => v * (1 + 1e-7 * Math.sin(i))), dims: input.dims };
  const moved = await explainer.run(model, nudged, options);
  return 4 * maxAbsDiff(moved.maps.data, reference.maps.data);
}
