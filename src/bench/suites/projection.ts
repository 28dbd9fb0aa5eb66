/**
 * Projections at scale: t-SNE on the seeded 10-cluster mixture (50 features) with scikit-learn's settings —
 * 5 000 points beside the committed scikit-learn reference, 20 000 and 70 000 points with the automatic choice
 * (FFT-accelerated interpolation gradient, approximate neighbours) — PCA of the 70 000 Fashion-MNIST images
 * (784 pixels) to 50 components, t-SNE of those 50 components, and UMAP of the 70 000-point mixture and of Fashion-MNIST. Each row
 * gives wall and CPU seconds: on a shared machine the CPU time is the steadier figure. The 70 000-point rows, the
 * t-SNE of Fashion-MNIST, UMAP and the peak memory of `netlens embed` run only with --large (tens of minutes),
 * which also leaves out the 5 000 and 20 000-point rows.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { benchTsne, REFERENCE_MIXTURE, SKLEARN_SETTINGS } from '../../projection/bench.js';
import { gaussianMixture } from '../../projection/gaussian-mixture.js';
import { pcaWithProducts } from '../../projection/pca.js';
import { ortMatrixProducts } from '../../node/gemm-products.js';
import { neighbourLabelAgreement } from '../../projection/quality.js';
import { tsne } from '../../projection/tsne.js';
import { umap } from '../../projection/umap.js';
import { defaultTsneThreads, tsneThreads } from '../../node/tsne-threads.js';
import { trustworthiness } from '../../projection/quality.js';
import { repoRoot, type BenchSuite } from '../context.js';
import { fashionPngFolder, runCliMeasured } from '../embed-memory.js';
import { loadFashionMnist } from '../fashion-mnist.js';
import type { BenchRow } from '../report.js';

interface Clock {
  seconds: number;
  cpuSeconds: number;
}

async function clocked<T>(fn: () => Promise<T> | T): Promise<{ value: T } & Clock> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return { value, seconds: (performance.now() - start) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** Wall time per stage of a t-SNE run, and the threads its jobs ran on. */
function stageText(
  timings: { neighbours: number; affinities: number; optimization: number },
  threads: number,
  algorithm: string,
): string {
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const on = (t: number) => `on ${t} thread${t === 1 ? '' : 's'}`;
  // The executor runs the approximate neighbour search and the interpolation gradient; Barnes–Hut runs inline.
  return (
    `wall: neighbours ${s(timings.neighbours)} s ${on(threads)}, affinities ${s(timings.affinities)} s, ` +
    `iterations ${s(timings.optimization)} s ${on(algorithm === 'fft' ? threads : 1)}`
  );
}

function clockText(c: Clock): string {
  return `${c.seconds.toFixed(1)} s wall, ${c.cpuSeconds.toFixed(1)} s CPU`;
}

interface SklearnRun {
  n: number;
  kl: number;
  seconds: number;
  cpuSeconds?: number;
}

async function sklearnRuns(): Promise<SklearnRun[]> {
  const file = path.join(repoRoot(), 'tests', 'projection', 'reference', 'tsne-sklearn.json');
  return (JSON.parse(await readFile(file, 'utf8')) as { runs: SklearnRun[] }).runs;
}

/** scikit-learn's run on a 70 000-point data set (tools/reference/tsne_sklearn_70k.py), when it was recorded. */
async function largeReference(data: 'mixture' | 'fashion'): Promise<string> {
  const file = path.join(repoRoot(), 'tests', 'projection', 'reference', `tsne-sklearn-70k-${data}.json`);
  if (!existsSync(file)) return 'no scikit-learn reference recorded at this size';
  const run = (JSON.parse(await readFile(file, 'utf8')) as { runs: SklearnRun[] }).runs[0];
  return `scikit-learn: KL ${run.kl.toFixed(3)}, ${(run.cpuSeconds ?? run.seconds).toFixed(0)} s CPU`;
}

