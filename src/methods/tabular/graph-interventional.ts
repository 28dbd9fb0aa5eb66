/**
 * Interventional Shapley values of many query points with the coalition values computed inside the runtime
 * (`Model.coalitionMeans`): groups — a query point and a coalition each, query point after query point — go
 * to the model in runs of ⌊miniBatchSize / B⌋ groups (at least one), so a run holds about as many rows as a
 * batch of the row stream, and only the means per group come back. A query point's values are solved through
 * the shared Kernel SHAP factorisation as soon as its last coalition's means are in. The runs depend on the
 * sizes alone (not on threads or timing), so the same inputs give the same bits. Where the graph builds the
 * model's first layer from per-query parts (path 'first-layer'), runs stay inside one query point. Returns the
 * graph's path.
 */
import { UnsupportedError } from '../../errors.js';
import type { CoalitionGraphPath, Model } from '../../types.js';
import type { ShapleyResult } from '../shapley/game.js';
import type { InterventionalStream } from './interventional.js';

export async function graphInterventionalShapley(
  model: Model,
  stream: Omit<InterventionalStream, 'executor'>,
  onQuery: (q: number, result: ShapleyResult) => void,
): Promise<CoalitionGraphPath> {
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
  // The first-layer path builds its layer per query point: runs then stay inside one query point, its
  // coalitions cut into runs of near-equal size (the same cuts for every query point).
  const cuts = run.path === 'first-layer' ? evenCuts(count, perRun) : undefined;
  let acc = new Float64Array(count * k);
  // The group lists of a full run, reused; the tail run takes a shorter copy.
  const masks: Uint8Array[] = new Array<Uint8Array>(Math.min(perRun, total));
  const owners: Float32Array[] = new Array<Float32Array>(Math.min(perRun, total));
  for (let first = 0; first < total;) {
    const c0 = first % count;
    const groups = cuts ? cuts.get(c0)! : Math.min(perRun, total - first);
    for (let i = 0; i < groups; i++) {
      masks[i] = design.coalitions[(first + i) % count];
      owners[i] = points[Math.floor((first + i) / count)];
    }
    const means =
      groups === masks.length
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
    first += groups;
    onProgress?.({
      done: first,
      total,
      stage: `coalitions of ${queryCount} query point${queryCount === 1 ? '' : 's'}`,
    });
  }
  return run.path;
}

/** Run sizes by first coalition: `count` coalitions in ⌈count / most⌉ runs of near-equal size. */
function evenCuts(count: number, most: number): Map<number, number> {
  const runs = Math.ceil(count / most);
  const cuts = new Map<number, number>();
  for (let r = 0, start = 0; r < runs; r++) {
    const end = Math.round(((r + 1) * count) / runs);
    cuts.set(start, end - start);
    start = end;
  }
  return cuts;
}
