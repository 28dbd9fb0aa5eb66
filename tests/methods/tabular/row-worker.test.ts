/**
 * Interventional Shapley values with the rows built and reduced on a worker thread while the model runs: the
 * same values to the last bit as on one thread, with one or two ONNX Runtime threads, and a failing run
 * surfaces as an error without spoiling the next stream. The worker runs the compiled code under dist/ (`npm run
 * build`, which `npm ci` runs through `prepare`).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureModelPath, loadTableSamples } from '../../../src/data/samples.js';
import type { TableData } from '../../../src/data/table-csv.js';
import { loadModel } from '../../../src/node/load.js';
import { tableRowWorker } from '../../../src/node/table-rows.js';
import { shapley, type TableShapleyOptions } from '../../../src/methods/tabular/index.js';
import {
  batchSegmentSums,
  fillBatch,
  segmentCount,
  streamShape,
  type RowStreamSpec,
} from '../../../src/methods/tabular/interventional.js';

function rows(values: Float32Array, features: string[], first: number, count: number): TableData {
  const m = features.length;
  return { features, rows: count, values: values.slice(first * m, (first + count) * m) };
}

const worker = tableRowWorker();
afterAll(() => worker.close());

describe('table rows on a worker thread', () => {
  it('gives the same bits as one thread, at 1 and 2 runtime threads, batches split anywhere', async () => {
    const set = loadTableSamples('tabular-mlp-wine');
    const background = rows(set.values, set.features, 0, 30);
    const options: TableShapleyOptions = {
      queryPoints: rows(set.values, set.features, 30, 5),
      maxNumSubsets: 200,
      // 997 rows a batch: batches end inside coalitions and inside query points.
      miniBatchSize: 997,
    };
    const results: string[] = [];
    for (const threads of [1, 2]) {
      const model = await loadModel(fixtureModelPath('tabular-mlp-wine'), { threads });
      try {
        for (const rowExecutor of [undefined, worker]) {
          const r = await shapley(model, background, { ...options, evaluation: 'rows', rowExecutor });
          expect(r.forwardRows).toBe(5 + 5 * 200 * 30);
          results.push(JSON.stringify(r.explanations.map((e) => Array.from(e.values))));
        }
        // Logits (no softmax): the plain sums agree too.
        const a = await shapley(model, background, { ...options, score: 'logit', evaluation: 'rows' });
        const b = await shapley(model, background, { ...options, score: 'logit', rowExecutor: worker });
        expect(b.explanations.map((e) => Array.from(e.values))).toEqual(
          a.explanations.map((e) => Array.from(e.values)),
        );
      } finally {
        await model.dispose();
      }
    }
    expect(new Set(results).size).toBe(1);
  });

  it('a failing run rejects the stream; the next stream runs on a fresh worker', async () => {
    const m = 2;
    const spec: RowStreamSpec = {
      background: Float32Array.from([1, 2, 3, 4, 5, 6]),
      queries: Float32Array.from([10, 20, 30, 40]),
      coalitions: Uint8Array.from([0, 0, 1, 1, 1, 0]),
      numFeatures: m,
      columns: 1,
      softmaxed: false,
      batchRows: 4,
    };
    const { batches, totalRows } = streamShape(spec);
    expect(totalRows).toBe(2 * 3 * 3);
    // Output of a row: the sum of its features; the reference sums each batch on this thread.
    const run = async (x: Float32Array, count: number) =>
      Float32Array.from({ length: count }, (_, r) => x[r * m] + x[r * m + 1]);
    const expected: number[][] = [];
    for (let i = 0; i < batches; i++) {
      const batch = new Float32Array(spec.batchRows * m);
      const count = fillBatch(spec, i, batch);
      const sums = new Float64Array(segmentCount(spec, i));
      batchSegmentSums(spec, i, await run(batch, count), sums);
      expected.push(Array.from(sums));
    }
    let calls = 0;
    const failing = async (x: Float32Array, count: number) => {
      if (++calls === 3) throw new Error('runtime gave up');
      return run(x, count);
    };
    await expect(worker.stream(spec, failing, () => undefined)).rejects.toThrow('runtime gave up');
    const got: number[][] = [];
    await worker.stream(spec, run, (i, sums) => (got[i] = Array.from(sums)));
    expect(got).toEqual(expected);
    // The first batch: background rows 0..2 under the empty coalition (1+2, 3+4, 5+6), then one row under the
    // full coalition: query 0 itself (10+20).
    expect(expected[0]).toEqual([3 + 7 + 11, 10 + 20]);
  });
});
