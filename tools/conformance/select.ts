// Picks the committed selection of the conformance suite from tools/conformance/results.tsv: for every
// distinct set of op types among the cases whose pairs pass (off a kink too) or are refused by name, the smallest case of at
// most MAX_BYTES (model and inputs), plus the cases in ALWAYS, and copies it to tests/autodiff/data/conformance/<case>/ with an index.
// Run after run.ts: npx vite-node tools/conformance/select.ts [unpacked folder]
import { copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

const root = process.argv[2] ?? 'tmp/conformance';
const target = path.join('tests', 'autodiff', 'data', 'conformance');
const MAX_BYTES = 40_000;
/**
 * Cases kept whatever their size or op set: the wrong answers the suite once found, and variants an op set
 * does not tell apart that have a rule of their own (ScatterND 'mul', column-major MaxPool Indices, an
 * output_shape past ConvTranspose's full size, RoiAlign's boxes, Resize's scales and roi, an opset-6 model).
 */
const ALWAYS = new Set([
  'node/test_maxpool_2d_pads',
  'node/test_reshape_allowzero_reordered',
  'node/test_training_dropout_zero_ratio',
  'node/test_scatternd_multiply',
  'node/test_maxpool_with_argmax_2d_precomputed_strides',
  'node/test_convtranspose_output_shape',
  'node/test_roialign_aligned_true',
  'node/test_resize_downsample_scales_cubic_A_n0p5_exclude_outside',
  'node/test_resize_upsample_scales_linear',
  'node/test_resize_tf_crop_and_resize',
  'pytorch-converted/test_ConstantPad2d',
]);

interface Pair {
  output: string;
  wrt: string;
  outcome: string;
}

async function caseBytes(dir: string): Promise<{ files: string[]; bytes: number }> {
  const files = (await readdir(dir)).filter((f) => f === 'model.onnx' || /^input_\d+\.pb$/.test(f));
  let bytes = 0;
  for (const f of files) bytes += (await stat(path.join(dir, f))).size;
  return { files, bytes };
}

async function main(): Promise<void> {
  const rows = (await readFile('tools/conformance/results.tsv', 'utf8')).trim().split('\n').slice(1);
  const cases = new Map<string, { group: string; name: string; ops: string; pairs: Pair[] }>();
  for (const row of rows) {
    const [group, name, ops, scope, output, wrt, outcome] = row.split('\t');
    if (scope !== 'in') continue;
    const key = `${group}/${name}`;
    const entry = cases.get(key) ?? { group, name, ops, pairs: [] };
    entry.pairs.push({ output, wrt, outcome });
    cases.set(key, entry);
  }
  const best = new Map<string, { key: string; bytes: number; files: string[] }>();
  for (const [key, c] of cases) {
    // Every pair passes or is refused by name (the test checks a refusal stays one), at least one passes.
    if (!c.pairs.every((p) => ['pass', 'kink', 'edge', 'refused'].includes(p.outcome))) continue;
    if (!c.pairs.some((p) => p.outcome === 'pass')) continue;
    const { files, bytes } = await caseBytes(path.join(root, key));
    if (ALWAYS.has(key)) {
      best.set(key, { key, bytes, files });
      continue;
    }
    if (bytes > MAX_BYTES) continue;
    const known = best.get(c.ops);
    if (!known || bytes < known.bytes) best.set(c.ops, { key, bytes, files });
  }
  await rm(target, { recursive: true, force: true });
  const index: { case: string; pairs: Pair[] }[] = [];
  let total = 0;
  for (const { key, bytes, files } of [...best.values()].sort((a, b) => a.key.localeCompare(b.key))) {
    const c = cases.get(key)!;
    const dir = path.join(target, c.name);
    await mkdir(dir, { recursive: true });
    for (const f of files) await copyFile(path.join(root, key, f), path.join(dir, f));
    index.push({ case: c.name, pairs: c.pairs });
    total += bytes;
  }
  await writeFile(path.join(target, 'index.json'), JSON.stringify(index, null, 1) + '\n');
  console.log(`${index.length} cases, ${(total / 1024).toFixed(0)} KiB, in ${target}`);
}

await main();
