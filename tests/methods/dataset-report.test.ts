/**
 * The dataset report sections in a real browser: the embedding scatter shows the hovered item's thumbnail (the
 * right tile of the sprite) and name; max/min images render; without a data set both sections say why not.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { sampleImagePaths } from '../../src/data/samples.js';
import { chromiumAvailable, launchBrowser } from '../helpers/browser.js';

const model = 'fixtures/fashion-cnn/model.onnx';
const image = sampleImagePaths('fashion-cnn')[0];

async function report(
  ...extra: string[]
): Promise<{ code: number; dir: string; stdout: string; stderr: string[] }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'netlens-dataset-report-'));
  const stderr: string[] = [];
  let stdout = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await runCli(
      [
        '--no-progress',
        '--json',
        'report',
        model,
        image,
        '--out',
        dir,
        '--sections',
        'embedding,extremes',
        ...extra,
      ],
      { stderr: (line) => stderr.push(line) },
    );
    return { code, dir, stdout, stderr };
  } finally {
    process.stdout.write = write;
  }
}

describe('dataset sections of the report', () => {
  it('without a data set, both sections are skipped with the reason', async () => {
    const run = await report();
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.sections).toEqual([]);
    expect(json.skipped.map((s: { id: string }) => s.id)).toEqual(['embedding', 'extremes']);
    expect(json.skipped[0].reason).toMatch(/--samples <fixture> or --dataset <folder>/);
    const both = await report('--samples', 'fashion-cnn', '--dataset', 'fixtures/fashion-cnn/samples/images');
    expect(both.code).not.toBe(0);
    expect(both.stderr.join('\n')).toMatch(/--samples or --dataset, not both/);
  });

  it('hovering an embedded point shows that item and its thumbnail', async () => {
    expect(
      chromiumAvailable(),
      'Debian chromium is required for browser tests (apt-get install chromium)',
    ).toBe(true);
    const run = await report('--samples', 'fashion-cnn', '--dataset-limit', '150');
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).sections).toEqual(['embedding', 'extremes']);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const failed: string[] = [];
      page.on('requestfailed', (r) => failed.push(r.url()));
      await page.goto(pathToFileURL(path.join(run.dir, 'index.html')).href);
      const points = page.locator('#embedding-scatter circle[data-i]');
      await expect(points.count()).resolves.toBe(150);
      const tip = page.locator('#embedding-scatter .nl-tip');
      await expect(tip.isVisible()).resolves.toBe(false);
      const item = 37;
      await points.nth(item).hover({ force: true });
      await expect(tip.isVisible()).resolves.toBe(true);
      await expect(page.locator('#embedding-scatter .nl-text').textContent()).resolves.toMatch(
        new RegExp(`^fashion-cnn #${item} · `),
      );
      // 150 thumbnails in a 13-column sprite, 28-pixel images stored at 32 and shown at 96 pixels.
      const thumb = page.locator('#embedding-scatter .nl-thumb');
      const style = await thumb.evaluate((el) => {
        const s = getComputedStyle(el);
        return { position: s.backgroundPosition, image: s.backgroundImage.slice(0, 26), width: s.width };
      });
      expect(style).toEqual({
        position: `${-(item % 13) * 96}px ${-Math.floor(item / 13) * 96}px`,
        image: 'url("data:image/png;base64',
        width: '96px',
      });
      await points.nth(item).dispatchEvent('mouseout');
      await expect(tip.isVisible()).resolves.toBe(false);
      // Max/min images: one picture per class plus the mistakes, all decoded.
      const widths = await page
        .locator('#extremes img')
        .evaluateAll((els) => els.map((e) => (e as HTMLImageElement).naturalWidth));
      expect(widths.length).toBeGreaterThanOrEqual(10);
      for (const w of widths) expect(w).toBeGreaterThan(300);
      expect(failed).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
