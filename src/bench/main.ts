/**
 * `npm run bench`: median timings as ratios to the raw ONNX Runtime floor measured in the same run.
 * Usage: node dist/bench/main.js [--quick] [--large] [--suite name[,name]] [--models name[,name]] [--out bench/results.json]
 * (--models keeps only the named image models, e.g. fashion-cnn,mobilenet-v2).
 */
import path from 'node:path';
import { deterministicBatch, loadImageModels, repoRoot, type BenchContext } from './context.js';
import { formatTable, writeResults, type BenchRow } from './report.js';
import { SUITES } from './suites/index.js';
import { benchArgs } from './args.js';
import { extraBenchModels } from './models.js';

const USAGE =
  'usage: node dist/bench/main.js [--quick] [--large] [--suite name[,name]] [--models name[,name]] ' +
  '[--out bench/results.json]';

async function main(): Promise<void> {
  const args = benchArgs('netlens bench', `${USAGE}\nsuites: ${SUITES.map((s) => s.name).join(', ')}`, {
    quick: { type: 'boolean' },
    large: { type: 'boolean' },
    suite: { type: 'string' },
    models: { type: 'string' },
    out: { type: 'string' },
  });
  if (!args) return;
  const quick = args.quick === true;
  const wanted = args.suite?.split(',');
  const out = args.out ?? path.join(repoRoot(), 'bench', 'results.json');
  const unknown = wanted?.filter((w) => !SUITES.some((s) => s.name === w)) ?? [];
  if (unknown.length) {
    process.stderr.write(
      `netlens bench: unknown suite ${unknown.join(', ')}; expected ${SUITES.map((s) => s.name).join(', ')}\n`,
    );
    process.exitCode = 1;
    return;
  }
  const models = args.models?.split(',');
  const imageModels = await loadImageModels(await extraBenchModels(quick));
  const ctx: BenchContext = {
    quick,
    large: args.large === true,
    repeats: quick ? 3 : 7,
    imageModels: models ? imageModels.filter((m) => models.includes(m.name)) : imageModels,
    batchFor: deterministicBatch,
  };
  const rows: BenchRow[] = [];
  for (const suite of SUITES) {
    if (wanted && !wanted.includes(suite.name)) continue;
    process.stderr.write(`bench: ${suite.name}...\n`);
    rows.push(...(await suite.run(ctx)));
  }
  process.stdout.write(`${formatTable(rows)}\n`);
  await writeResults(out, rows);
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
  for (const m of imageModels) await m.model.dispose();
}

await main();
