/**
 * Like-for-like KL of 70 000-point t-SNE embeddings: every embedding is scored against one P — netlens's own
 * affinities (perplexity 30, the exact 90 nearest neighbours from ONNX Runtime's matrix products, symmetrised and
 * normalised as `tsne` does) — with the exact normaliser Z over all n² pairs, in double. scikit-learn's reported
 * KL instead takes Z from its Barnes–Hut tree and sums the terms in float32; the second figure per embedding, the
 * same exact terms summed as scikit-learn sums them, isolates that float32 bias.
 *
 * Scores netlens's own run (seed 0, the benchmark's scikit-learn settings, automatic algorithm, worker threads;
 * exact neighbours as `netlens embed`, and/or the approximate search as `npm run bench`) and any saved embeddings
 * (float32/float64 .npy, n × 2), e.g. scikit-learn's from tools/reference/tsne_sklearn_70k.py --embedding-out.
 *
 *   node dist/bench/tsne-exact-kl.js --data mixture|fashion [--n points (mixture)] [--runs exact,approximate] \
 *     [--options '{json tsne options}'] [--embedding name=file.npy ...] [--save-dir dir] [--out file.json] [--append]
 *
 * --append keeps the results already in --out (same data and P) and adds the new ones, so that an embedding that
 * arrives later (scikit-learn's take tens of minutes) joins the same file without rerunning netlens.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parse as parseNpy } from 'npyjs';
import { gemmNeighbours } from '../node/gemm-neighbours.js';
import { tsneThreads } from '../node/tsne-threads.js';
import { entropyTerm, sparseAffinities, type SparseAffinities } from '../projection/affinities.js';
import { SKLEARN_SETTINGS, REFERENCE_MIXTURE } from '../projection/bench.js';
import { exactNormaliser, float32SparseKlDivergence, sparseKlDivergence } from '../projection/exact.js';
import { gaussianMixture } from '../projection/gaussian-mixture.js';
import { pca } from '../projection/pca.js';
import { neighbourLabelAgreement } from '../projection/quality.js';
import { tsne, type TsneOptions } from '../projection/tsne.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { benchArgs } from './args.js';

const PERPLEXITY = 30;
const NEIGHBOURS = 90;

interface Scored {
  name: string;
  /** Exact KL(P‖Q) in double: Σ p log p + Σ p log(1 + d²) + log Z, Z over all pairs. */
  exactKl: number;
  /** The same terms summed as scikit-learn 1.2 sums them (float32 terms and accumulator, exact Z). */
  exactKlFloat32Sum: number;
  normaliser: number;
  agreement10: number;
  /** netlens runs: the KL the run reported (interpolated Z), its wall and CPU seconds, the load around it. */
  run?: {
    neighbours: string;
    algorithm: string;
    reportedKl: number;
    seconds: number;
    cpuSeconds: number;
    loadBefore: number[];
    loadAfter: number[];
  };
}

const USAGE =
  'usage: node dist/bench/tsne-exact-kl.js --data mixture|fashion [--n points] [--runs exact,approximate] ' +
  "[--options '{json}'] [--embedding name=file.npy ...] [--save-dir dir] [--out file.json] [--append]";

async function dataset(
  which: string,
  size: number,
): Promise<{ data: Float32Array; labels: ArrayLike<number>; n: number }> {
  if (which === 'mixture') {
    const m = gaussianMixture({ n: size, ...REFERENCE_MIXTURE });
    return { data: m.data, labels: m.labels, n: m.n };
  }
  if (which !== 'fashion') throw new Error(`--data must be 'mixture' or 'fashion', got '${which}'`);
  const fashion = await loadFashionMnist();
  if (!fashion) throw new Error('Debian package dataset-fashion-mnist is not installed');
  // netlens's randomised PCA of the 784 pixels to 50 components, its products in JavaScript (the scores recorded in
  // tests/projection/reference were made so; the benchmark now has ONNX Runtime do the products).
  const reduced = pca(fashion.data, fashion.n, fashion.dim, { numDimensions: 50 }).embedding;
  return { data: reduced, labels: fashion.labels, n: fashion.n };
}

