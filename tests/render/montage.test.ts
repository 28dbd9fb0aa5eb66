import { describe, expect, it } from 'vitest';
import type { FloatMap, RawImage } from '../../src/image/types.js';
import { channelMaps, gridFor, montage, montageLayout, sideBySide } from '../../src/render/montage.js';

const RED: [number, number, number] = [255, 0, 0];

function pixel(image: RawImage, x: number, y: number): number[] {
  const o = (y * image.width + x) * image.channels;
  return Array.from(image.data.subarray(o, o + image.channels));
}

function ramp(k: number, width = 2, height = 1): FloatMap {
  // Values 0 .. k+1 left to right.
  return {
    data: Float32Array.from({ length: width * height }, (_, p) => ((p % width) / (width - 1)) * (k + 1)),
    width,
    height,
  };
}

describe('montage layout', () => {
  it('picks a near-square grid in pixels', () => {
    expect(gridFor(10, 5, 5)).toEqual({ rows: 3, cols: 4 });
    expect(gridFor(16, 5, 5)).toEqual({ rows: 4, cols: 4 });
    expect(gridFor(10, 4, 3)).toEqual({ rows: 4, cols: 3 });
    expect(gridFor(1, 7, 3)).toEqual({ rows: 1, cols: 1 });
    // Wide tiles stack: 4 tiles of 40×10 → 1 column of 4 is 40×40.
    expect(gridFor(4, 40, 10)).toEqual({ rows: 4, cols: 1 });
  });

  it('honours a given number of rows and/or columns', () => {
    expect(gridFor(10, 5, 5, [2, null])).toEqual({ rows: 2, cols: 5 });
    expect(gridFor(10, 5, 5, [null, 3])).toEqual({ rows: 4, cols: 3 });
    expect(gridFor(4, 5, 5, [3, 3])).toEqual({ rows: 3, cols: 3 });
    expect(() => gridFor(5, 5, 5, [2, 2])).toThrow(/holds 4 tiles, fewer than the 5/);
  });

  it('places tiles row-major between borders', () => {
    const layout = montageLayout(10, 4, 3, { borderSize: 2 });
    expect([layout.rows, layout.cols, layout.width, layout.height]).toEqual([
      4,
      3,
      3 * 4 + 4 * 2,
      4 * 3 + 5 * 2,
    ]);
    expect(layout.tiles[0]).toEqual({ x: 2, y: 2 });
    expect(layout.tiles[4]).toEqual({ x: 2 + 6, y: 2 + 5 });
    expect(layout.tiles[9]).toEqual({ x: 2, y: 2 + 3 * 5 });
  });

  it('adds a label strip per cell, below or above the tile', () => {
    const below = montageLayout(2, 20, 10, {
      borderSize: 1,
      labelPosition: 'below',
      labelScale: 2,
      gridSize: [1, 2],
    });
    expect(below.labelHeight).toBe(18);
    expect(below.height).toBe(10 + 18 + 2);
    expect(below.tiles[1]).toEqual({ x: 22, y: 1 });
    expect(below.labels[1]).toEqual({ x: 22, y: 11 });
    const above = montageLayout(2, 20, 10, { borderSize: 1, labelPosition: 'above', gridSize: [1, 2] });
    expect(above.labels[0]).toEqual({ x: 1, y: 1 });
    expect(above.tiles[0]).toEqual({ x: 1, y: 1 + 9 });
  });
});

