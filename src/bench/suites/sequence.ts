/**
 * Sequence models: the VJP through the unrolled LSTM (sequence-lstm) and 1-D convolutions (conv1d-sequence),
 * and occlusion over time windows, each as a ratio to the raw ORT forward of the same batch (one length).
 * The VJP's first call builds the graph and its session for that length (reported on its own row); the warm
 * figure is the median of the calls after it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadSequenceSamples } from '../../data/samples.js';
import { EXPLAINERS } from '../../explainers/index.js';
import { explainSequences } from '../../methods/sequence/explain.js';
import { loadModel } from '../../node/load.js';
import { rawForwardFloor } from '../floor.js';
import { measure } from '../timing.js';
import { repoRoot, type BenchSuite } from '../context.js';
import type { BenchRow } from '../report.js';

const LENGTH = 64;

export const sequenceSuite: BenchSuite = {
  name: 'sequence',
  async run(ctx) {
    const rows: BenchRow[] = [];
    const batch = ctx.quick ? 4 : 32;
    for (const name of ['sequence-lstm', 'conv1d-sequence']) {
      const file = path.join(repoRoot(), 'fixtures', name, 'model.onnx');
      const bytes = new Uint8Array(await readFile(file));
      const model = await loadModel(file);
      try {
        const set = loadSequenceSamples(name);
        // `batch` windows of LENGTH steps cut from the samples long enough: one length, real data.
        const long = set.sequences.filter((s) => s.length >= LENGTH * set.channels);
        const data = new Float32Array(batch * LENGTH * set.channels);
        for (let i = 0; i < batch; i++) {
          data.set(long[i % long.length].subarray(0, LENGTH * set.channels), i * LENGTH * set.channels);
        }
        const input = { data, dims: [batch, LENGTH, set.channels] };
        const floor = await rawForwardFloor(bytes, model.inputName, input, ctx.repeats);
        const base = { suite: 'sequence', model: name, batch, floor: 'floor' };
        rows.push({
          ...base,
          what: `raw ORT forward (floor), ${LENGTH} steps`,
          perItemMs: floor.perItemMs,
          ratio: 1,
        });
        const vjp = await model.vjp({ output: model.outputName, wrt: [model.inputName] });
        const seed = { data: new Float32Array(batch * 4).fill(1), dims: [batch, 4] };
        const build = Date.now();
        await vjp(input, seed);
        const buildMs = Date.now() - build;
        const gradient = await measure(() => vjp(input, seed), ctx.repeats, 1);
        rows.push({
          ...base,
          what: 'input gradient (VJP), first call: graph and session for this length',
          perItemMs: buildMs / batch,
          ratio: buildMs / floor.batchMs,
        });
        rows.push({
          ...base,
          what: 'input gradient (VJP), warm',
          perItemMs: gradient.medianMs / batch,
          ratio: gradient.medianMs / floor.batchMs,
        });
        const occlusion = EXPLAINERS.find((e) => e.id === 'occlusion')!;
        const items = Array.from({ length: batch }, (_, i) => ({
          values: data.subarray(i * LENGTH * set.channels, (i + 1) * LENGTH * set.channels),
          length: LENGTH,
        }));
        const options = { maskSize: 8, stride: 2, score: 'logit', target: 0 };
        const timed = await measure(() => explainSequences(model, occlusion, items, options), ctx.repeats, 1);
        const passes = 1 + Math.ceil(LENGTH / 2);
        rows.push({
          ...base,
          what: `occlusion, mask 8 stride 2 (${passes} passes per sequence)`,
          perItemMs: timed.medianMs / batch,
          ratio: timed.medianMs / floor.batchMs,
          note: `per forward pass: ${(timed.medianMs / floor.batchMs / passes).toFixed(2)} x floor`,
        });
      } finally {
        await model.dispose();
      }
    }
    return rows;
  },
};
