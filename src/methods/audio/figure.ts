/**
 * A map over a spectrogram as a reader wants it: the picture enlarged, the most important time × frequency
 * segments outlined, a time axis in seconds and a frequency axis in hertz whose ticks sit where those
 * frequencies fall on the mel scale.
 */
import { convertChannels } from '../../image/channels.js';
import { resizeImage } from '../../image/resize.js';
import { createImage, type RawImage } from '../../image/types.js';
import { drawText, measureText } from '../../render/font.js';
import { hzToMel } from '../../audio/mel.js';
import type { SpectrogramRecipe } from '../../audio/recipe.js';

export interface SpectrogramFigureOptions {
  /** Integer enlargement of the picture (default 4). */
  zoom?: number;
  /** Seconds at the picture's left edge (the window's start in its clip). */
  startSeconds?: number;
  /** Segment id per picture pixel and the segments to outline. */
  outline?: { labels: ArrayLike<number>; segments: readonly number[] };
  title?: string;
}

const FREQUENCY_TICKS_HZ = [50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000];
const INK: [number, number, number] = [20, 20, 20];
const OUTLINE: [number, number, number] = [255, 255, 255];

/** Picture row (0 at the top, fractional) where `hz` lies on the recipe's mel axis. */
export function rowOfHz(hz: number, recipe: SpectrogramRecipe, height: number): number {
  const lo = hzToMel(recipe.fMin);
  const hi = hzToMel(recipe.fMax);
  // Band b (lowest first) is centred at edge b + 1 of bands + 2 equally spaced mel edges.
  const band = ((hzToMel(hz) - lo) / (hi - lo)) * (recipe.melBands + 1) - 1;
  const row = (band / recipe.melBands) * height;
  return recipe.rowOrder === 'high-to-low' ? height - 1 - row : row;
}

/** Picture column (fractional) of time `seconds` after the window start: frame f is centred at f·hop + nFft/2. */
export function columnOfSeconds(seconds: number, recipe: SpectrogramRecipe): number {
  return (seconds * recipe.sampleRate - recipe.nFft / 2) / recipe.hop;
}

function fill(
  image: RawImage,
  x0: number,
  y0: number,
  w: number,
  h: number,
  color: [number, number, number],
): void {
  for (let y = Math.max(0, y0); y < Math.min(image.height, y0 + h); y++) {
    for (let x = Math.max(0, x0); x < Math.min(image.width, x0 + w); x++) {
      const o = (y * image.width + x) * 3;
      image.data[o] = color[0];
      image.data[o + 1] = color[1];
      image.data[o + 2] = color[2];
    }
  }
}

/** `picture` (the map over the spectrogram, at the model's resolution) framed with axes. */
export function spectrogramFigure(
  picture: RawImage,
  recipe: SpectrogramRecipe,
  options: SpectrogramFigureOptions = {},
): RawImage {
  const zoom = options.zoom ?? 4;
  const { width, height } = picture;
  const big = convertChannels(resizeImage(picture, width * zoom, height * zoom, { method: 'nearest' }), 3);
  if (options.outline) {
    const { labels, segments } = options.outline;
    const chosen = new Set(segments);
    // A pixel is on the outline when it is in a chosen segment and a neighbour is not.
    const inside = (x: number, y: number): boolean =>
      x >= 0 && y >= 0 && x < width && y < height && chosen.has(labels[y * width + x]);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (!inside(x, y)) continue;
        const edges = [!inside(x - 1, y), !inside(x + 1, y), !inside(x, y - 1), !inside(x, y + 1)];
        if (edges[0]) fill(big, x * zoom, y * zoom, 1, zoom, OUTLINE);
        if (edges[1]) fill(big, (x + 1) * zoom - 1, y * zoom, 1, zoom, OUTLINE);
        if (edges[2]) fill(big, x * zoom, y * zoom, zoom, 1, OUTLINE);
        if (edges[3]) fill(big, x * zoom, (y + 1) * zoom - 1, zoom, 1, OUTLINE);
      }
    }
  }
  const left = 44;
  const top = options.title ? 14 : 6;
  const bottom = 30;
  const right = 10;
  const out = createImage(left + big.width + right, top + big.height + bottom, 3, 255);
  for (let y = 0; y < big.height; y++) {
    out.data.set(
      big.data.subarray(y * big.width * 3, (y + 1) * big.width * 3),
      ((top + y) * out.width + left) * 3,
    );
  }
  if (options.title) drawText(out, options.title, left, 3, { color: INK });
  // Frequency ticks (mel-spaced rows) on the left.
  for (const hz of FREQUENCY_TICKS_HZ) {
    if (hz < recipe.fMin || hz > recipe.fMax) continue;
    const y = top + Math.round((rowOfHz(hz, recipe, height) + 0.5) * zoom);
    fill(out, left - 4, y, 4, 1, INK);
    const label = hz >= 1000 ? `${hz / 1000}k` : String(hz);
    drawText(out, label, left - 6 - measureText(label).width, y - 3, { color: INK });
  }
  drawText(out, 'Hz', 2, top, { color: INK });
  // Time ticks every 0.25 s (0.1 s for short windows) at the frame centres.
  const start = options.startSeconds ?? 0;
  const span = recipe.clipSamples / recipe.sampleRate;
  const step = span > 2 ? 0.5 : span > 0.6 ? 0.25 : 0.1;
  for (let t = Math.ceil(start / step) * step; t <= start + span + 1e-9; t += step) {
    const column = columnOfSeconds(t - start, recipe);
    if (column < -0.5 || column > width - 0.5) continue;
    const x = left + Math.round((column + 0.5) * zoom);
    fill(out, x, top + big.height, 1, 4, INK);
    const label = t.toFixed(2).replace(/0$/, '');
    drawText(out, label, x - measureText(label).width / 2, top + big.height + 6, { color: INK });
  }
  const axis = 'time (s)';
  drawText(out, axis, left + big.width / 2 - measureText(axis).width / 2, top + big.height + 18, {
    color: INK,
  });
  return out;
}
