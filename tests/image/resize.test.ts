import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NetlensError } from '../../src/errors.js';
import { axisWeights, resampleHwc } from '../../src/image/resample.js';
import { resizeImage } from '../../src/image/resize.js';
import type { RawImage } from '../../src/image/types.js';
import { mapFromTensor, upsample } from '../../src/image/upsample.js';

/** Where output pixel d samples an axis of length n resized to m (half-pixel centres). */
const sampleAt = (d: number, n: number, m: number): number => ((d + 0.5) * n) / m - 0.5;
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** Keys cubic kernel, a = -0.5, written out independently of the implementation. */
function keys(x: number): number {
  const a = Math.abs(x);
  if (a <= 1) return 1.5 * a ** 3 - 2.5 * a ** 2 + 1;
  if (a < 2) return -0.5 * a ** 3 + 2.5 * a ** 2 - 4 * a + 2;
  return 0;
}

function grayImage(width: number, height: number, f: (x: number, y: number) => number): RawImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { data, width, height, channels: 1 };
}

describe('resizeImage', () => {
  it('bilinear of a horizontal ramp is a ramp (flat beyond the outer pixel centres)', () => {
    const ramp = grayImage(11, 3, (x) => 10 + 20 * x);
    const out = resizeImage(ramp, 37, 5, { method: 'bilinear' });
    for (let y = 0; y < 5; y++) {
      for (let x = 0; x < 37; x++) {
        const expected = 10 + 20 * clamp(sampleAt(x, 11, 37), 0, 10);
        expect(Math.abs(out.data[y * 37 + x] - expected)).toBeLessThanOrEqual(0.5);
      }
    }
  });

  it('shrinking a ramp with antialiasing keeps it a ramp away from the edges', () => {
    const ramp = grayImage(60, 2, (x) => 4 * x);
    const out = resizeImage(ramp, 20, 2, { method: 'bilinear' });
    // The stretched kernel spans 6 input pixels; away from the mirrored edges it is symmetric, so linear data stays linear.
    for (let x = 2; x < 18; x++)
      expect(Math.abs(out.data[x] - 4 * sampleAt(x, 60, 20))).toBeLessThanOrEqual(0.5);
  });

  it('halving with antialiased bilinear weights input pixels 1:3:3:1', () => {
    const image = grayImage(8, 1, (x) => [0, 80, 16, 240, 32, 64, 200, 8][x]);
    const out = resampleHwc(image.data, 8, 1, 1, 4, 1, { method: 'bilinear' });
    const src = image.data;
    for (let d = 1; d < 3; d++) {
      const j = 2 * d;
      const expected = (src[j - 1] + 3 * src[j] + 3 * src[j + 1] + src[j + 2]) / 8;
      expect(out[d]).toBeCloseTo(expected, 4);
    }
  });

  it('nearest preserves values and picks the pixel whose cell contains the sample', () => {
    const image = grayImage(5, 4, (x, y) => 1 + x + 10 * y);
    for (const [w, h] of [
      [13, 9],
      [3, 2],
      [5, 11],
    ]) {
      const out = resizeImage(image, w, h, { method: 'nearest' });
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const sx = Math.floor(((x + 0.5) * 5) / w);
          const sy = Math.floor(((y + 0.5) * 4) / h);
          expect(out.data[y * w + x]).toBe(image.data[sy * 5 + sx]);
        }
      }
    }
  });

  it('keeps a constant image constant for every method, up or down, on every channel', () => {
    const rgb: RawImage = { data: new Uint8Array(7 * 5 * 3), width: 7, height: 5, channels: 3 };
    for (let p = 0; p < 35; p++) rgb.data.set([12, 130, 251], p * 3);
    for (const method of ['nearest', 'bilinear', 'bicubic'] as const) {
      for (const [w, h] of [
        [16, 11],
        [3, 2],
      ]) {
        const out = resizeImage(rgb, w, h, { method });
        expect(out.channels).toBe(3);
        for (let p = 0; p < w * h; p++)
          expect(Array.from(out.data.subarray(3 * p, 3 * p + 3))).toEqual([12, 130, 251]);
      }
    }
  });

  it('axis weights always sum to one', () => {
    for (const method of ['nearest', 'bilinear', 'bicubic'] as const) {
      for (const [n, m] of [
        [7, 23],
        [23, 7],
        [1, 5],
      ]) {
        const { taps, weights } = axisWeights(n, m, method, true);
        for (let d = 0; d < m; d++) {
          let sum = 0;
          for (let k = 0; k < taps; k++) sum += weights[d * taps + k];
          expect(sum).toBeCloseTo(1, 12);
        }
      }
    }
  });

  it('rejects unknown methods and bad sizes with typed errors', () => {
    const image = grayImage(2, 2, () => 0);
    expect(() => resizeImage(image, 4, 4, { method: 'lanczos' as 'bilinear' })).toThrow(NetlensError);
    expect(() => resizeImage(image, 0, 4)).toThrow(/positive integer/);
  });
});

interface ResizeReference {
  source: { width: number; height: number; data: number[] };
  cases: { method: 'bilinear' | 'bicubic'; width: number; height: number; data: number[] }[];
}

