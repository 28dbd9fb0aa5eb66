/**
 * The class score that perturbation methods compare: the softmax probability (what MATLAB's
 * occlusionSensitivity and imageLIME use for classification networks) or the raw pre-softmax score.
 */
import type { BatchOptions, Model, TensorData } from '../types.js';

export type ScoreKind = 'probability' | 'logit';

/** Scores of a batch as a [N, C] tensor. */
export type ClassScorer = (batch: TensorData, options?: BatchOptions) => Promise<TensorData>;

export async function classScorer(model: Model, kind: ScoreKind): Promise<ClassScorer> {
  if (kind === 'probability') {
    return async (batch, options) => (await model.predict(batch, options)).probabilities;
  }
  // The reduction layer is the tensor feeding the final Softmax (the main output for logit models).
  const layer = await model.reductionLayer();
  return async (batch, options) => {
    const out = (await model.run(batch, [layer], options))[layer];
    const n = batch.dims[0];
    return { data: out.data, dims: [n, out.data.length / n] };
  };
}
