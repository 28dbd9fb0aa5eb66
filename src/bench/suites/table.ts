/**
 * Table models against their floor: Kernel SHAP (MATLAB `shapley`, interventional, 1 024 coalitions over the 53
 * wine rows as background) for one query point and for many, against raw ONNX Runtime running the same number
 * of rows in batches of 4 096 on pre-built model-ready rows, through the model's own plain session (so with the
 * same intra-op threads and spinning), alternately in the same run, medians. A ratio of 1 means building
 * coalition rows, standardising, softmax, the means and the least-squares solve cost nothing beyond the
 * forward passes.
 *
 * Routes: the coalition values inside the runtime (`evaluation: 'graph'`, the default: one graph around the
 * model scores and averages the rows; on the wine model it builds its first layer's output of every row from
 * per-query parts, path 'first-layer'), and the rows built and reduced in JavaScript, on the calling
 * thread or on a worker thread while the model runs (`tableRowWorker`). At 1 ONNX Runtime thread, and at 2
 * with idle threads sleeping and spinning. Wall and CPU ratios both: the worker hides JavaScript behind the
 * forward pass in wall time when a core is free, never in CPU time.
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadTableSamples } from '../../data/samples.js';
import type { TableData } from '../../data/table-csv.js';
import type { ScoreKind } from '../../methods/class-scores.js';
import { shapley, TABLE_MINI_BATCH, type TableShapleyOptions } from '../../methods/tabular/index.js';
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
    type Route = 'graph' | 'rows, calling thread' | 'rows, worker thread';
    // Probabilities (the default) need a softmax of every row; logits show the cost without it.
    const cases: [number, ScoreKind, Route[]][] = [
      [1, 'probability', ['graph', 'rows, calling thread']],
      [100, 'probability', ['graph', 'rows, calling thread', 'rows, worker thread']],
      [100, 'logit', ['graph']],
      ...(ctx.quick ? [] : ([[1000, 'probability', ['graph']]] as [number, ScoreKind, Route[]][])),
    ];
    const settings: { threads: number; threadSpinning?: boolean }[] = [
      { threads: 1 },
      { threads: 2, threadSpinning: false },
      { threads: 2, threadSpinning: true },
    ];
    const worker = tableRowWorker();
    const rows: BenchRow[] = [];
    try {
      for (const { threads, threadSpinning } of settings) {
        const model = await loadModel(bytes, { source: file, threads, threadSpinning });
        const session = await model.runtimeSession();
        const setting =
          `${threads} ORT thread${threads > 1 ? 's' : ''}` +
          (threadSpinning === undefined ? '' : threadSpinning ? ', spinning' : ', not spinning');
        try {
          for (const [count, score, routes] of cases) {
            // Spinning threads only for the headline case: it shows what the setting costs.
            if (threadSpinning && (count !== 100 || score !== 'probability')) continue;
            for (const route of routes) {
              if (threadSpinning && route !== 'graph') continue;
              const options: Partial<TableShapleyOptions> =
                route === 'graph'
                  ? { evaluation: 'graph' }
                  : { evaluation: 'rows', rowExecutor: route === 'rows, worker thread' ? worker : undefined };
              let graphPath = '';
              const run = async () => {
                const result = await shapley(model, data, {
                  queryPoints: queriesOf(count),
                  score,
                  ...options,
                });
                graphPath = result.graphPath ? ` (${result.graphPath})` : '';
                return result.forwardRows;
              };
              // Warm-up, and the row count for the floor. A single query point runs for a few milliseconds, so it
              // gets enough warm-up calls for the JIT and the first collections to finish before timing starts.
              let forwardRows = 0;
              for (let w = 0; w < (count === 1 ? 20 : 1); w++) forwardRows = await run();
              await rawRows(session, model.inputName, ready, m, forwardRows);
              const method: Spent[] = [];
              const floor: Spent[] = [];
              for (let r = 0; r < (count === 1 ? Math.max(repeats, 15) : repeats); r++) {
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
                  `${score === 'logit' ? ', logits' : ''}; ${route}${graphPath}, ${setting}`,
                batch: TABLE_MINI_BATCH,
                perItemMs: wall / count,
                ratio: wall / median(floor.map((t) => t.wallMs)),
                floor: `raw ORT x ${forwardRows} rows`,
                note:
                  `CPU time ratio ${cpuRatio.toFixed(2)}x; floor ${(median(floor.map((t) => t.cpuMs)) / count).toFixed(2)} ` +
                  `ms CPU a query point; load ${loadavg()[0].toFixed(1)}`,
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
