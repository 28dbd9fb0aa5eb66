/**
 * A built-in 5×7 bitmap font for printable ASCII, so labels render identically everywhere without
 * system fonts. Each glyph is 7 rows of 5 cells ('#' = ink); glyphs advance 6 pixels (one blank
 * column), lines are 7 pixels high. Everything scales by an integer factor.
 */
import { OptionError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import type { Rgb } from './colormap.js';

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** Horizontal distance between the left edges of consecutive glyphs. */
export const GLYPH_ADVANCE = 6;

// prettier-ignore
const GLYPH_ROWS: Record<string, string> = {
  ' ': '..... ..... ..... ..... ..... ..... .....',
  '!': '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..',
  '"': '.#.#. .#.#. ..... ..... ..... ..... .....',
  '#': '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.',
  '$': '..#.. .#### #.#.. .###. ..#.# ####. ..#..',
  '%': '##... ##..# ...#. ..#.. .#... #..## ...##',
  '&': '.##.. #..#. #.#.. .#... #.#.# #..#. .##.#',
  "'": '..#.. ..#.. ..... ..... ..... ..... .....',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '*': '..... ..#.. #.#.# .###. #.#.# ..#.. .....',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  ',': '..... ..... ..... ..... .##.. ..#.. .#...',
  '-': '..... ..... ..... ##### ..... ..... .....',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  '/': '..... ....# ...#. ..#.. .#... #.... .....',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  ':': '..... .##.. .##.. ..... .##.. .##.. .....',
  ';': '..... .##.. .##.. ..... .##.. ..#.. .#...',
  '<': '...#. ..#.. .#... #.... .#... ..#.. ...#.',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '>': '.#... ..#.. ...#. ....# ...#. ..#.. .#...',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
  '@': '.###. #...# ....# .##.# #.#.# #.#.# .###.',
  'A': '.###. #...# #...# ##### #...# #...# #...#',
  'B': '####. #...# #...# ####. #...# #...# ####.',
  'C': '.###. #...# #.... #.... #.... #...# .###.',
  'D': '###.. #..#. #...# #...# #...# #..#. ###..',
  'E': '##### #.... #.... ####. #.... #.... #####',
  'F': '##### #.... #.... ####. #.... #.... #....',
  'G': '.###. #...# #.... #.### #...# #...# .####',
  'H': '#...# #...# #...# ##### #...# #...# #...#',
  'I': '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  'J': '..### ...#. ...#. ...#. ...#. #..#. .##..',
  'K': '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  'L': '#.... #.... #.... #.... #.... #.... #####',
  'M': '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  'N': '#...# #...# ##..# #.#.# #..## #...# #...#',
  'O': '.###. #...# #...# #...# #...# #...# .###.',
  'P': '####. #...# #...# ####. #.... #.... #....',
  'Q': '.###. #...# #...# #...# #.#.# #..#. .##.#',
  'R': '####. #...# #...# ####. #.#.. #..#. #...#',
  'S': '.#### #.... #.... .###. ....# ....# ####.',
  'T': '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  'U': '#...# #...# #...# #...# #...# #...# .###.',
  'V': '#...# #...# #...# #...# #...# .#.#. ..#..',
  'W': '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  'X': '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  'Y': '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  'Z': '##### ....# ...#. ..#.. .#... #.... #####',
  '[': '.###. .#... .#... .#... .#... .#... .###.',
  '\\': '..... #.... .#... ..#.. ...#. ....# .....',
  ']': '.###. ...#. ...#. ...#. ...#. ...#. .###.',
  '^': '..#.. .#.#. #...# ..... ..... ..... .....',
  '_': '..... ..... ..... ..... ..... ..... #####',
  '`': '.#... ..#.. ..... ..... ..... ..... .....',
  'a': '..... ..... .###. ....# .#### #...# .####',
  'b': '#.... #.... #.##. ##..# #...# #...# ####.',
  'c': '..... ..... .###. #.... #.... #...# .###.',
  'd': '....# ....# .##.# #..## #...# #...# .####',
  'e': '..... ..... .###. #...# ##### #.... .###.',
  'f': '..##. .#..# .#... ###.. .#... .#... .#...',
  'g': '..... .#### #...# #...# .#### ....# .###.',
  'h': '#.... #.... #.##. ##..# #...# #...# #...#',
  'i': '..#.. ..... .##.. ..#.. ..#.. ..#.. .###.',
  'j': '...#. ..... ..##. ...#. ...#. #..#. .##..',
  'k': '#.... #.... #..#. #.#.. ##... #.#.. #..#.',
  'l': '.##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  'm': '..... ..... ##.#. #.#.# #.#.# #...# #...#',
  'n': '..... ..... #.##. ##..# #...# #...# #...#',
  'o': '..... ..... .###. #...# #...# #...# .###.',
  'p': '..... ..... ####. #...# ####. #.... #....',
  'q': '..... ..... .##.# #..## #...# .#### ....#',
  'r': '..... ..... #.##. ##..# #.... #.... #....',
  's': '..... ..... .###. #.... .###. ....# ####.',
  't': '.#... .#... ###.. .#... .#... .#..# ..##.',
  'u': '..... ..... #...# #...# #...# #..## .##.#',
  'v': '..... ..... #...# #...# #...# .#.#. ..#..',
  'w': '..... ..... #...# #...# #.#.# #.#.# .#.#.',
  'x': '..... ..... #...# .#.#. ..#.. .#.#. #...#',
  'y': '..... ..... #...# #...# .#### ....# .###.',
  'z': '..... ..... ##### ...#. ..#.. .#... #####',
  '{': '...#. ..#.. ..#.. .#... ..#.. ..#.. ...#.',
  '|': '..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  '}': '.#... ..#.. ..#.. ...#. ..#.. ..#.. .#...',
  '~': '..... ..... .#... #.#.# ...#. ..... .....',
};

