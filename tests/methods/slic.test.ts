import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/decode.js';
import { gridSegments, labelsFromMatrix } from '../../src/methods/lime/grid.js';
import { enforceConnectivity, rgbToLab, slic, type Segmentation } from '../../src/methods/lime/slic.js';
import { lcgValues } from './linear-models.js';

/** Number of 4-connected pieces of each label. */
function piecesPerLabel(seg: Segmentation): number[] {
  const { labels, height, width } = seg;
  const seen = new Uint8Array(labels.length);
  const pieces = new Array<number>(seg.count).fill(0);
  for (let start = 0; start < labels.length; start++) {
    if (seen[start]) continue;
    const label = labels[start];
    pieces[label]++;
    const stack = [start];
    seen[start] = 1;
    while (stack.length) {
      const p = stack.pop() as number;
      const y = Math.floor(p / width);
      const x = p % width;
      const next = [
        x > 0 ? p - 1 : -1,
        x < width - 1 ? p + 1 : -1,
        y > 0 ? p - width : -1,
        y < height - 1 ? p + width : -1,
      ];
      for (const q of next) {
        if (q >= 0 && !seen[q] && labels[q] === label) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
  }
  return pieces;
}

/** A planar RGB image of flat-coloured blocks (blockRows x blockCols) plus a little noise. */
function blockImage(height: number, width: number, blockRows: number, blockCols: number) {
  const colours = lcgValues(blockRows * blockCols * 3, 99, 0, 1);
  const noise = lcgValues(height * width * 3, 5, -0.02, 0.02);
  const data = new Float32Array(3 * height * width);
  const block = new Int32Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const b = Math.floor((y * blockRows) / height) * blockCols + Math.floor((x * blockCols) / width);
      block[y * width + x] = b;
      for (let c = 0; c < 3; c++) {
        const i = c * height * width + y * width + x;
        data[i] = Math.min(1, Math.max(0, colours[b * 3 + c] + noise[i]));
      }
    }
  }
  return { image: { data, height, width, channels: 3 }, block };
}

