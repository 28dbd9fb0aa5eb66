/**
 * netlens against Captum's methods on the same graph: torchvision's MobileNetV2 (5 classes, random weights),
 * exported by tools/bench/export_torchvision.py to bench/models/mobilenet-v2-torchvision.onnx, one 224x224
 * image. The PyTorch figures are the committed tools/bench/torch-methods.json (Captum's computations written
 * in autograd by tools/bench/torch_methods.py, one thread). Each method gives how many times faster netlens is
 * in CPU time with one thread (the figure a loaded machine disturbs least; the peer's is measured the same way)
 * and, against tools/bench/torch-methods-all-cores.json (the same script with `--threads` at every core), in
 * wall time with every core on both sides.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadModel } from '../../node/load.js';
import type { OnnxModel } from '../../model.js';
import {
  integratedGradients,
  noiseTunnel,
  saliency,
  guidedBackprop,
} from '../../methods/attribution/index.js';
import { CAM_VARIANTS, runCam } from '../../methods/cam/index.js';
import { occlusionSensitivity } from '../../methods/occlusion.js';
import { argmaxRows } from '../../methods/target.js';
import type { TensorData } from '../../types.js';
import { repoRoot, type BenchSuite } from '../context.js';
import type { BenchRow } from '../report.js';
import { median } from '../timing.js';

interface PeerRow {
  method: string;
  msPerImage: number;
  cpuMsPerImage: number;
}

interface PeerFile {
  threads: number;
  machine: { loadAverage: number[] };
  date: string;
  rows: PeerRow[];
}

type Method = (model: OnnxModel, image: TensorData, target: number) => Promise<unknown>;

const METHODS: [string, Method, number][] = [
  ['forward', (m, x) => m.predict(x), 9],
  ['saliency', (m, x, target) => saliency(m, x, { target }), 9],
  ['guided backprop', (m, x, target) => guidedBackprop(m, x, { target }), 9],
  ['Grad-CAM', (m, x, target) => runCam(CAM_VARIANTS.gradcam, m, x, { target }), 9],
  [
    'integrated gradients (50 steps)',
    (m, x, target) => integratedGradients(m, x, { target, numSteps: 50 }),
    2,
  ],
  ['SmoothGrad (25 samples)', (m, x, target) => noiseTunnel(saliency, m, x, { target, numSamples: 25 }), 2],
  [
    'occlusion (45x45, stride 22: 81 masks)',
    (m, x, target) =>
      occlusionSensitivity(m, x, { target, maskSize: 45, stride: 22, maskClipping: 'off', maskValue: 0 }),
    2,
  ],
];

async function timed(
  fn: () => Promise<unknown>,
  repeats: number,
): Promise<{ wallMs: number; cpuMs: number }> {
  await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const used = process.cpuUsage();
    const start = performance.now();
    await fn();
    wall.push(performance.now() - start);
    const spent = process.cpuUsage(used);
    cpu.push((spent.user + spent.system) / 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

async function readPeer(file: string): Promise<PeerFile | undefined> {
  return existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as PeerFile) : undefined;
}

function describe(row: PeerRow, file: PeerFile): string {
  return (
    `${row.cpuMsPerImage.toFixed(1)} ms CPU, ${row.msPerImage.toFixed(1)} ms wall ` +
    `(${file.threads} thread${file.threads === 1 ? '' : 's'}, ${file.date}, load ${file.machine.loadAverage[0].toFixed(0)})`
  );
}

export const peerSuite: BenchSuite = {
  name: 'peer',
  async run(ctx) {
    const root = repoRoot();
    const file = path.join(root, 'bench', 'models', 'mobilenet-v2-torchvision.onnx');
    if (ctx.quick || !existsSync(file)) {
      if (!ctx.quick) {
        process.stderr.write(
          'bench: skipping peer (run /usr/bin/python3 tools/bench/export_torchvision.py mobilenet-v2-torchvision)\n',
        );
      }
      return [];
    }
    const peer = await readPeer(path.join(root, 'tools', 'bench', 'torch-methods.json'));
    const allCores = await readPeer(path.join(root, 'tools', 'bench', 'torch-methods-all-cores.json'));
    const bytes = new Uint8Array(await readFile(file));
    const single = await loadModel(bytes, { source: file, threads: 1 });
    const all = await loadModel(bytes, { source: file, threads: availableParallelism() });
    const rows: BenchRow[] = [];
    try {
      const image = ctx.batchFor(single, 1);
      const target = argmaxRows((await single.predict(image)).scores)[0];
      for (const [what, method, repeats] of METHODS) {
        const one = await timed(() => method(single, image, target), repeats);
        const wall = await timed(() => method(all, image, target), repeats);
        const theirs = peer?.rows.find((r) => r.method === what);
        rows.push({
          suite: 'peer',
          model: 'mobilenet-v2-torchvision',
          what: `${what}: PyTorch CPU time ÷ netlens CPU time (1 thread)`,
          batch: 1,
          perItemMs: one.cpuMs,
          ratio: theirs ? theirs.cpuMsPerImage / one.cpuMs : undefined,
          floor: 'peer',
          note: theirs && peer ? `PyTorch ${describe(theirs, peer)}` : 'no PyTorch figure',
        });
        const theirsAll = allCores?.rows.find((r) => r.method === what);
        rows.push({
          suite: 'peer',
          model: 'mobilenet-v2-torchvision',
          what: `${what}: PyTorch wall time ÷ netlens wall time (every core)`,
          batch: 1,
          perItemMs: wall.wallMs,
          ratio: theirsAll ? theirsAll.msPerImage / wall.wallMs : undefined,
          floor: 'peer',
          note:
            `netlens ${availableParallelism()} ORT threads, ${wall.cpuMs.toFixed(1)} ms CPU; ` +
            (theirsAll && allCores ? `PyTorch ${describe(theirsAll, allCores)}` : 'no PyTorch figure'),
        });
      }
    } finally {
      await single.dispose();
      await all.dispose();
    }
    return rows;
  },
};