function peer(runs: SklearnRun[], n: number): string {
  const same = runs.filter((r) => r.n === n);
  if (same.length === 0) return 'no scikit-learn reference at this size';
  const kl = same.map((r) => r.kl.toFixed(3)).join('/');
  const cpu = same.map((r) => (r.cpuSeconds ?? r.seconds).toFixed(0)).join('/');
  return `scikit-learn ${same.length} run(s): KL ${kl}, ${cpu} s CPU`;
}

/**
 * Both UMAP engines on the first 5 000 Fashion-MNIST images after PCA to 50 (same neighbours, seed 0): time,
 * 10-NN label agreement and trustworthiness (k = 10) of each embedding.
 */
async function umapComparison(components: Float32Array, labels: ArrayLike<number>): Promise<BenchRow[]> {
  const n = 5000;
  const data = components.subarray(0, n * 50);
  const rows: BenchRow[] = [];
  for (const engine of ['typed', 'umap-js'] as const) {
    const r = await clocked(() => umap(data, n, 50, { seed: 0, engine }));
    const agreement = neighbourLabelAgreement(r.value.embedding, n, 2, Array.from(labels).slice(0, n), 10);
    rows.push({
      suite: 'projection',
      model: 'fashion-mnist 5000 x 50 (PCA)',
      what: `UMAP (${engine}) 5000 points: ${clockText(r)}`,
      perItemMs: (r.seconds * 1000) / n,
      note:
        `${r.value.epochs} epochs; 10-NN label agreement ${agreement.toFixed(3)}, ` +
        `trustworthiness(10) ${trustworthiness(data, 50, r.value.embedding, 2, n, 10).toFixed(4)}`,
    });
  }
  return rows;
}

