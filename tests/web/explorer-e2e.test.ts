/**
 * `netlens serve` driven end to end in headless Chromium: load a fixture, pick an image, switch method and
 * class, move the opacity slider, hover the embedding scatter, download a PNG. The screenshot is kept in
 * test-artifacts/ and checked for a heat map; every request stays on the local server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchBrowser } from '../helpers/browser.js';
import { ensureAppBuild } from '../helpers/web-build.js';

const ARTIFACTS = path.resolve('test-artifacts');

/** Start the CLI from source and wait for the URL it prints. */
function startServe(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [path.resolve('node_modules/vite-node/vite-node.mjs'), 'src/cli/main.ts', 'serve', '--port', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /netlens explorer: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (match) resolve({ child, url: match[1] });
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`netlens serve exited (${code}): ${out}`)));
  });
}

/** Share of pixels that are clearly coloured (the fixtures here are gray, so colour means heat map). */
async function colouredShare(png: Buffer): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let coloured = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    const r = data[i];
    const g = data[i + 1];
    const b = data[i + 2];
    if (Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++;
  }
  return coloured / (info.width * info.height);
}

async function heatMapPixels(page: Page): Promise<number[]> {
  return page.$eval('[data-testid="heatmap"]', (canvas) => {
    const c = canvas as HTMLCanvasElement;
    return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data);
  });
}

describe('netlens serve in headless Chromium', () => {
  let server: { child: ChildProcess; url: string };
  let browser: Browser;

  beforeAll(async () => {
    expect(chromiumAvailable(), 'Debian chromium is required for browser tests').toBe(true);
    ensureAppBuild();
    server = await startServe();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    server?.child.kill('SIGTERM');
  });

  it('explores a fixture: image, method, class, opacity, scatter, PNG download', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 }, acceptDownloads: true });
    const foreign: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !/^(blob|data):/.test(r.url())) foreign.push(r.url());
    });
    await page.goto(server.url);
    await page.waitForSelector('[data-testid="heatmap"]', { timeout: 30_000 });

    await page.selectOption('#fixture', 'fashion-cnn');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="model-name"]')?.textContent === 'fashion-cnn',
    );
    await page.waitForSelector('[data-testid="image-2"]');
    await page.click('[data-testid="image-2"]');
    await page.selectOption('#method', 'saliency');
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="caption"]')?.textContent?.startsWith('Saliency'),
    );
    const labels = await page.$$eval('#target option', (options) => options.map((o) => o.textContent ?? ''));
    expect(labels.length).toBe(11); // 'predicted' + the ten Fashion-MNIST classes
    await page.selectOption('#target', '8');
    const bag = labels[9].replace(/^8: /, '');
    await page.waitForFunction(
      (label) => document.querySelector('[data-testid="caption"]')?.textContent?.includes(label),
      bag,
    );
    await page.waitForFunction(
      () => document.querySelector('[data-testid="status"]')?.textContent === 'ready',
    );

    const before = await heatMapPixels(page);
    await page.fill('#opacity', '0.35');
    await page.waitForFunction((first) => {
      const c = document.querySelector('[data-testid="heatmap"]') as HTMLCanvasElement;
      const now = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      return now.some((v, i) => v !== first[i]);
    }, before);

    await page.click('[data-testid="embed"]');
    await page.waitForSelector('[data-testid="scatter"] circle', { timeout: 30_000 });
    expect(await page.$$eval('[data-testid="scatter"] circle', (c) => c.length)).toBe(12);
    await page.hover('[data-testid="scatter"] circle[data-index="5"]');
    await page.waitForSelector('[data-testid="scatter-tip"] canvas');
    expect(await page.textContent('[data-testid="scatter-tip"]')).toContain('.png');

    const download = page.waitForEvent('download');
    await page.click('[data-testid="download-png"]');
    await mkdir(ARTIFACTS, { recursive: true });
    const saved = path.join(ARTIFACTS, 'explorer-download.png');
    await (await download).saveAs(saved);
    const meta = await sharp(saved).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 28, 28]);
    expect(await colouredShare(await sharp(saved).png().toBuffer())).toBeGreaterThan(0.05);

    // Two methods side by side, then the layer's activations.
    await page.click('[data-testid="compare"]');
    await page.selectOption('#method', 'gradcam');
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="caption"]')?.textContent?.startsWith('Grad-CAM'),
    );
    await page.click('[data-testid="compare"]');
    expect(await page.$$eval('[data-testid="side-by-side"] canvas', (c) => c.length)).toBe(2);
    await page.click('[data-testid="activations"]');
    await page.waitForSelector('[data-testid="montage"]');

    await page.screenshot({ path: path.join(ARTIFACTS, 'explorer.png'), fullPage: true });
    const heat = await page.locator('[data-testid="heatmap"]').screenshot();
    expect(await colouredShare(heat)).toBeGreaterThan(0.05);
    expect(foreign).toEqual([]);
  });
});
