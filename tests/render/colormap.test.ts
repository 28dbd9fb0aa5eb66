import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import {
  applyColormap,
  checkColormap,
  colormapColor,
  colormapLut,
  COLORMAPS,
  type Rgb,
} from '../../src/render/colormap.js';

const reference = JSON.parse(readFileSync(new URL('./colormap-reference.json', import.meta.url), 'utf8')) as {
  tables: Record<'viridis' | 'turbo', Rgb[]>;
};

const hex = (h: string): Rgb => [0, 2, 4].map((i) => parseInt(h.slice(i + 1, i + 3), 16)) as Rgb;
const scaled = (rgb: Rgb): Rgb => rgb.map((v) => v * 255) as Rgb;

function expectNear(actual: Rgb, expected: Rgb, tolerance: number): void {
  for (let c = 0; c < 3; c++) {
    expect(Math.abs(actual[c] - expected[c]), `channel ${c}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
      tolerance,
    );
  }
}

describe('colormaps', () => {
  it('jet follows its piecewise-linear definition', () => {
    expectNear(colormapColor('jet', 0), scaled([0, 0, 0.5]), 1);
    expectNear(colormapColor('jet', 1), scaled([0.5, 0, 0]), 1);
    // Mid-point: full green with red and blue half on.
    expectNear(colormapColor('jet', 0.5), scaled([0.5, 1, 0.5]), 3);
    // Knots of the definition: blue, cyan, yellow, red at 1/8, 3/8, 5/8, 7/8.
    expectNear(colormapColor('jet', 1 / 8), [0, 0, 255], 2);
    expectNear(colormapColor('jet', 3 / 8), [0, 255, 255], 2);
    expectNear(colormapColor('jet', 5 / 8), [255, 255, 0], 2);
    expectNear(colormapColor('jet', 7 / 8), [255, 0, 0], 2);
  });

  it('gray and hot have the expected endpoints and ramps', () => {
    expect(colormapColor('gray', 0)).toEqual([0, 0, 0]);
    expect(colormapColor('gray', 1)).toEqual([255, 255, 255]);
    const lut = colormapLut('gray');
    for (let i = 0; i < 256; i++) expect([lut[3 * i], lut[3 * i + 1], lut[3 * i + 2]]).toEqual([i, i, i]);
    expect(colormapColor('hot', 0)).toEqual([0, 0, 0]);
    expectNear(colormapColor('hot', 3 / 8), [255, 0, 0], 1);
    expectNear(colormapColor('hot', 3 / 4), [255, 255, 0], 1);
    expect(colormapColor('hot', 1)).toEqual([255, 255, 255]);
  });

  it('viridis and turbo match the published tables', () => {
    expect(colormapColor('viridis', 0)).toEqual(hex('#440154'));
    expect(colormapColor('viridis', 1)).toEqual(hex('#fde725'));
    expectNear(colormapColor('turbo', 0), scaled([0.18995, 0.07176, 0.23217]), 1);
    expectNear(colormapColor('turbo', 1), scaled([0.4796, 0.01583, 0.01055]), 1);
    for (const name of ['viridis', 'turbo'] as const) {
      const lut = colormapLut(name);
      reference.tables[name].forEach((rgb, i) =>
        expectNear([lut[3 * i], lut[3 * i + 1], lut[3 * i + 2]], rgb, 2),
      );
    }
  });

  it('parula matches MATLAB at its ends and at known rows of parula(256)', () => {
    expectNear(colormapColor('parula', 0), scaled([0.2422, 0.1504, 0.6603]), 1);
    expectNear(colormapColor('parula', 1), scaled([0.9769, 0.9839, 0.0805]), 1);
    // Rows 64, 128 and 192 (0-based) of MATLAB's parula(256).
    const lut = colormapLut('parula');
    const row = (i: number): Rgb => [lut[3 * i], lut[3 * i + 1], lut[3 * i + 2]];
    expectNear(row(64), scaled([0.2006, 0.4803, 0.9906]), 5);
    expectNear(row(128), scaled([0.077, 0.7468, 0.7224]), 5);
    expectNear(row(192), scaled([0.7945, 0.7554, 0.157]), 5);
  });

  it('perceptual maps get brighter from start to end', () => {
    for (const name of ['viridis', 'parula'] as const) {
      const lut = colormapLut(name);
      const luma = (i: number): number =>
        0.299 * lut[3 * i] + 0.587 * lut[3 * i + 1] + 0.114 * lut[3 * i + 2];
      for (let i = 16; i < 256; i += 16) expect(luma(i), `${name} at ${i}`).toBeGreaterThan(luma(i - 16));
    }
  });

  it('bwr diverges from blue through white to red', () => {
    expect(colormapColor('bwr', 0)).toEqual([0, 0, 255]);
    expectNear(colormapColor('bwr', 0.5), [255, 255, 255], 2);
    expect(colormapColor('bwr', 1)).toEqual([255, 0, 0]);
  });

  it('every map has 256 entries and clamps values outside [0, 1]', () => {
    for (const name of COLORMAPS) {
      expect(colormapLut(name)).toHaveLength(768);
      expect(colormapColor(name, -3)).toEqual(colormapColor(name, 0));
      expect(colormapColor(name, 7)).toEqual(colormapColor(name, 1));
    }
  });

  it('colours a map, NaN pixels in the NaN colour', () => {
    const image = applyColormap(
      { data: Float32Array.from([0, 1, NaN]), width: 3, height: 1 },
      'jet',
      [9, 8, 7],
    );
    expect(image.channels).toBe(3);
    expect(Array.from(image.data)).toEqual([...colormapColor('jet', 0), ...colormapColor('jet', 1), 9, 8, 7]);
  });

  it('refuses unknown names, suggesting the closest', () => {
    expect(() => checkColormap('jett')).toThrow(OptionError);
    expect(() => checkColormap('virdis')).toThrow(/closest: viridis/);
  });
});
