/**
 * Grad-CAM in the browser (the netlens/web bundle on onnxruntime-web, WASM, one thread, in headless Debian
 * Chromium) beside the same Grad-CAM in Node (onnxruntime-node, default threads), on the same inputs in the
 * same run. Needs `npm run build` (the bench script runs it) and /usr/bin/chromium.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gradCam } from '../../methods/cam/index.js';
import type { TensorData } from '../../types.js';
import type { BenchContext, BenchModel, BenchSuite } from '../context.js';
import { repoRoot } from '../context.js';
import type { BenchRow } from '../report.js';
import { serveFolders } from '../static-server.js';
import { measure } from '../timing.js';

const CHROMIUM = process.env.NETLENS_CHROMIUM ?? '/usr/bin/chromium';

/** In the page: load the model with netlens/web and time Grad-CAM on one image, `repeats` times. */
const TIME_IN_PAGE = `async ({ data, dims, repeats }) => {
  const nl = await import('/lib/netlens.js');
  const model = await nl.loadModel('/model/model.onnx');
  const input = { data: Float32Array.from(data), dims };
  await nl.gradCam(model, input);
  const samples = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await nl.gradCam(model, input);
    samples.push(performance.now() - start);
  }
  await model.dispose();
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}`;

async function browserGradCamMs(m: BenchModel, input: TensorData, repeats: number): Promise<number> {
  const { chromium } = await import('playwright-core');
  const dir = await mkdtemp(path.join(tmpdir(), 'netlens-bench-'));
  await writeFile(path.join(dir, 'model.onnx'), m.bytes);
  const server = await serveFolders({ '/lib/': path.join(repoRoot(), 'dist', 'browser'), '/model/': dir });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    const arg = JSON.stringify({ data: Array.from(input.data), dims: input.dims, repeats });
    return (await page.evaluate(`(${TIME_IN_PAGE})(${arg})`)) as number;
  } finally {
    await browser.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function rows(ctx: BenchContext): Promise<BenchRow[]> {
  if (!existsSync(CHROMIUM) || !existsSync(path.join(repoRoot(), 'dist', 'browser', 'netlens.js'))) {
    process.stderr.write('bench: browser suite skipped (needs /usr/bin/chromium and npm run build)\n');
    return [];
  }
  const wanted = ctx.quick ? ['shapes-cnn'] : ['mobilenet-v2', 'shapes-cnn'];
  const out: BenchRow[] = [];
  for (const name of wanted) {
    const m = ctx.imageModels.find((x) => x.name === name);
    if (!m) continue;
    const input = ctx.batchFor(m.model, 1);
    const repeats = Math.min(ctx.repeats, name.startsWith('mobilenet') ? 5 : 7);
    const node = await measure(() => gradCam(m.model, input), repeats, 1);
    const browserMs = await browserGradCamMs(m, input, repeats);
    out.push(
      {
        suite: 'browser',
        model: name,
        what: 'Grad-CAM, Node (onnxruntime-node)',
        batch: 1,
        perItemMs: node.medianMs,
      },
      {
        suite: 'browser',
        model: name,
        what: 'Grad-CAM, browser (onnxruntime-web WASM, 1 thread)',
        batch: 1,
        perItemMs: browserMs,
        ratio: browserMs / node.medianMs,
        floor: 'Node Grad-CAM',
      },
    );
  }
  return out;
}

export const browserSuite: BenchSuite = { name: 'browser', run: rows };
