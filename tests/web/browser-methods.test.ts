/**
 * The browser build (onnxruntime-web, WASM, in a Web Worker) computes the same maps as Node for the same
 * image files: Grad-CAM, saliency, integrated gradients and occlusion on two fixture models. Both sides explain
 * the decoded image plus the same small dither (as the reference-gradient fixtures do), and integrated
 * gradients starts from the black baseline plus its own dither, both verified in Node to be tie-free (no ReLU
 * or max-pool window at the input or on the integration path within float32 rounding of its kink: see
 * tieFreeInput); then every map agrees to 1e-4 of its largest value.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPLAINERS } from '../../src/explainers/index.js';
import { loadImagesForModel } from '../../src/image/index.js';
import { loadModel } from '../../src/node/load.js';
import { chromiumAvailable, launchBrowser } from '../helpers/browser.js';
import { maxAbs, maxAbsDiff, tieFreeInput } from '../helpers/map-compare.js';
import { serveFolders, type StaticServer } from '../../src/bench/static-server.js';
import { ensureWebBuild } from '../helpers/web-build.js';

const CASES = [
  { fixture: 'shapes-cnn', image: '0000-circle.png' },
  { fixture: 'fashion-cnn', image: '0004-coat.png' },
];
const METHODS: { id: string; options: Record<string, unknown> }[] = [
  { id: 'gradcam', options: {} },
  { id: 'saliency', options: {} },
  // The baseline is added per case: black plus its dither (tieFreeInput).
  { id: 'integrated-gradients', options: { numSteps: 16 } },
  { id: 'occlusion', options: {} },
];

interface BrowserRun {
  pixels: number[];
  input: number[];
  maps: Record<string, { data: number[]; dims: number[]; classes: (number | null)[] }>;
  progressEvents: number;
}

/**
 * In the page: decode the image with the browser's codec, normalise it, add the dither, then run every method
 * in the worker.
 */
const RUN_IN_PAGE = `async ({ model, image, methods, noise, baseline }) => {
  const nl = await import('/lib/netlens.js');
  // One worker for every case: ONNX Runtime's WASM is compiled once, each case loads its model into it.
  const worker = (globalThis.netlensTestWorker ??= new nl.NetlensWorker());
  const bytes = new Uint8Array(await (await fetch(model)).arrayBuffer());
  const summary = await worker.load({ model: bytes });
  const decoded = await nl.decodeImageBlob(await (await fetch(image)).blob(), {
    channels: summary.inputSpec.channels === 1 ? 1 : 3,
  });
  const prepared = nl.prepareImages([decoded], summary.inputSpec);
  const input = { data: Float32Array.from(prepared.data, (v, i) => v + noise[i]), dims: prepared.dims };
  const maps = {};
  let progressEvents = 0;
  for (const { id, options } of methods) {
    const withBaseline =
      id === 'integrated-gradients'
        ? { ...options, baseline: { data: Float32Array.from(baseline), dims: input.dims } }
        : options;
    const run = await worker.explain(id, input, withBaseline, () => progressEvents++);
    maps[id] = { data: Array.from(run.maps.data), dims: run.maps.dims, classes: run.classes };
  }
  return { pixels: Array.from(decoded.data), input: Array.from(input.data), maps, progressEvents };
}`;

// One browser and one server for the whole file (docs example pages included).
let server: StaticServer;
let browser: Browser;
let docPages: string;

