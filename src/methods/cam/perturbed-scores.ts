/**
 * Scores of the explained target on perturbed copies, for the gradient-free CAMs: the linear target value
 * <tensor, seed>, or for a class target on a [N, classes] tensor optionally its softmax probability.
 */
import { OptionError } from '../../errors.js';
import type { ResolvedTarget } from '../target.js';

export type PerturbedScore = 'probability' | 'logit';

/** Returns score(values, row, item): the score of target item `item` given row `row` of a tensor chunk. */
export function perturbedScorer(
  target: ResolvedTarget,
  kind: PerturbedScore,
): (values: Float32Array, row: number, item: number) => number {
  const size = target.seeds.data.length / target.seeds.dims[0];
  if (kind === 'probability') {
    if (target.seeds.dims.length !== 2 || target.classes.some((c) => c === undefined)) {
      throw new OptionError(
        'INVALID_OPTION',
        "score 'probability' needs a class target on a [N, classes] tensor; use score 'logit'",
      );
    }
    return (values, row, item) => {
      const base = row * size;
      let max = -Infinity;
      for (let j = 0; j < size; j++) max = Math.max(max, values[base + j]);
      let sum = 0;
      for (let j = 0; j < size; j++) sum += Math.exp(values[base + j] - max);
      return Math.exp(values[base + (target.classes[item] as number)] - max) / sum;
    };
  }
  return (values, row, item) => {
    let s = 0;
    const base = row * size;
    const seed = item * size;
    for (let j = 0; j < size; j++) s += values[base + j] * target.seeds.data[seed + j];
    return s;
  };
}