/** Glyph bitmaps, 35 cells each (row-major), 1 = ink; characters without a glyph draw as '?'. */
const GLYPHS = new Map<string, Uint8Array>(
  Object.entries(GLYPH_ROWS).map(([ch, rows]) => [
    ch,
    Uint8Array.from(rows.replace(/ /g, ''), (c) => (c === '#' ? 1 : 0)),
  ]),
);

/** The 5×7 bitmap of a character (row-major, 1 = ink). */
export function glyph(ch: string): Uint8Array {
  return GLYPHS.get(ch) ?? (GLYPHS.get('?') as Uint8Array);
}

/** Characters the font draws (printable ASCII). */
export function fontCharacters(): string[] {
  return [...GLYPHS.keys()];
}

function checkScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < 1) {
    throw new OptionError('INVALID_OPTION', `text scale ${scale} must be a positive integer`);
  }
}

/** Pixel size of a single line of text at an integer scale. */
export function measureText(text: string, scale = 1): { width: number; height: number } {
  checkScale(scale);
  const n = [...text].length;
  return { width: n === 0 ? 0 : (n * GLYPH_ADVANCE - 1) * scale, height: GLYPH_HEIGHT * scale };
}

/** How many characters fit in `width` pixels at `scale`. */
export function charsThatFit(width: number, scale = 1): number {
  checkScale(scale);
  return Math.max(0, Math.floor((width + scale) / (GLYPH_ADVANCE * scale)));
}

export interface TextStyle {
  color?: Rgb;
  scale?: number;
}

/**
 * Draw one line of text into `image` (in place) with its top-left corner at (x, y); ink outside the
 * image is clipped. Gray images get the mean of the colour's channels; RGBA ink is opaque.
 */
export function drawText(image: RawImage, text: string, x: number, y: number, style: TextStyle = {}): void {
  const scale = style.scale ?? 1;
  checkScale(scale);
  const color = style.color ?? [255, 255, 255];
  const { width, height, channels, data } = image;
  const gray = Math.round((color[0] + color[1] + color[2]) / 3);
  let penX = Math.round(x);
  const top = Math.round(y);
  for (const ch of text) {
    const bits = glyph(ch);
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (!bits[gy * GLYPH_WIDTH + gx]) continue;
        for (let sy = 0; sy < scale; sy++) {
          const py = top + gy * scale + sy;
          if (py < 0 || py >= height) continue;
          for (let sx = 0; sx < scale; sx++) {
            const px = penX + gx * scale + sx;
            if (px < 0 || px >= width) continue;
            const o = (py * width + px) * channels;
            if (channels === 1) {
              data[o] = gray;
            } else {
              data[o] = color[0];
              data[o + 1] = color[1];
              data[o + 2] = color[2];
              if (channels === 4) data[o + 3] = 255;
            }
          }
        }
      }
    }
    penX += GLYPH_ADVANCE * scale;
  }
}
