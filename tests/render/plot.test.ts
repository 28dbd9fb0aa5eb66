import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import {
  renderPlotPng,
  renderSvg,
  scatterSpec,
  type ScatterPoint,
  type TopLevelSpec,
} from '../../src/render/plot.js';

const points: ScatterPoint[] = [
  { x: 0, y: 0, label: 'cat' },
  { x: 10, y: 5, label: 'dog', extra: { file: 'b.png' } },
  { x: 5, y: 10, label: 'cat', image: 'data:image/png;base64,iVBORw0KGgo=' },
  { x: 2, y: 8, label: 'bird' },
];

/** Point marks of a vega SVG: their translate() positions and fill colours. */
function symbols(svg: string): { x: number; y: number; fill: string }[] {
  const group = /<g class="mark-symbol role-mark[^>]*>(.*?)<\/g>/s.exec(svg);
  expect(group, 'a symbol mark group').not.toBeNull();
  return [
    ...group![1].matchAll(/<path[^>]*transform="translate\(([-\d.]+),([-\d.]+)\)"[^>]*fill="([^"]+)"/g),
  ].map((m) => ({ x: Number(m[1]), y: Number(m[2]), fill: m[3] }));
}

describe('plots', () => {
  it('renders a scatter spec to an SVG holding every point, coloured by class', async () => {
    const svg = await renderSvg(
      scatterSpec(points, { title: 'Embedding', xTitle: 'dim 1', yTitle: 'dim 2' }),
    );
    expect(svg.startsWith('<svg')).toBe(true);
    const marks = symbols(svg);
    expect(marks).toHaveLength(points.length);
    // Screen x grows with data x; screen y shrinks as data y grows.
    const byX = [...marks.keys()].sort((a, b) => marks[a].x - marks[b].x);
    expect(byX).toEqual([...points.keys()].sort((a, b) => points[a].x - points[b].x));
    const byY = [...marks.keys()].sort((a, b) => marks[b].y - marks[a].y);
    expect(byY).toEqual([...points.keys()].sort((a, b) => points[a].y - points[b].y));
    expect(marks[0].fill).toBe(marks[2].fill);
    expect(new Set(marks.map((m) => m.fill)).size).toBe(3);
    for (const text of ['Embedding', 'dim 1', 'dim 2', 'cat', 'dog', 'bird'])
      expect(svg).toContain(`>${text}<`);
    expect(svg).toContain('sans-serif');
    // Tooltip images stay out of static renders.
    expect(svg).not.toContain('base64');
  });

  it('keeps the legend in the given class order', async () => {
    const svg = await renderSvg(scatterSpec(points, { labelOrder: ['dog', 'bird', 'cat'] }));
    const order = ['dog', 'bird', 'cat'].map((label) => svg.indexOf(`>${label}<`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('rasterises to PNG at the requested scale', async () => {
    const spec = scatterSpec(points, { width: 200, height: 150 });
    const svg = await renderSvg(spec);
    const svgWidth = Number(/<svg[^>]*width="(\d+)"/.exec(svg)![1]);
    const png = await renderPlotPng(spec, { scale: 2 });
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBe(2 * svgWidth);
  });

  it('refuses invalid specs and external data with typed errors', async () => {
    await expect(renderSvg({ mark: 'nonsense' } as unknown as TopLevelSpec)).rejects.toBeInstanceOf(
      OptionError,
    );
    const external = { data: { url: 'https://example.com/points.json' }, mark: 'point' } as TopLevelSpec;
    await expect(renderSvg(external)).rejects.toThrow(/inline/);
    expect(() => scatterSpec([{ x: NaN, y: 0, label: 'a' }])).toThrow(/non-finite/);
  });

  it('rasterises without any fonts installed', async () => {
    // A separate process whose fontconfig sees no font directory at all.
    const dir = await mkdtemp(join(tmpdir(), 'netlens-nofonts-'));
    try {
      const config = join(dir, 'fonts.conf');
      await writeFile(
        config,
        `<?xml version="1.0"?>\n<fontconfig><cachedir>${dir}</cachedir></fontconfig>\n`,
      );
      const plot = fileURLToPath(new URL('../../src/render/plot.ts', import.meta.url));
      const script = join(dir, 'render.ts');
      await writeFile(
        script,
        `import { renderPlotPng, scatterSpec } from ${JSON.stringify(plot)};\n` +
          `const png = await renderPlotPng(scatterSpec([{ x: 1, y: 2, label: 'a' }, { x: 3, y: 1, label: 'b' }], { title: 'no fonts' }));\n` +
          `console.log('PNG ' + png.length);\n`,
      );
      const viteNode = fileURLToPath(new URL('../../node_modules/vite-node/vite-node.mjs', import.meta.url));
      const { stdout } = await promisify(execFile)(process.execPath, [viteNode, script], {
        env: { ...process.env, FONTCONFIG_FILE: config, FONTCONFIG_PATH: dir },
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
      });
      expect(stdout).toMatch(/PNG \d{3,}/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
