/**
 * Table models against their floor: Kernel SHAP (MATLAB `shapley`, interventional, 1 024 coalitions over the 53
 * wine rows as background) for one query point and for many, against raw ONNX Runtime running the same number
 * of rows in batches of the same size on pre-built model-ready rows, through the very session the model runs
 * on. A ratio of 1 means building coalition rows, standardising, softmax and the least-squares solve cost
 * nothing beyond the forward passes.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadTableSamples } from '../../data/samples.js';
import type { TableData } from '../../data/table-csv.js';
import { shapley, TABLE_MINI_BATCH } from '../../methods/tabular/index.js';
import { loadModel } from '../../node/load.js';
import { repoRoot, type BenchSuite } from '../context.js';
import type { BenchRow } from '../report.js';
import { median } from '../timing.js';

const NAME = 'tabular-mlp-wine';

async function rawRows(
  session: ort.InferenceSession,
  inputName: string,
  full: Float32Array,
  m: number,
  rows: number,
) {
  const start = performance.now();
  for (let done = 0; done < rows; done += TABLE_MINI_BATCH) {
    const count = Math.min(TABLE_MINI_BATCH, rows - done);
    await session.run({ [inputName]: new ort.Tensor('float32', full.subarray(0, count * m), [count, m]) });
  }
  return performance.now() - start;
}

export const tableSuite: BenchSuite = {
  name: 'table',
  async run(ctx) {
    const file = path.join(repoRoot(), 'fixtures', NAME, 'model.onnx');
    const bytes = new Uint8Array(await readFile(file));
    const model = await loadModel(bytes, { source: file });
    const session = await model.runtimeSession();
    const rows: BenchRow[] = [];
    try {
      const set = loadTableSamples(NAME);
      const m = set.features.length;
      const data: TableData = { features: set.features, rows: set.count, values: set.values };
      const queriesOf = (count: number): TableData => {
        const values = new Float32Array(count * m);
        for (let q = 0; q < count; q++)
          values.set(set.values.subarray((q % set.count) * m, ((q % set.count) + 1) * m), q * m);
        return { features: set.features, rows: count, values };
      };
      const full = loadTableSamples(NAME, { normalized: true }).values;
      const ready = new Float32Array(TABLE_MINI_BATCH * m);
      for (let i = 0; i < ready.length; i++) ready[i] = full[i % full.length];
      const repeats = Math.min(ctx.repeats, 3);
      for (const count of ctx.quick ? [1, 100] : [1, 100, 1000]) {
        const run = async () => (await shapley(model, data, { queryPoints: queriesOf(count) })).forwardRows;
        const forwardRows = await run(); // warm-up, and the row count for the floor
        await rawRows(session, model.inputName, ready, m, forwardRows);
        const methodMs: number[] = [];
        const floorMs: number[] = [];
        for (let r = 0; r < (count === 1 ? Math.max(repeats, 5) : 1); r++) {
          const start = performance.now();
          await run();
          methodMs.push(performance.now() - start);
          floorMs.push(await rawRows(session, model.inputName, ready, m, forwardRows));
        }
        rows.push({
          suite: 'table',
          model: NAME,
          what: `Kernel SHAP (shapley), ${count} query point${count > 1 ? 's' : ''}, 1024 coalitions x 53 rows`,
          batch: TABLE_MINI_BATCH,
          perItemMs: median(methodMs) / count,
          ratio: median(methodMs) / median(floorMs),
          floor: `raw ORT x ${forwardRows} rows`,
        });
      }
    } finally {
      await model.dispose();
    }
    return rows;
  },
};
