/**
 * Class targets shared by every method: which output channel an explanation is about.
 *
 * A target is a class index (0-based) or a class name (matched case-insensitively against
 * `model.labels`); a list gives one target per image (or one for all); leaving it out means the
 * predicted class of each image.
 */
import { TargetError } from '../errors.js';
import { closestNames } from '../errors.js';
import type { Model, TensorData } from '../types.js';

export type ClassTarget = number | string;
/** One target for all images, one per image, or undefined for the predicted class of each image. */
export type TargetOption = ClassTarget | readonly ClassTarget[] | undefined;

/** Number of classes of the main output: labels, else the last dim of the output shape. */
export function classCount(model: Pick<Model, 'labels' | 'outputs' | 'outputName'>): number | undefined {
  if (model.labels && model.labels.length > 0) return model.labels.length;
  const output = model.outputs.find((o) => o.name === model.outputName) ?? model.outputs[0];
  const last = output?.shape[output.shape.length - 1];
  return typeof last === 'number' && last > 0 ? last : undefined;
}

/** Resolves one class index or name to a 0-based index in [0, numClasses). */
export function resolveClass(
  model: Pick<Model, 'labels'>,
  target: ClassTarget,
  numClasses: number | undefined,
): number {
  const labels = model.labels;
  if (typeof target === 'string') {
    const wanted = target.trim().toLowerCase();
    const found = labels?.findIndex((label) => label.toLowerCase() === wanted) ?? -1;
    if (found >= 0) return found;
    // A numeric string (as typed on a command line) is an index when no label matches it.
    if (/^\d+$/.test(wanted)) return resolveClass(model, Number(wanted), numClasses);
    if (!labels || labels.length === 0) {
      throw new TargetError(
        'INVALID_TARGET',
        `class "${target}" cannot be looked up by name: the model has no labels; give a class index` +
          (numClasses ? ` 0..${numClasses - 1}` : ''),
      );
    }
    throw new TargetError(
      'INVALID_TARGET',
      `unknown class "${target}": did you mean ${closestNames(target, labels)
        .map((n) => `"${n}"`)
        .join(', ')}?`,
    );
  }
  if (!Number.isInteger(target) || target < 0 || (numClasses !== undefined && target >= numClasses)) {
    const range =
      numClasses !== undefined ? `0..${numClasses - 1} (${numClasses} classes)` : 'a non-negative integer';
    throw new TargetError(
      'INVALID_TARGET',
      `class index ${String(target)} is out of range: expected ${range}`,
    );
  }
  return target;
}

/** Index of the largest entry of each row of a [N, C] score tensor. */
export function argmaxRows(scores: TensorData): number[] {
  const n = scores.dims[0];
  const c = scores.data.length / n;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (scores.data[i * c + j] > scores.data[i * c + best]) best = j;
    out.push(best);
  }
  return out;
}

/**
 * One class index per image. `scores` ([N, C], the model output for the unmodified batch) supplies the
 * predicted classes when `target` is left out and the class count when the model declares none.
 */
export function resolveTargets(
  model: Pick<Model, 'labels' | 'outputs' | 'outputName'>,
  target: TargetOption,
  batchSize: number,
  scores?: TensorData,
): number[] {
  const numClasses = scores ? scores.data.length / scores.dims[0] : classCount(model);
  if (target === undefined) {
    if (!scores)
      throw new TargetError('INVALID_TARGET', 'no target given and no scores to pick the predicted class');
    return argmaxRows(scores);
  }
  const list = Array.isArray(target) ? (target as readonly ClassTarget[]) : [target as ClassTarget];
  if (list.length !== 1 && list.length !== batchSize) {
    throw new TargetError(
      'INVALID_TARGET',
      `expected one target or one per image (${batchSize}), got a list of ${list.length}`,
    );
  }
  const resolved = list.map((t) => resolveClass(model, t, numClasses));
  return resolved.length === 1 ? new Array<number>(batchSize).fill(resolved[0]) : resolved;
}