describe('resampling against Pillow (tools/image/resize_reference.py)', () => {
  const reference = JSON.parse(
    readFileSync(new URL('./resize-reference.json', import.meta.url), 'utf8'),
  ) as ResizeReference;
  const { source } = reference;
  it.each(reference.cases.map((c) => [c.method, c.width, c.height, c] as const))(
    '%s to %i×%i agrees wherever the kernel stays inside the image',
    (method, width, height, refCase) => {
      const out = resampleHwc(source.data, source.width, source.height, 1, width, height, { method });
      // Pillow clips kernels at the border where we mirror, so only fully-inside supports must agree.
      const inside = (d: number, n: number, m: number): boolean => {
        const half = ((method === 'bilinear' ? 2 : 4) * Math.max(1, n / m)) / 2;
        const u = sampleAt(d, n, m);
        return u - half >= 0 && u + half <= n - 1;
      };
      let compared = 0;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          if (!inside(x, source.width, width) || !inside(y, source.height, height)) continue;
          expect(out[y * width + x]).toBeCloseTo(refCase.data[y * width + x], 3);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(0);
    },
  );
});

describe('upsample', () => {
  it('matches the hand-computed bilinear 2×2 → 4×4 result', () => {
    const map = { data: Float32Array.from([1, 2, 3, 4]), width: 2, height: 2 };
    const out = upsample(map, { width: 4, height: 4 }, 'bilinear');
    // Samples sit at -0.25, 0.25, 0.75, 1.25 → clamped to 0, 0.25, 0.75, 1 on each axis.
    const expected = [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4];
    expect(Array.from(out.data)).toEqual(expected);
  });

  it('nearest ×2 replicates each value into a 2×2 block', () => {
    const map = { data: Float32Array.from([1, -2, 3.5, 4, 5, 6]), width: 3, height: 2 };
    const out = upsample(map, { width: 6, height: 4 }, 'nearest');
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 6; x++) expect(out.data[y * 6 + x]).toBe(map.data[(y >> 1) * 3 + (x >> 1)]);
    }
  });

  it('bicubic of an impulse samples the Keys kernel', () => {
    const n = 15;
    const centre = 7;
    const data = new Float32Array(n);
    data[centre] = 1;
    const out = upsample({ data, width: n, height: 1 }, { width: 2 * n, height: 1 }, 'bicubic');
    // Known kernel values at quarter offsets (from the formula by hand): K(.25)=0.8671875, K(.75)=0.2265625,
    // K(1.25)=-0.0703125, K(1.75)=-0.0234375.
    expect(keys(0.25)).toBeCloseTo(0.8671875, 12);
    expect(keys(1.25)).toBeCloseTo(-0.0703125, 12);
    for (let d = 6; d < 24; d++) expect(out.data[d]).toBeCloseTo(keys(sampleAt(d, n, 2 * n) - centre), 6);
  });

  it('bicubic reproduces a quadratic exactly away from the edges', () => {
    const n = 12;
    const f = (x: number): number => 0.5 * x * x - 3 * x + 2;
    const data = Float32Array.from({ length: n }, (_, x) => f(x));
    const m = 29;
    const out = upsample({ data, width: n, height: 1 }, { width: m, height: 1 }, 'bicubic');
    for (let d = 0; d < m; d++) {
      const u = sampleAt(d, n, m);
      if (u >= 2 && u <= n - 3) expect(out.data[d]).toBeCloseTo(f(u), 3);
    }
  });

  it('resizes both axes independently (separable) and keeps NaN local with nearest', () => {
    const map = { data: Float32Array.from([0, 1, 2, 10, 11, 12]), width: 3, height: 2 };
    const out = upsample(map, { width: 9, height: 5 }, 'bilinear');
    for (let y = 0; y < 5; y++) {
      for (let x = 0; x < 9; x++) {
        const expected = clamp(sampleAt(x, 3, 9), 0, 2) + 10 * clamp(sampleAt(y, 2, 5), 0, 1);
        expect(out.data[y * 9 + x]).toBeCloseTo(expected, 5);
      }
    }
    const holes = { data: Float32Array.from([1, NaN, 3, 4]), width: 2, height: 2 };
    const near = upsample(holes, { width: 4, height: 4 }, 'nearest');
    expect(Array.from(near.data).filter(Number.isNaN)).toHaveLength(4);
  });

  it('takes maps out of [H,W], [N,H,W] and [N,1,H,W] tensors', () => {
    const data = Float32Array.from({ length: 12 }, (_, i) => i);
    expect(mapFromTensor({ data, dims: [3, 4] })).toMatchObject({ width: 4, height: 3 });
    expect(Array.from(mapFromTensor({ data, dims: [2, 2, 3] }, 1).data)).toEqual([6, 7, 8, 9, 10, 11]);
    expect(Array.from(mapFromTensor({ data, dims: [2, 1, 3, 2] }, 1).data)).toEqual([6, 7, 8, 9, 10, 11]);
    expect(() => mapFromTensor({ data, dims: [1, 3, 2, 2] })).toThrow(/\[N,1,H,W\]/);
    expect(() => mapFromTensor({ data, dims: [2, 2, 3] }, 2)).toThrow(/out of range/);
  });
});
