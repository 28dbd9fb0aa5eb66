import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import type { RawImage } from '../../src/image/types.js';
import { colormapColor } from '../../src/render/colormap.js';
import { colorize, overlay } from '../../src/render/overlay.js';

const image: RawImage = {
  data: Uint8Array.from([100, 20, 200, 40, 240, 0]),
  width: 2,
  height: 1,
  channels: 3,
};

describe('overlay', () => {
  it('blends (1 - alpha) · image + alpha · colour per pixel', () => {
    const out = overlay(
      image,
      { data: Float32Array.from([5, 9]), width: 2, height: 1 },
      { colormap: 'gray', alpha: 0.25 },
    );
    // minmax: 5 → 0 (black), 9 → 1 (white).
    expect(Array.from(out.data)).toEqual([75, 15, 150, 94, 244, 64]);
    expect([out.width, out.height, out.channels]).toEqual([2, 1, 3]);
  });

  it('alpha 0 shows the image, alpha 1 the colour-mapped map', () => {
    const map = { data: Float32Array.from([0, 1]), width: 2, height: 1 };
    expect(Array.from(overlay(image, map, { alpha: 0 }).data)).toEqual(Array.from(image.data));
    expect(Array.from(overlay(image, map, { alpha: 1, colormap: 'jet' }).data)).toEqual([
      ...colormapColor('jet', 0),
      ...colormapColor('jet', 1),
    ]);
  });

  it('alphaByMagnitude keeps the image where a signed map is zero and colours its extremes fully', () => {
    const wide: RawImage = {
      data: Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90]),
      width: 3,
      height: 1,
      channels: 3,
    };
    const map = { data: Float32Array.from([-2, 0, 2]), width: 3, height: 1 };
    const out = overlay(wide, map, {
      alpha: 1,
      colormap: 'bwr',
      scaling: 'symmetric',
      alphaByMagnitude: true,
    });
    expect(Array.from(out.data.subarray(3, 6))).toEqual([40, 50, 60]);
    expect(Array.from(out.data.subarray(0, 3))).toEqual(colormapColor('bwr', 0));
    expect(Array.from(out.data.subarray(6, 9))).toEqual(colormapColor('bwr', 1));
  });

  it('up-samples the map to the image size before colouring', () => {
    const big: RawImage = { data: new Uint8Array(4 * 4 * 3), width: 4, height: 4, channels: 3 };
    const map = { data: Float32Array.from([0, 1, 1, 0]), width: 2, height: 2 };
    const out = overlay(big, map, { alpha: 1, colormap: 'gray', method: 'nearest' });
    expect([out.width, out.height]).toEqual([4, 4]);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const expected = map.data[(y >> 1) * 2 + (x >> 1)] * 255;
        expect(out.data[(y * 4 + x) * 3]).toBe(expected);
      }
    }
  });

  it('shows the image where the map is NaN and accepts gray images and tensors', () => {
    const gray: RawImage = { data: Uint8Array.from([10, 200]), width: 2, height: 1, channels: 1 };
    const out = overlay(
      gray,
      { data: Float32Array.from([NaN, 3]), dims: [1, 1, 1, 2] },
      { alpha: 0.5, colormap: 'gray' },
    );
    expect(out.channels).toBe(3);
    expect(Array.from(out.data.subarray(0, 3))).toEqual([10, 10, 10]);
    // The only finite value is the constant map's minimum → black at half opacity.
    expect(Array.from(out.data.subarray(3, 6))).toEqual([100, 100, 100]);
  });

  it('symmetric scaling with a diverging map puts zero at white', () => {
    const out = colorize(
      { data: Float32Array.from([-2, 0, 2]), width: 3, height: 1 },
      { colormap: 'bwr', scaling: 'symmetric' },
    );
    expect(Array.from(out.data.subarray(0, 3))).toEqual([0, 0, 255]);
    expect(Array.from(out.data.subarray(3, 6)).every((v) => v >= 253)).toBe(true);
    expect(Array.from(out.data.subarray(6, 9))).toEqual([255, 0, 0]);
  });

  it('refuses bad options', () => {
    const map = { data: Float32Array.from([0, 1]), width: 2, height: 1 };
    expect(() => overlay(image, map, { alpha: 1.5 })).toThrow(OptionError);
    expect(() => overlay(image, map, { colormap: 'rainbow' as 'jet' })).toThrow(/unknown colormap/);
    expect(() => overlay(image, { data: new Float32Array(3), width: 2, height: 1 })).toThrow(
      /holds 3 values/,
    );
  });
});
