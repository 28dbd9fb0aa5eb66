/**
 * Table models against their floor: Kernel SHAP (MATLAB `shapley`, interventional, 1 024 coalitions over the 53
 * wine rows as background) for one query point and for many, against raw ONNX Runtime running the same number
 * of rows in batches of the same size on pre-built model-ready rows, through the very session the model runs
 * on (so with the same intra-op threads), alternately in the same run. A ratio of 1 means building coalition
 * rows, standardising, softmax and the least-squares solve cost nothing beyond the forward passes.
 *
 * Two routes: the rows built and reduced on the calling thread between runs, and on a worker thread while the
 * model runs (`tableRowWorker`); each at 1 and 2 ONNX Runtime threads. Wall and CPU ratios both: the worker
 * hides the JavaScript behind the forward pass in wall time when a core is free, never in CPU time.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadTableSamples } from '../../data/samples.js';
import type { TableData } from '../../data/table-csv.js';
import type { ScoreKind } from '../../methods/class-scores.js';
import { shapley, TABLE_MINI_BATCH } from '../../methods/tabular/index.js';
import { loadModel } from '../../node/load.js';
import { tableRowWorker } from '../../node/table-rows.js';
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
): Promise<Spent> {
  return spent(async () => {
    for (let done = 0; done < rows; done += TABLE_MINI_BATCH) {
      const count = Math.min(TABLE_MINI_BATCH, rows - done);
      await session.run({ [inputName]: new ort.Tensor('float32', full.subarray(0, count * m), [count, m]) });
    }
  });
}

interface Spent {
  wallMs: number;
  /** User + system time of the process: steadier than wall time on a shared machine. */
  cpuMs: number;
}

async function spent(fn: () => Promise<unknown>): Promise<Spent> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}

export const tableSuite: BenchSuite = {
  name: 'table',
  async run(ctx) {
    const file = path.join(repoRoot(), 'fixtures', NAME, 'model.onnx');
    const bytes = new Uint8Array(await readFile(file));
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
    // Probabilities (the default) need a softmax of every row in JavaScript; logits show the cost without it.
    const cases: [number, ScoreKind][] = [
      [1, 'probability'],
      [100, 'probability'],
      [100, 'logit'],
      ...(ctx.quick ? [] : ([[1000, 'probability']] as [number, ScoreKind][])),
    ];
    const worker = tableRowWorker();
    const rows: BenchRow[] = [];
    try {
      for (const threads of [1, 2]) {
        const model = await loadModel(bytes, { source: file, threads });
        const session = await model.runtimeSession();
        try {
          for (const [count, score] of cases) {
            for (const route of ['calling thread', 'worker thread'] as const) {
              const rowExecutor = route === 'worker thread' ? worker : undefined;
              const run = async () =>
                (await shapley(model, data, { queryPoints: queriesOf(count), score, rowExecutor }))
                  .forwardRows;
              const forwardRows = await run(); // warm-up, and the row count for the floor
              await rawRows(session, model.inputName, ready, m, forwardRows);
              const method: Spent[] = [];
              const floor: Spent[] = [];
              for (let r = 0; r < (count === 1 ? Math.max(repeats, 7) : count >= 1000 ? 1 : repeats); r++) {
                method.push(await spent(run));
                floor.push(await rawRows(session, model.inputName, ready, m, forwardRows));
              }
              const wall = median(method.map((t) => t.wallMs));
              const cpuRatio = median(method.map((t) => t.cpuMs)) / median(floor.map((t) => t.cpuMs));
              rows.push({
                suite: 'table',
                model: NAME,
                what:
                  `Kernel SHAP (shapley), ${count} query point${count > 1 ? 's' : ''}, 1024 coalitions x 53 rows` +
                  `${score === 'logit' ? ', logits' : ''}; rows on the ${route}, ${threads} ORT thread${threads > 1 ? 's' : ''}`,
                batch: TABLE_MINI_BATCH,
                perItemMs: wall / count,
                ratio: wall / median(floor.map((t) => t.wallMs)),
                floor: `raw ORT x ${forwardRows} rows`,
                note: `CPU time ratio ${cpuRatio.toFixed(2)}x; floor ${(median(floor.map((t) => t.cpuMs)) / count).toFixed(2)} ms CPU a query point`,
              });
            }
          }
        } finally {
          await model.dispose();
        }
      }
    } finally {
      worker.close();
    }
    return rows;
  },
};
