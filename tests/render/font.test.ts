import { describe, expect, it } from 'vitest';
import type { RawImage } from '../../src/image/types.js';
import { charsThatFit, drawText, fontCharacters, glyph, measureText } from '../../src/render/font.js';

const canvas = (width: number, height: number, channels: 1 | 3 | 4 = 3): RawImage => ({
  data: new Uint8Array(width * height * channels),
  width,
  height,
  channels,
});

/** Positions of pixels with any non-zero channel. */
function inked(image: RawImage): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const o = (y * image.width + x) * image.channels;
      if (image.data.subarray(o, o + image.channels).some((v) => v !== 0)) out.push({ x, y });
    }
  }
  return out;
}

describe('bitmap font', () => {
  it('has a distinct 5×7 glyph with ink for every printable ASCII character', () => {
    const chars = fontCharacters();
    for (let code = 32; code <= 126; code++) expect(chars).toContain(String.fromCharCode(code));
    const seen = new Map<string, string>();
    for (const ch of chars) {
      const bits = glyph(ch);
      expect(bits).toHaveLength(35);
      if (ch !== ' ')
        expect(
          bits.some((b) => b === 1),
          `glyph ${ch}`,
        ).toBe(true);
      const key = bits.join('');
      expect(seen.get(key), `${ch} looks like ${seen.get(key)}`).toBeUndefined();
      seen.set(key, ch);
    }
  });

  it("draws recognisable letters: 'A' has a full crossbar, 'I' a vertical stem", () => {
    const a = glyph('A');
    expect(Array.from(a.subarray(15, 20))).toEqual([1, 1, 1, 1, 1]);
    const i = glyph('I');
    for (let row = 1; row < 6; row++) expect(i[row * 5 + 2]).toBe(1);
    expect(glyph('\u00e9')).toEqual(glyph('?'));
  });

  it('renders non-empty text inside its measured box, in the given colour', () => {
    const image = canvas(40, 12);
    drawText(image, 'Hi 42', 3, 2, { color: [255, 128, 0] });
    const ink = inked(image);
    expect(ink.length).toBeGreaterThan(20);
    const { width, height } = measureText('Hi 42');
    expect(width).toBe(5 * 6 - 1);
    expect(height).toBe(7);
    for (const { x, y } of ink) {
      expect(x >= 3 && x < 3 + width && y >= 2 && y < 2 + height).toBe(true);
      const o = (y * 40 + x) * 3;
      expect(Array.from(image.data.subarray(o, o + 3))).toEqual([255, 128, 0]);
    }
  });

  it('scales by an integer factor: four times the ink in twice the box', () => {
    const small = canvas(20, 10);
    const large = canvas(40, 20);
    drawText(small, 'Zq', 0, 0);
    drawText(large, 'Zq', 0, 0, { scale: 2 });
    expect(inked(large).length).toBe(4 * inked(small).length);
    expect(measureText('Zq', 2)).toEqual({ width: 2 * measureText('Zq').width, height: 14 });
    expect(() => drawText(small, 'x', 0, 0, { scale: 1.5 })).toThrow(/positive integer/);
  });

  it('clips at the image edges and handles gray and RGBA images', () => {
    const gray = canvas(6, 4, 1);
    drawText(gray, 'WWW', -3, -2, { color: [90, 120, 150] });
    expect(inked(gray).length).toBeGreaterThan(0);
    expect(Array.from(gray.data).every((v) => v === 0 || v === 120)).toBe(true);
    const rgba = canvas(8, 8, 4);
    drawText(rgba, 'o', 1, 0);
    const o = inked(rgba)[0];
    expect(rgba.data[(o.y * 8 + o.x) * 4 + 3]).toBe(255);
    expect(charsThatFit(29)).toBe(5);
    expect(charsThatFit(28)).toBe(4);
  });
});
