/**
 * The one way the metrics that re-explain (sensitivity, randomisation, random logit) call a map method:
 * a model, a batch of images and one class per image in; one map per image at the input size out.
 * `explainerFunction` builds it from a catalog entry.
 */
import type { Explainer } from '../explainers/spec.js';
import type { Model, ProgressCallback, TensorData } from '../types.js';

export type ExplainFunction = (
  model: Model,
  input: TensorData,
  classes: readonly number[],
) => Promise<TensorData>;

export function explainerFunction(
  explainer: Explainer,
  options: Record<string, unknown> = {},
  onProgress?: ProgressCallback,
): ExplainFunction {
  return async (model, input, classes) => {
    const run = await explainer.run(model, input, {
      ...options,
      target: [...classes],
      ...(onProgress ? { onProgress } : {}),
    });
    return run.maps;
  };
}
