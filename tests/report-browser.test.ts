import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/program.js';
import { encodeModel } from '../src/onnx/proto.js';
import { CNN, cnnModel } from './helpers/onnx-models.js';
import { chromiumAvailable, launchBrowser } from './helpers/browser.js';

const spec = {
  height: 4,
  width: 4,
  channels: 1,
  layout: 'NCHW',
  channelOrder: 'GRAY',
  scale: 1 / 255,
  mean: [0.5],
  std: [0.25],
};

describe('the HTML report in a real browser', () => {
  it('shows predictions and activations with every image decoded', async () => {
    // CI installs Debian's chromium in .ci/run; without it this test cannot run and must say so.
    expect(
      chromiumAvailable(),
      'Debian chromium is required for browser tests (apt-get install chromium)',
    ).toBe(true);
    const dir = await mkdtemp(path.join(tmpdir(), 'netlens-report-'));
    const model = path.join(dir, 'cnn.onnx');
    await writeFile(
      model,
      encodeModel(
        cnnModel({
          metadata: { 'netlens.labels': JSON.stringify(CNN.labels), 'netlens.input': JSON.stringify(spec) },
        }),
      ),
    );
    for (let i = 0; i < 2; i++) {
      const px = Buffer.alloc(64);
      for (let p = 0; p < 64; p++) px[p] = (p * (i + 5) * 29) % 256;
      await sharp(px, { raw: { width: 8, height: 8, channels: 1 } })
        .toColourspace('b-w')
        .png()
        .toFile(path.join(dir, `s${i}.png`));
    }
    const out = path.join(dir, 'report');
    const code = await runCli(
      [
        '--no-progress',
        'report',
        model,
        path.join(dir, 's0.png'),
        path.join(dir, 's1.png'),
        '--out',
        out,
        '--sections',
        'predictions,activations',
      ],
      {
        stderr: () => undefined,
      },
    );
    expect(code).toBe(0);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const failed: string[] = [];
      page.on('requestfailed', (r) => failed.push(r.url()));
      await page.goto(pathToFileURL(path.join(out, 'index.html')).href);
      await expect(page.locator('h2').allTextContents()).resolves.toEqual(['Predictions', 'Activations']);
      const images = await page
        .locator('img')
        .evaluateAll((els) => els.map((e) => (e as HTMLImageElement).naturalWidth));
      expect(images.length).toBeGreaterThanOrEqual(4);
      for (const w of images) expect(w).toBeGreaterThan(0);
      const text = await page.locator('#predictions').innerText();
      for (const label of CNN.labels) expect(text).toContain(label);
      expect(failed).toEqual([]);
      await page.screenshot({ path: path.join(dir, 'report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