async function loadEmbedding(file: string, n: number): Promise<Float64Array> {
  const bytes = await readFile(file);
  const array = parseNpy(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (array.shape.length !== 2 || array.shape[0] !== n || array.shape[1] !== 2) {
    throw new Error(`${file}: expected an ${n} × 2 embedding, got shape [${array.shape.join(', ')}]`);
  }
  return Float64Array.from(array.data as unknown as ArrayLike<number>);
}

function npy(values: Float32Array, n: number): Buffer {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, 2), }`;
  const padded = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11, ' ') + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(padded.length, 8);
  return Buffer.concat([head, Buffer.from(padded, 'latin1'), Buffer.from(values.buffer, values.byteOffset)]);
}

function score(
  name: string,
  p: SparseAffinities,
  y: ArrayLike<number>,
  labels: ArrayLike<number>,
): Omit<Scored, 'run'> {
  const normaliser = exactNormaliser(y, p.n, 2);
  return {
    name,
    exactKl: sparseKlDivergence(p, y, 2, normaliser),
    exactKlFloat32Sum: float32SparseKlDivergence(p, y, 2, normaliser),
    normaliser,
    agreement10: neighbourLabelAgreement(Float32Array.from(y), p.n, 2, labels, 10),
  };
}

async function main(): Promise<void> {
  const args = benchArgs('tsne-exact-kl', USAGE, {
    data: { type: 'string' },
    n: { type: 'string' },
    runs: { type: 'string' },
    options: { type: 'string' },
    embedding: { type: 'string', multiple: true },
    'save-dir': { type: 'string' },
    out: { type: 'string' },
    append: { type: 'boolean' },
  });
  if (!args) return;
  const which = args.data ?? 'mixture';
  const runs = (args.runs ?? 'exact').split(',').filter((r) => r !== '' && r !== 'none');
  const saveDir = args['save-dir'];
  const out = args.out;
  // Experiments: extra `tsne` options as JSON, e.g. '{"interpolation":{"maxFftSize":1024}}'.
  const overrides = JSON.parse(args.options ?? '{}') as TsneOptions;
  const log = (text: string) => process.stderr.write(`tsne-exact-kl: ${text}\n`);

  const { data, labels, n } = await dataset(which, Number(args.n ?? 70000));
  const dim = data.length / n;
  log(`${which}: ${n} × ${dim}; exact neighbours...`);
  const exact = await gemmNeighbours(data, n, dim, NEIGHBOURS);
  const p = sparseAffinities({ ...exact, method: 'matrix-product' }, n, PERPLEXITY);
  const results: Scored[] = [];

  for (const search of runs) {
    if (search !== 'exact' && search !== 'approximate') throw new Error(`unknown --runs entry '${search}'`);
    const options: TsneOptions = {
      ...SKLEARN_SETTINGS,
      algorithm: undefined,
      seed: 0,
      executor: tsneThreads(),
      ...overrides,
      ...(search === 'exact'
        ? { euclideanNeighbours: (v, rows, d, k) => gemmNeighbours(v, rows, d, k) }
        : { neighborSearch: 'approximate' }),
    };
    log(`netlens run (${search} neighbours)...`);
    const loadBefore = loadavg();
    const start = performance.now();
    const cpu = process.cpuUsage();
    const result = await tsne(data, n, dim, options);
    const used = process.cpuUsage(cpu);
    const seconds = (performance.now() - start) / 1000;
    const loadAfter = loadavg();
    const name = `netlens (${search} neighbours)${Object.keys(overrides).length ? ' ' + JSON.stringify(overrides) : ''}`;
    if (saveDir)
      await writeFile(path.join(saveDir, `netlens-${which}-${search}.npy`), npy(result.embedding, n));
    results.push({
      ...score(name, p, result.embedding, labels),
      run: {
        neighbours: search,
        algorithm: result.algorithm,
        reportedKl: result.kl[result.kl.length - 1],
        seconds,
        cpuSeconds: (used.user + used.system) / 1e6,
        loadBefore,
        loadAfter,
      },
    });
    log(JSON.stringify(results[results.length - 1]));
  }
  for (const spec of args.embedding ?? []) {
    const at = spec.indexOf('=');
    const name = at > 0 ? spec.slice(0, at) : path.basename(spec);
    const file = at > 0 ? spec.slice(at + 1) : spec;
    results.push(score(name, p, await loadEmbedding(file, n), labels));
    log(JSON.stringify(results[results.length - 1]));
  }

  const report = {
    description:
      `Exact KL(P‖Q) of t-SNE embeddings of the ${which} benchmark data against one P (netlens's ` +
      `affinities: perplexity ${PERPLEXITY}, exact ${NEIGHBOURS} nearest neighbours), Z over all pairs in double; ` +
      'exactKlFloat32Sum: the same terms summed in float32 as scikit-learn 1.2 sums them',
    script: 'src/bench/tsne-exact-kl.ts',
    data: which,
    n,
    entropyTerm: entropyTerm(p.values),
    pairs: p.values.length,
    settings: { ...SKLEARN_SETTINGS, executor: undefined },
    results,
  };
  if (out && args.append === true && existsSync(out)) {
    const earlier = JSON.parse(await readFile(out, 'utf8')) as typeof report;
    if (earlier.data !== which || earlier.n !== n || earlier.pairs !== report.pairs) {
      throw new Error(`${out} holds results for other data (${earlier.data}, n = ${earlier.n})`);
    }
    report.results = [...earlier.results.filter((r) => !results.some((x) => x.name === r.name)), ...results];
  }
  const text = JSON.stringify(report, null, 2) + '\n';
  if (out) await writeFile(out, text);
  else process.stdout.write(text);
}

main().catch((err: unknown) => {
  process.stderr.write(`tsne-exact-kl: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