beforeAll(async () => {
  expect(chromiumAvailable(), 'Debian chromium is required for browser tests').toBe(true);
  docPages = await mkdtemp(path.join(tmpdir(), 'netlens-doc-'));
  server = await serveFolders({
    '/lib/': ensureWebBuild(),
    '/fixtures/': path.resolve('fixtures'),
    '/netlens/dist/browser/': ensureWebBuild(),
    '/netlens/fixtures/': path.resolve('fixtures'),
    '/page/': docPages,
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('netlens/web in headless Chromium', () => {
  let page: Page;

  beforeAll(async () => {
    page = await browser.newPage();
    await page.goto(server.url);
  });

  for (const { fixture, image } of CASES) {
    it(`matches Node on ${fixture} for ${METHODS.map((m) => m.id).join(', ')}`, async () => {
      const modelPath = `fixtures/${fixture}/model.onnx`;
      const imagePath = `fixtures/${fixture}/samples/images/${image}`;
      const model = await loadModel(modelPath);
      const loaded = await loadImagesForModel([imagePath], model.inputSpec!);
      const { input, noise, baseline } = await tieFreeInput(
        model,
        loaded.input,
        METHODS.map(({ id, options }) => ({ explainer: EXPLAINERS.find((e) => e.id === id)!, options })),
      );
      const inBrowser = (await page.evaluate(
        `(${RUN_IN_PAGE})(${JSON.stringify({
          model: `/${modelPath}`,
          image: `/${imagePath}`,
          methods: METHODS,
          noise: Array.from(noise),
          baseline: Array.from(baseline!.data),
        })})`,
      )) as BrowserRun;

      // The browser's decoder gives the same pixels as Node's, so both sides explain the same input.
      expect(inBrowser.pixels).toEqual(Array.from(loaded.images[0].data));
      expect(inBrowser.input).toEqual(Array.from(input.data));
      expect(inBrowser.progressEvents).toBeGreaterThan(0);
      for (const { id, options } of METHODS) {
        const explainer = EXPLAINERS.find((e) => e.id === id)!;
        const node = await explainer.run(
          model,
          input,
          id === 'integrated-gradients' ? { ...options, baseline } : options,
        );
        const web = inBrowser.maps[id];
        expect(web.dims).toEqual(node.maps.dims);
        expect(web.classes).toEqual(node.classes);
        const scale = maxAbs(node.maps.data);
        expect(scale, `${id} map is not all zero`).toBeGreaterThan(0);
        const diff = maxAbsDiff(web.data, node.maps.data);
        expect(diff, `${id}: max |browser − node| against max |map| ${scale}`).toBeLessThanOrEqual(
          1e-4 * scale,
        );
      }
      await model.dispose();
    });
  }
});

describe('netlens/web backends', () => {
  it('says clearly when WebGPU is asked for and the browser has none', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(server.url);
      const outcome = (await page.evaluate(`(async () => {
        const nl = await import('/lib/netlens.js');
        try {
          await nl.loadModel('/fixtures/shapes-cnn/model.onnx', { backend: 'webgpu' });
          return { loaded: true };
        } catch (err) {
          return { loaded: false, code: err.code, message: err.message };
        }
      })()`)) as { loaded: boolean; code?: string; message?: string };
      // Chromium runs with --disable-gpu here, so no adapter can be had.
      expect(outcome.loaded).toBe(false);
      expect(outcome.code).toBe('RUNTIME_ERROR');
      expect(outcome.message).toMatch(/WebGPU was asked for .*use backend 'wasm'/);
    } finally {
      await page.close();
    }
  });
});

describe('docs/browser.md', () => {
  it('runs the page example as written', async () => {
    const doc = await readFile(path.resolve('docs/browser.md'), 'utf8');
    const html = /```html\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(html, 'docs/browser.md has an ```html example').toBeDefined();
    await writeFile(path.join(docPages, 'example.html'), html!);
    const page = await browser.newPage();
    try {
      await page.goto(`${server.url}/page/example.html`);
      await page.waitForFunction(() => document.getElementById('out')?.textContent !== '', undefined, {
        timeout: 30_000,
      });
      expect(await page.textContent('#out')).toBe('class 1 (square)');
      const coloured = await page.$eval('#cam', (canvas) => {
        const c = canvas as HTMLCanvasElement;
        const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < px.length; i += 4) {
          if (Math.max(px[i], px[i + 1], px[i + 2]) - Math.min(px[i], px[i + 1], px[i + 2]) > 40) n++;
        }
        return n / (c.width * c.height);
      });
      expect(coloured).toBeGreaterThan(0.05);
    } finally {
      await page.close();
    }
  });
});
