/**
 * The two engine ratios: the input-gradient VJP and the activations of a layer, each against the raw ONNX
 * Runtime forward pass of the unmodified model. The two are run alternately and the figure is the median of
 * the per-pair ratios, so that load swings on a shared machine hit both sides alike. Each ratio is also given
 * in CPU time with one intra-op thread (process user + system time, which does not count time spent waiting
 * for a core), the steadier figure on a loaded machine.
 */
import * as ort from 'onnxruntime-node';
import { loadModel } from '../../node/load.js';
import type { OnnxModel } from '../../model.js';
import { argmaxRows } from '../../methods/target.js';
import type { TensorData } from '../../types.js';
import type { BenchContext, BenchModel, BenchSuite } from '../context.js';
import type { BenchRow } from '../report.js';
import { median } from '../timing.js';

interface Sample {
  wallMs: number;
  cpuMs: number;
}

async function sample(fn: () => Promise<unknown>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

interface Paired {
  /** Median per-pair ratio of wall times. */
  ratio: number;
  /** Ratio of the median CPU times. */
  cpuRatio: number;
  /** Median wall time of the measured side. */
  ms: number;
}

/** Runs `floor` and `fn` alternately `repeats` times after one untimed run of each. */
async function paired(
  floor: () => Promise<unknown>,
  fn: () => Promise<unknown>,
  repeats: number,
): Promise<Paired> {
  await floor();
  await fn();
  const a: Sample[] = [];
  const b: Sample[] = [];
  for (let i = 0; i < repeats; i++) {
    a.push(await sample(floor));
    b.push(await sample(fn));
  }
  return {
    ratio: median(b.map((s, i) => s.wallMs / a[i].wallMs)),
    cpuRatio: median(b.map((s) => s.cpuMs)) / median(a.map((s) => s.cpuMs)),
    ms: median(b.map((s) => s.wallMs)),
  };
}

/** A raw ORT session on the unmodified model and a function running it on `input`. */
async function rawForward(bytes: Uint8Array, inputName: string, threads?: number) {
  const session = await ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'all',
    ...(threads ? { intraOpNumThreads: threads } : {}),
  });
  return {
    run: (input: TensorData) =>
      session.run({ [inputName]: new ort.Tensor('float32', input.data, input.dims) }),
    release: () => session.release(),
  };
}

/** One-hot seeds on each item's top class. */
function classSeed(scores: TensorData): TensorData {
  const [batch, classes] = scores.dims;
  const seed = new Float32Array(batch * classes);
  argmaxRows(scores).forEach((c, i) => (seed[i * classes + c] = 1));
  return { data: seed, dims: [batch, classes] };
}

async function vjpRows(ctx: BenchContext, m: BenchModel, single: OnnxModel): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const output = await m.model.reductionLayer();
  if ((await m.model.tensorShapes())[output]?.length !== 2) return rows;
  const repeats = ctx.quick ? 3 : 9;
  for (const batch of ctx.quick ? [2] : [1, 8]) {
    const input = ctx.batchFor(m.model, batch);
    const seed = classSeed((await m.model.run(input, [output]))[output]);
    const measured: Paired[] = [];
    for (const [model, threads] of [
      [m.model, undefined],
      [single, 1],
    ] as const) {
      const vjp = await model.vjp({ output, wrt: [model.inputName] });
      const raw = await rawForward(m.bytes, model.inputName, threads);
      try {
        measured.push(
          await paired(
            () => raw.run(input),
            () => vjp(input, seed),
            repeats,
          ),
        );
      } finally {
        await raw.release();
      }
    }
    rows.push({
      suite: 'ratios',
      model: m.name,
      what: 'input-gradient VJP ÷ forward',
      batch,
      perItemMs: measured[0].ms / batch,
      ratio: measured[0].ratio,
      floor: 'floor',
      note: `1 thread: ${measured[1].ratio.toFixed(2)} wall, ${measured[1].cpuRatio.toFixed(2)} CPU time`,
    });
  }
  return rows;
}

/** Up to `count` names evenly spaced through `names`, the last one included. */
function spread(names: readonly string[], count: number): string[] {
  if (names.length <= count) return [...names];
  const out: string[] = [];
  for (let t = 1; t <= count; t++) out.push(names[Math.round((t * (names.length - 1)) / count)]);
  return [...new Set(out)];
}

/** The worst activations ÷ forward over layers spread through the network. */
async function activationRow(ctx: BenchContext, m: BenchModel, single: OnnxModel): Promise<BenchRow> {
  const batch = ctx.quick ? 2 : 8;
  const input = ctx.batchFor(m.model, batch);
  const layers = spread(
    (await m.model.layers()).map((l) => l.name),
    ctx.quick ? 3 : 10,
  );
  const raw = await rawForward(m.bytes, m.model.inputName, 1);
  let worst = { layer: '', ratio: 0, cpuRatio: 0, ms: 0 };
  try {
    for (const layer of layers) {
      const p = await paired(
        () => raw.run(input),
        () => single.activations(input, [layer], { miniBatchSize: batch }),
        ctx.quick ? 3 : 5,
      );
      if (p.cpuRatio > worst.cpuRatio) worst = { layer, ...p };
    }
  } finally {
    await raw.release();
  }
  return {
    suite: 'ratios',
    model: m.name,
    what: `activations ÷ forward, worst of ${layers.length} layers (${worst.layer})`,
    batch,
    perItemMs: worst.ms / batch,
    ratio: worst.cpuRatio,
    floor: 'floor (CPU time, 1 thread)',
    note: `wall ${worst.ratio.toFixed(2)}`,
  };
}

export const ratiosSuite: BenchSuite = {
  name: 'ratios',
  async run(ctx) {
    const rows: BenchRow[] = [];
    for (const m of ctx.imageModels) {
      const single = await loadModel(m.bytes, { source: m.name, threads: 1 });
      try {
        rows.push(...(await vjpRows(ctx, m, single)));
        rows.push(await activationRow(ctx, m, single));
      } finally {
        await single.dispose();
      }
    }
    return rows;
  },
};