export const projectionSuite: BenchSuite = {
  name: 'projection',
  async run(ctx) {
    const rows: BenchRow[] = [];
    // These runs take minutes each: each row is also printed as soon as it is measured.
    const push = rows.push.bind(rows);
    rows.push = (...added: BenchRow[]) => {
      for (const r of added) process.stderr.write(`bench: ${r.what}; ${r.note ?? ''}\n`);
      return push(...added);
    };
    const runs = await sklearnRuns();
    // --large runs the 70 000-point rows in place of the 5 000 and 20 000-point ones.
    const sizes = ctx.quick ? [2000] : ctx.large ? [70000] : [5000, 20000];
    for (const n of sizes) {
      // The reference size runs Barnes–Hut exactly as scikit-learn; larger sizes take the automatic choice.
      const algorithm = n <= 5000 ? SKLEARN_SETTINGS.algorithm : undefined;
      const r = await benchTsne(n, 0, { algorithm, executor: tsneThreads() });
      rows.push({
        suite: 'projection',
        model: 'gaussian mixture 50-D',
        what: `t-SNE ${r.algorithm} ${n} points, sklearn settings: ${clockText(r)}, KL ${r.kl.toFixed(3)}`,
        perItemMs: (r.seconds * 1000) / n,
        note:
          `${stageText(
            {
              neighbours: r.stages.neighbours * 1000,
              affinities: r.stages.affinities * 1000,
              optimization: r.stages.optimization * 1000,
            },
            r.threads,
            r.algorithm,
          )}; ` +
          `10-NN agreement ${r.agreement10.toFixed(3)}; ` +
          `${n === 70000 ? await largeReference('mixture') : peer(runs, n)}`,
      });
    }
    if (ctx.quick) return rows;

    const fashion = await loadFashionMnist();
    if (!fashion) {
      rows.push({
        suite: 'projection',
        model: 'fashion-mnist',
        what: 'skipped: Debian package dataset-fashion-mnist is not installed',
        perItemMs: 0,
      });
      return rows;
    }
    const p = await clocked(() =>
      pcaWithProducts(ortMatrixProducts(), fashion.data, fashion.n, fashion.dim, { numDimensions: 50 }),
    );
    const explained = p.value.explainedVariance.reduce((a, b) => a + b, 0);
    rows.push({
      suite: 'projection',
      model: 'fashion-mnist 70000 x 784',
      what: `PCA to 50 (randomised SVD, ONNX Runtime products): ${clockText(p)}`,
      perItemMs: (p.seconds * 1000) / fashion.n,
      note: `explained variance ${explained.toFixed(4)}`,
    });
    if (!ctx.large) {
      rows.push(...(await umapComparison(p.value.embedding, fashion.labels)));
      return rows;
    }

    const t = await clocked(() =>
      tsne(p.value.embedding, fashion.n, 50, {
        ...SKLEARN_SETTINGS,
        algorithm: undefined,
        seed: 0,
        executor: tsneThreads(),
      }),
    );
    const fashionPeer = await largeReference('fashion');
    rows.push({
      suite: 'projection',
      model: 'fashion-mnist 70000 x 784',
      what: `t-SNE ${t.value.algorithm} of the 50 components, sklearn settings: ${clockText(t)}, KL ${t.value.kl[t.value.kl.length - 1].toFixed(3)}`,
      perItemMs: (t.seconds * 1000) / fashion.n,
      note:
        `${stageText(t.value.timings, t.value.threads, t.value.algorithm)}; ` +
        `10-NN label agreement ${neighbourLabelAgreement(t.value.embedding, fashion.n, 2, fashion.labels, 10).toFixed(3)}; ` +
        `${fashionPeer}`,
    });

    const mixture = gaussianMixture({ n: 70000, ...REFERENCE_MIXTURE });
    const u = await clocked(() =>
      umap(mixture.data, mixture.n, mixture.dim, { seed: 0, executor: tsneThreads() }),
    );
    rows.push({
      suite: 'projection',
      model: 'gaussian mixture 50-D',
      what: `UMAP (${u.value.engine}) 70000 points: ${clockText(u)}`,
      perItemMs: (u.seconds * 1000) / mixture.n,
      note:
        `${u.value.epochs} epochs; neighbours and epochs on ${defaultTsneThreads()} threads; ` +
        `10-NN agreement ${neighbourLabelAgreement(u.value.embedding, mixture.n, 2, mixture.labels, 10).toFixed(3)}`,
    });

    const uf = await clocked(() =>
      umap(p.value.embedding, fashion.n, 50, { seed: 0, executor: tsneThreads() }),
    );
    rows.push({
      suite: 'projection',
      model: 'fashion-mnist 70000 x 784',
      what: `UMAP (${uf.value.engine}) of the 50 components: ${clockText(uf)}`,
      perItemMs: (uf.seconds * 1000) / fashion.n,
      note:
        `${uf.value.epochs} epochs; neighbours and epochs on ${defaultTsneThreads()} threads; ` +
        `10-NN label agreement ${neighbourLabelAgreement(uf.value.embedding, fashion.n, 2, fashion.labels, 10).toFixed(3)}`,
    });

    // `netlens embed` as a user runs it, on the 70 000 images as PNG files, in a child process.
    const folder = await fashionPngFolder(fashion);
    const model = path.join(repoRoot(), 'fixtures', 'fashion-cnn', 'model.onnx');
    const e = await runCliMeasured(['--no-progress', '--json', 'embed', model, folder]);
    rows.push({
      suite: 'projection',
      model: 'fashion-cnn',
      what: `netlens embed of 70000 Fashion-MNIST PNG files (t-SNE of the feature layer): peak RSS ${e.maxRssMiB.toFixed(0)} MiB`,
      perItemMs: (e.seconds * 1000) / fashion.n,
      note: `child process: ${e.seconds.toFixed(0)} s wall, ${e.cpuSeconds.toFixed(0)} s CPU; images decoded one mini-batch at a time`,
    });
    return rows;
  },
};