describe('SLIC superpixels', () => {
  it('converts sRGB to CIELAB (D65) like the standard formulas', () => {
    const lab = rgbToLab({
      data: Float32Array.from([1, 1, 0, 1, 0, 0, 1, 0, 0]),
      height: 1,
      width: 3,
      channels: 3,
    });
    // white, red, black
    expect(lab[0]).toBeCloseTo(100, 2);
    expect(lab[3]).toBeCloseTo(0, 2);
    expect(lab[6]).toBeCloseTo(0, 2);
    expect(lab[1]).toBeCloseTo(53.24, 1);
    expect(lab[4]).toBeCloseTo(80.09, 1);
    expect(lab[7]).toBeCloseTo(67.2, 1);
    expect(lab[2]).toBeCloseTo(0, 2);
  });

  it('gives connected segments, about the requested count, following colour edges', () => {
    const { image, block } = blockImage(60, 80, 3, 4);
    for (const numSegments of [12, 48, 100]) {
      const seg = slic(image, { numSegments });
      expect(piecesPerLabel(seg).every((p) => p === 1)).toBe(true);
      expect(new Set(seg.labels).size).toBe(seg.count);
      expect(seg.count).toBeGreaterThanOrEqual(Math.floor(0.7 * numSegments));
      expect(seg.count).toBeLessThanOrEqual(Math.ceil(1.3 * numSegments));
      // Each segment lies (almost) inside one colour block.
      let pure = 0;
      for (let s = 0; s < seg.count; s++) {
        const counts = new Map<number, number>();
        for (let p = 0; p < seg.labels.length; p++) {
          if (seg.labels[p] === s) counts.set(block[p], (counts.get(block[p]) ?? 0) + 1);
        }
        pure += Math.max(...counts.values());
      }
      expect(pure / seg.labels.length).toBeGreaterThan(0.97);
    }
  });

  it('segments gray images on intensity and is deterministic', () => {
    const data = new Float32Array(40 * 40);
    for (let y = 0; y < 40; y++)
      for (let x = 0; x < 40; x++) data[y * 40 + x] = (x - 20) ** 2 + (y - 20) ** 2 < 100 ? 0.9 : 0.1;
    const a = slic({ data, height: 40, width: 40, channels: 1 }, { numSegments: 16, compactness: 5 });
    const b = slic({ data, height: 40, width: 40, channels: 1 }, { numSegments: 16, compactness: 5 });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(piecesPerLabel(a).every((p) => p === 1)).toBe(true);
    // Pixels of the disc and of the background never share a segment.
    for (let s = 0; s < a.count; s++) {
      const values = new Set<number>();
      for (let p = 0; p < data.length; p++) if (a.labels[p] === s) values.add(data[p]);
      expect(values.size).toBe(1);
    }
  });

  it('keeps every segment connected and the count within 30% of the request on the bundled images', async () => {
    const files = readdirSync('fixtures')
      .flatMap((fixture) => {
        const dir = path.join('fixtures', fixture, 'samples', 'images');
        try {
          return readdirSync(dir).map((f) => path.join(dir, f));
        } catch {
          return [];
        }
      })
      .filter((f) => f.endsWith('.png'));
    expect(files.length).toBeGreaterThanOrEqual(12);
    for (const file of files) {
      const raw = await decodeImage(file);
      const channels = raw.channels === 1 ? 1 : 3;
      const plane = raw.width * raw.height;
      const data = new Float32Array(plane * channels);
      for (let c = 0; c < channels; c++)
        for (let p = 0; p < plane; p++) data[c * plane + p] = raw.data[p * raw.channels + c] / 255;
      for (const numSegments of [25, 49, 100]) {
        const seg = slic({ data, height: raw.height, width: raw.width, channels }, { numSegments });
        const pieces = piecesPerLabel(seg);
        expect(
          pieces.every((p) => p === 1),
          `${file}: every segment connected`,
        ).toBe(true);
        expect(
          Math.abs(seg.count - numSegments),
          `${file}: ${seg.count} segments for ${numSegments}`,
        ).toBeLessThanOrEqual(0.3 * numSegments);
      }
    }
  });

  it('merges orphaned fragments, small or large, into the adjacent segment with the longest border', () => {
    // Label 0 in two pieces (a big one and a lone pixel inside label 1), label 1 around it.
    const labels = Int32Array.from([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1]);
    const seg = enforceConnectivity(labels, 4, 4, 2);
    expect(seg.count).toBe(2);
    expect(seg.labels[11]).toBe(seg.labels[10]);
    expect(piecesPerLabel(seg)).toEqual([1, 1]);
    // Label 5 split by a column of label 6 into pieces of 8 and 4 pixels; label 7 runs along the bottom.
    // The 4-pixel orphan touches label 6 on 4 pixels and label 7 on 1, so it joins label 6.
    // prettier-ignore
    const split = Int32Array.from([
      5, 5, 6, 5,
      5, 5, 6, 5,
      5, 5, 6, 5,
      5, 5, 6, 5,
      7, 7, 7, 7,
    ]);
    const merged = enforceConnectivity(split, 5, 4, 1);
    expect(merged.count).toBe(3);
    expect(merged.labels[3]).toBe(merged.labels[2]);
    expect(merged.labels[15]).toBe(merged.labels[2]);
    expect(merged.labels[0]).not.toBe(merged.labels[2]);
    expect(piecesPerLabel(merged)).toEqual([1, 1, 1]);
  });
});

describe('grid and label-matrix segmentation', () => {
  it('cuts a square image into a square grid of at most numFeatures cells', () => {
    const g = gridSegments(28, 28, 49);
    expect([g.rows, g.cols, g.count]).toEqual([7, 7, 49]);
    expect(g.labels[0]).toBe(0);
    expect(g.labels[27]).toBe(6);
    expect(g.labels[27 * 28 + 27]).toBe(48);
    const wide = gridSegments(10, 40, 16);
    expect(wide.rows * wide.cols).toBeLessThanOrEqual(16);
    expect(wide.cols).toBeGreaterThan(wide.rows);
    expect(piecesPerLabel(wide).every((p) => p === 1)).toBe(true);
  });

  it('turns user labels into consecutive ids and rejects bad matrices', () => {
    const seg = labelsFromMatrix({ data: [5, 5, 9, 2], dims: [2, 2] }, 2, 2);
    expect(Array.from(seg.labels)).toEqual([1, 1, 2, 0]);
    expect(seg.values).toEqual([2, 5, 9]);
    expect(() => labelsFromMatrix({ data: [1, 2, 3], dims: [1, 3] }, 2, 2)).toThrow(/2x2/);
    expect(() => labelsFromMatrix({ data: [1, 2.5, 3, 4], dims: [2, 2] }, 2, 2)).toThrow(/integers/);
  });
});
