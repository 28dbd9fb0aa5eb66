// The autodiff conformance run over ONNX's backend test suite (unpacked by tools/conformance/unpack.py).
// For every case: in scope or not (and why); for every (float output, float input) pair of an in-scope case,
// whether the VJP graph is built, runs, and agrees with finite differences on the case's own inputs.
// Writes tools/conformance/results.tsv (one row per pair, or per case out of scope) and prints the counts.
// Run: npx vite-node tools/conformance/run.ts [unpacked folder] [name filter]
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { TensorData } from '../../src/types.js';
import {
  caseOps,
  checkPair,
  classifyError,
  isRandom,
  loadCase,
  pairsOf,
  probeCaseShapes,
  scopeOf,
  type PairResult,
} from '../../tests/autodiff/conformance.js';
import { runVjp } from '../../tests/autodiff/probe.js';

const root = process.argv[2] ?? 'tmp/conformance';
const filter = process.argv[3];
const out = filter
  ? path.join('tmp', 'conformance-partial.tsv')
  : path.join('tools', 'conformance', 'results.tsv');

interface Row {
  group: string;
  name: string;
  ops: string;
  scope: string;
  pair?: PairResult;
}

const clean = (s: string): string => s.replace(/\s+/g, ' ').replace(/\t/g, ' ').slice(0, 240);

async function runCase(group: string, name: string): Promise<Row[]> {
  const dir = path.join(root, group, name);
  let c;
  try {
    c = await loadCase(dir, name);
  } catch (error) {
    return [{ group, name, ops: '', scope: `out: unreadable (${clean(String(error))})` }];
  }
  const ops = caseOps(c).join(',');
  const scope = scopeOf(c);
  if (!scope.inScope) return [{ group, name, ops, scope: `out: ${scope.reason}` }];
  let shapes: Record<string, number[]>;
  try {
    shapes = await probeCaseShapes(c);
  } catch (error) {
    return [{ group, name, ops, scope: `out: ORT does not run the model (${clean(String(error))})` }];
  }
  const rows: Row[] = [];
  for (const [output, wrt] of pairsOf(c)) {
    let pair: PairResult;
    if (isRandom(c)) {
      // A random forward pass: the VJP is built and run (its mask is the forward's), not compared.
      try {
        const others = Object.fromEntries(Object.entries(c.floats).filter(([k]) => k !== wrt));
        await runVjp(
          c.model,
          { [wrt]: c.floats[wrt] },
          (d) => ({ data: new Float32Array(d.reduce((a, b) => a * b, 1)).fill(1), dims: d }),
          {
            output,
            wrt: [wrt],
            shapes,
            fixed: {
              ...c.fixed,
              ...Object.fromEntries(Object.entries(others).map(([k, v]) => [k, toTensor(v)])),
            },
          },
        );
        pair = {
          output,
          wrt,
          outcome: 'built',
          detail: 'random forward pass: built and run, no finite difference',
        };
      } catch (error) {
        pair = { output, wrt, ...classifyError(error) };
      }
    } else pair = await checkPair(c, output, wrt, shapes);
    rows.push({ group, name, ops, scope: 'in', pair: { ...pair, detail: clean(pair.detail) } });
  }
  return rows;
}

function toTensor(t: TensorData): ort.Tensor {
  return new ort.Tensor('float32', t.data, t.dims);
}

async function main(): Promise<void> {
  const manifest = (await readFile(path.join(root, 'manifest.tsv'), 'utf8')).trim().split('\n').slice(1);
  const rows: Row[] = [];
  for (const line of manifest) {
    const [group, name] = line.split('\t');
    if (filter && !`${group}/${name}`.includes(filter)) continue;
    const started = Date.now();
    const caseRows = await runCase(group, name);
    rows.push(...caseRows);
    const outcomes = caseRows.map((r) => r.pair?.outcome ?? r.scope.slice(0, 30)).join(' ');
    process.stderr.write(`${group}/${name}: ${outcomes} (${Date.now() - started} ms)\n`);
  }
  const header = ['group', 'case', 'ops', 'scope', 'output', 'wrt', 'outcome', 'worst', 'detail'];
  const lines = rows.map((r) =>
    [
      r.group,
      r.name,
      r.ops,
      r.scope,
      r.pair?.output ?? '',
      r.pair?.wrt ?? '',
      r.pair?.outcome ?? '',
      r.pair?.worst === undefined ? '' : r.pair.worst.toPrecision(3),
      r.pair?.detail ?? '',
    ].join('\t'),
  );
  await writeFile(out, [header.join('\t'), ...lines].join('\n') + '\n');
  const cases = new Set(rows.map((r) => `${r.group}/${r.name}`));
  const inScope = new Set(rows.filter((r) => r.scope === 'in').map((r) => `${r.group}/${r.name}`));
  const count = (o: string): number => rows.filter((r) => r.pair?.outcome === o).length;
  const pairs = rows.filter((r) => r.pair).length;
  console.log(
    `${cases.size} cases, ${inScope.size} in scope, ${pairs} pairs: ${count('pass')} pass, ` +
      `${count('kink')} pass off a kink, ${count('edge')} pass inside the op's domain, ${count('noise')} within float32 noise, ${count('built')} built (random), ${count('not-finite')} not finite, ${count('unchecked')} unchecked (shape changes), ` +
      `${count('refused')} refused by name, ${count('wrong')} wrong, ` +
      `${count('vjp-rejected')} rejected by ORT, ${count('error')} other errors`,
  );
}

await main();
