/**
 * Interventional Shapley values of many query points with the coalition values computed inside the runtime
 * (`Model.coalitionMeans`): groups — a query point and a coalition each, query point after query point — go
 * to the model in runs of ⌊miniBatchSize / B⌋ groups (at least one), so a run holds about as many rows as a
 * batch of the row stream, and only the means per group come back. A query point's values are solved through
 * the shared Kernel SHAP factorisation as soon as its last coalition's means are in. The runs depend on the
 * sizes alone (not on threads or timing), so the same inputs give the same bits.
 */
import { UnsupportedError } from '../../errors.js';
import type { Model } from '../../types.js';
import type { ShapleyResult } from '../shapley/game.js';
import type { InterventionalStream } from './interventional.js';

export async function graphInterventionalShapley(
  model: Model,
  stream: Omit<InterventionalStream, 'executor'>,
  onQuery: (q: number, result: ShapleyResult) => void,
): Promise<void> {
  const { scorer, design, numFeatures: m, background, queries, onProgress } = stream;
  if (!model.coalitionMeans) {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      'this model cannot compute coalition values in its runtime',
    );
  }
  const k = scorer.columns;
  const run = await model.coalitionMeans({
    scores: scorer.rawTensor,
    columns: k,
    softmax: scorer.softmaxed,
    background,
  });
  const n = background.length / m;
  const count = design.coalitions.length;
  const queryCount = queries.length / m;
  const points = Array.from({ length: queryCount }, (_, q) => queries.subarray(q * m, (q + 1) * m));
  const perRun = Math.max(1, Math.floor(stream.miniBatchSize / n));
  const total = queryCount * count;
  let acc = new Float64Array(count * k);
  // The group lists of a full run, reused; the tail run takes a shorter copy.
  const masks: Uint8Array[] = new Array<Uint8Array>(Math.min(perRun, total));
  const owners: Float32Array[] = new Array<Float32Array>(Math.min(perRun, total));
  for (let first = 0; first < total; first += perRun) {
    const groups = Math.min(perRun, total - first);
    for (let i = 0; i < groups; i++) {
      masks[i] = design.coalitions[(first + i) % count];
      owners[i] = points[Math.floor((first + i) / count)];
    }
    const means =
      groups === perRun
        ? await run(masks, owners)
        : await run(masks.slice(0, groups), owners.slice(0, groups));
    scorer.rowsEvaluated += groups * n;
    for (let i = 0; i < groups; i++) {
      const c = (first + i) % count;
      for (let o = 0; o < k; o++) acc[c * k + o] = means[i * k + o];
      if (c < count - 1) continue;
      onQuery(Math.floor((first + i) / count), design.solve(acc, k));
      acc = new Float64Array(count * k);
    }
    onProgress?.({
      done: first + groups,
      total,
      stage: `coalitions of ${queryCount} query point${queryCount === 1 ? '' : 's'}`,
    });
  }
}
