/**
 * Colormaps as 256-entry RGB lookup tables; entry i is the colour at t = i / 255.
 *
 * - jet: MATLAB's piecewise-linear definition in its continuous form, each channel a trapezoid
 *   clamp(1.5 - |4t - k|) with k = 3 (red), 2 (green), 1 (blue); so jet(0) = [0, 0, 0.5], jet(1) = [0.5, 0, 0].
 *   (MATLAB's sampled jet(256) table differs from this by at most ~4/255 at the ends.)
 * - hot: MATLAB's hot, continuous form (red, then green, then blue ramp up over 3/8, 3/8, 1/4 of the range).
 * - parula, viridis, turbo: 33 published key colours at t = k/32, linearly interpolated (within 5/255 of
 *   MATLAB's parula(256), within 2/255 of the published viridis and turbo tables).
 * - gray: t → t; bwr: diverging blue → white → red for signed maps scaled 'symmetric' (0 maps to white).
 */
import { closestNames, OptionError } from '../errors.js';
import type { FloatMap, RawImage } from '../image/types.js';

export type ColormapName = 'jet' | 'parula' | 'viridis' | 'turbo' | 'gray' | 'hot' | 'bwr';

export const COLORMAPS: readonly ColormapName[] = ['jet', 'parula', 'viridis', 'turbo', 'gray', 'hot', 'bwr'];

export type Rgb = [number, number, number];

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

// prettier-ignore
const PARULA_KEYS = [
  '3e26a8', '422ebf', '4536d5', '4741e5', '484cef', '4757f7', '4562fc', '3f6eff', '347afd', '2e85f8', '2c90f0',
  '269ae9', '21a3e3', '1aacdd', '0cb3d3', '00b9c6', '12beb9', '28c2ab', '34c79c', '43cb8a', '5ccc76', '77cc60',
  '94ca4a', 'afc636', 'c8c129', 'debc29', 'f1ba37', 'febe3c', 'feca33', 'f9d62d', 'f5e327', 'f6ef20', 'f9fb15',
];
// prettier-ignore
const VIRIDIS_KEYS = [
  '440154', '470d60', '48186a', '482374', '472d7b', '453681', '424086', '3f4989', '3b528b', '375a8d', '33638d',
  '2f6a8e', '2c728e', '297a8e', '26818e', '23898e', '21908c', '1f988b', '1f9f88', '21a685', '28ae80', '31b57b',
  '3ebc74', '4cc26c', '5dc963', '6ece58', '82d34c', '96d83f', 'abdc32', 'c0df24', 'd5e21a', 'eae51a', 'fde725',
];
// prettier-ignore
const TURBO_KEYS = [
  '30123b', '392a73', '4040a1', '4456c7', '466be3', '467ff6', '4293ff', '37a7fa', '29bbec', '1dcdd8', '18dcc3',
  '1ee8b0', '31f299', '4cf97e', '6bfd64', '8aff4d', 'a3fd3c', 'b8f735', 'cced34', 'dee037', 'edd03a', 'f8c03a',
  'fdae35', 'fe982c', 'fb8022', 'f56817', 'ec520f', 'e04009', 'd23105', 'c02302', 'ac1701', '950d01', '7a0403',
];

/** Evenly spaced hex key colours → colour at t, by linear interpolation. */
function fromKeys(hexKeys: readonly string[]): (t: number) => Rgb {
  const keys = hexKeys.map((h) => [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16) / 255));
  const last = keys.length - 1;
  return (t) => {
    const u = clamp01(t) * last;
    const k = Math.min(last - 1, Math.floor(u));
    const f = u - k;
    return [0, 1, 2].map((c) => keys[k][c] + f * (keys[k + 1][c] - keys[k][c])) as Rgb;
  };
}

const DEFINITIONS: Record<ColormapName, (t: number) => Rgb> = {
  jet: (t) => [3, 2, 1].map((k) => clamp01(1.5 - Math.abs(4 * t - k))) as Rgb,
  hot: (t) => [clamp01((t * 8) / 3), clamp01(((t - 3 / 8) * 8) / 3), clamp01((t - 3 / 4) * 4)],
  gray: (t) => [t, t, t],
  bwr: (t) => (t < 0.5 ? [2 * t, 2 * t, 1] : [1, 2 - 2 * t, 2 - 2 * t]),
  parula: fromKeys(PARULA_KEYS),
  viridis: fromKeys(VIRIDIS_KEYS),
  turbo: fromKeys(TURBO_KEYS),
};

const luts = new Map<ColormapName, Uint8Array>();

/** Throws an OptionError naming the closest colormaps unless `name` is one. */
export function checkColormap(name: string): ColormapName {
  if ((COLORMAPS as readonly string[]).includes(name)) return name as ColormapName;
  throw new OptionError(
    'INVALID_OPTION',
    `unknown colormap '${name}', expected one of ${COLORMAPS.join(', ')} (closest: ${closestNames(name, COLORMAPS, 2).join(', ')})`,
  );
}

/** The 256×3 lookup table of a colormap (shared; do not modify). */
export function colormapLut(name: ColormapName): Uint8Array {
  const cached = luts.get(checkColormap(name));
  if (cached) return cached;
  const lut = new Uint8Array(256 * 3);
  const at = DEFINITIONS[name];
  for (let i = 0; i < 256; i++) {
    const rgb = at(i / 255);
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(clamp01(rgb[c]) * 255);
  }
  luts.set(name, lut);
  return lut;
}

/** Colour (0..255) of value t in [0, 1] (clamped), by table lookup. */
export function colormapColor(name: ColormapName, t: number): Rgb {
  const lut = colormapLut(name);
  const i = Math.round(clamp01(t) * 255) * 3;
  return [lut[i], lut[i + 1], lut[i + 2]];
}

/** An RGB image of values already scaled to [0, 1]; NaN pixels get `nanColor` (default black). */
export function applyColormap(scaled: FloatMap, name: ColormapName, nanColor: Rgb = [0, 0, 0]): RawImage {
  const lut = colormapLut(name);
  const n = scaled.width * scaled.height;
  const data = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const v = scaled.data[p];
    if (Number.isNaN(v)) {
      data.set(nanColor, p * 3);
      continue;
    }
    const i = Math.round(clamp01(v) * 255) * 3;
    data[p * 3] = lut[i];
    data[p * 3 + 1] = lut[i + 1];
    data[p * 3 + 2] = lut[i + 2];
  }
  return { data, width: scaled.width, height: scaled.height, channels: 3 };
}
