/**
 * What `netlens info` costs on a 1024×1024 U-Net-like segmenter (built in memory, random weights): wall time
 * and peak resident memory of the command as its own process, against the floor of creating one ONNX Runtime
 * session for the same model. Static shape inference decides every shape, so no forward pass should run.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { encodeModel } from '../../onnx/proto.js';
import type { BenchSuite } from '../context.js';
import type { BenchRow } from '../report.js';
import { measure, median } from '../timing.js';
import { UNET_SIZE, unetSegmenter } from '../unet.js';

/** The line src/bench/rss-child.ts ends with (not imported: importing it would run it). */
const MARKER = 'netlens-bench-peak-rss-kib';
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'rss-child.js');

interface ChildRun {
  wallMs: number;
  peakRssKiB: number;
  code: number | null;
  stderr: string;
}

function runChild(args: string[]): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - start;
      const match = new RegExp(`${MARKER} (\\d+)`).exec(stderr);
      resolve({ wallMs, peakRssKiB: match ? Number(match[1]) : NaN, code, stderr });
    });
  });
}

export const probeSuite: BenchSuite = {
  name: 'probe',
  async run(ctx) {
    const size = ctx.quick ? 256 : UNET_SIZE;
    const bytes = encodeModel(unetSegmenter(size));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'netlens-bench-unet-'));
    const file = path.join(dir, `unet-${size}.onnx`);
    const rows: BenchRow[] = [];
    try {
      await writeFile(file, bytes);
      const floor = await measure(
        async () => (await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' })).release(),
        Math.min(ctx.repeats, 3),
        1,
      );
      const model = `unet-${size} (${(bytes.length / 2 ** 20).toFixed(0)} MB)`;
      rows.push({
        suite: 'probe',
        model,
        what: 'ORT session create (floor)',
        perItemMs: floor.medianMs,
        ratio: 1,
        floor: 'floor',
      });
      const runs: ChildRun[] = [];
      for (let i = 0; i < Math.min(ctx.repeats, 3); i++) {
        const run = await runChild(['--no-progress', 'info', file]);
        if (run.code !== 0) throw new Error(`netlens info failed: ${run.stderr.trim()}`);
        runs.push(run);
      }
      // Starting the CLI (loading its modules) is part of every command: shown so the rest can be read.
      const starts = [];
      for (let i = 0; i < Math.min(ctx.repeats, 3); i++) starts.push(await runChild(['--version']));
      rows.push({
        suite: 'probe',
        model: 'none',
        what: 'CLI start (--version, own process)',
        perItemMs: median(starts.map((r) => r.wallMs)),
        note: `peak RSS ${(Math.max(...starts.map((r) => r.peakRssKiB)) / 1024).toFixed(0)} MiB`,
      });
      const peakMiB = Math.max(...runs.map((r) => r.peakRssKiB)) / 1024;
      const wall = median(runs.map((r) => r.wallMs));
      rows.push({
        suite: 'probe',
        model,
        what: 'info (own process, wall time)',
        perItemMs: wall,
        ratio: wall / floor.medianMs,
        floor: 'floor',
        note: `peak RSS ${peakMiB.toFixed(0)} MiB (target < 2048 MiB)`,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return rows;
  },
};