describe('montage', () => {
  it('draws borders and empty cells in the background colour and scales each tile on its own', () => {
    const tiles = [0, 1, 2].map((k) => ramp(k));
    const out = montage(tiles, { borderSize: 1, backgroundColor: RED, gridSize: [2, 2] });
    const layout = montageLayout(3, 2, 1, { borderSize: 1, gridSize: [2, 2] });
    expect([out.width, out.height]).toEqual([layout.width, layout.height]);
    expect(pixel(out, 0, 0)).toEqual(RED);
    expect(pixel(out, 3, 1)).toEqual(RED);
    layout.tiles.forEach(({ x, y }) => {
      expect(pixel(out, x, y)).toEqual([0, 0, 0]);
      expect(pixel(out, x + 1, y)).toEqual([255, 255, 255]);
    });
    // The fourth cell is empty.
    expect(pixel(out, 4, 3)).toEqual(RED);
    expect(pixel(out, 5, 3)).toEqual(RED);
  });

  it('global scaling puts all tiles on one range', () => {
    const tiles = [0, 1, 3].map((k) => ramp(k));
    const out = montage(tiles, { scalePer: 'global', borderSize: 0, gridSize: [1, 3] });
    // Maxima 1, 2, 4 of a shared 0..4 range.
    expect(pixel(out, 1, 0)).toEqual([64, 64, 64]);
    expect(pixel(out, 3, 0)).toEqual([128, 128, 128]);
    expect(pixel(out, 5, 0)).toEqual([255, 255, 255]);
  });

  it('pastes images as they are and resizes tiles to the thumbnail size', () => {
    const image: RawImage = { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), width: 2, height: 1, channels: 3 };
    const out = montage([image, ramp(0, 4, 2)], { borderSize: 0, gridSize: [1, 2] });
    expect([out.width, out.height]).toEqual([4, 1]);
    expect(pixel(out, 0, 0)).toEqual([1, 2, 3]);
    expect(pixel(out, 1, 0)).toEqual([4, 5, 6]);
    const big = montage([image], {
      thumbnailSize: { width: 4, height: 2 },
      resizeMethod: 'nearest',
      borderSize: 0,
    });
    expect(pixel(big, 1, 1)).toEqual([1, 2, 3]);
    expect(pixel(big, 3, 0)).toEqual([4, 5, 6]);
  });

  it('writes labels inside their strips only', () => {
    const tiles = [ramp(0, 30, 5), ramp(1, 30, 5)];
    const out = montage(tiles, {
      labels: ['a1', 'b2'],
      labelColor: [0, 255, 0],
      borderSize: 1,
      gridSize: [1, 2],
    });
    const layout = montageLayout(2, 30, 5, { borderSize: 1, gridSize: [1, 2], labelPosition: 'below' });
    let green = 0;
    for (let y = 0; y < out.height; y++) {
      for (let x = 0; x < out.width; x++) {
        if (pixel(out, x, y).join() !== '0,255,0') continue;
        green++;
        const strip = layout.labels.find(
          (l) => x >= l.x && x < l.x + 30 && y >= l.y && y < l.y + layout.labelHeight,
        );
        expect(strip, `label ink at ${x},${y}`).toBeDefined();
      }
    }
    expect(green).toBeGreaterThan(10);
  });

  it('splits activation tensors into channel maps in either layout', () => {
    // 1 × 2 channels × 2 × 3, NCHW.
    const nchw = { data: Float32Array.from({ length: 12 }, (_, i) => i), dims: [1, 2, 2, 3] };
    const maps = channelMaps(nchw);
    expect(maps).toHaveLength(2);
    expect(Array.from(maps[1].data)).toEqual([6, 7, 8, 9, 10, 11]);
    const nhwc = { data: new Float32Array(12), dims: [1, 2, 3, 2] };
    for (let p = 0; p < 6; p++) for (let c = 0; c < 2; c++) nhwc.data[p * 2 + c] = c * 6 + p;
    expect(channelMaps(nhwc, { layout: 'NHWC' }).map((m) => Array.from(m.data))).toEqual(
      maps.map((m) => Array.from(m.data)),
    );
    expect(() => channelMaps(nchw, { index: 1 })).toThrow(/out of range/);
  });
});

describe('sideBySide', () => {
  it('lays images out in columns with captions below', () => {
    const a: RawImage = { data: new Uint8Array(10 * 6 * 3).fill(50), width: 10, height: 6, channels: 3 };
    const b: RawImage = { data: new Uint8Array(4 * 9).fill(200), width: 4, height: 9, channels: 1 };
    const out = sideBySide(
      [
        { image: a, caption: 'x' },
        { image: b, caption: 'longer' },
      ],
      { gap: 3, padding: 2 },
    );
    const captionWidth = 6 * 6 - 1;
    expect(out.width).toBe(2 + 10 + 3 + captionWidth + 2);
    expect(out.height).toBe(2 + 9 + 2 + 7 + 2);
    expect(pixel(out, 2, 2)).toEqual([50, 50, 50]);
    const bx = 2 + 10 + 3 + Math.floor((captionWidth - 4) / 2);
    expect(pixel(out, bx, 2)).toEqual([200, 200, 200]);
    expect(pixel(out, bx - 1, 2)).toEqual([255, 255, 255]);
    let ink = 0;
    for (let y = 13; y < 20; y++)
      for (let x = 0; x < out.width; x++) if (pixel(out, x, y).join() === '0,0,0') ink++;
    expect(ink).toBeGreaterThan(10);
  });
});
