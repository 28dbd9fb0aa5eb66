import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { loadImagesForModel } from '../../src/image/index.js';
import { imagesToTensor, prepareImages, tensorToImage, tensorToImages } from '../../src/image/normalize.js';
import type { RawImage } from '../../src/image/types.js';
import type { InputSpec } from '../../src/types.js';

const W = 5;
const H = 4;

function rgbImage(seed: number): RawImage {
  const data = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 29 + seed * 71) % 256);
  return { data, width: W, height: H, channels: 3 };
}

function spec(overrides: Partial<InputSpec> = {}): InputSpec {
  return {
    height: H,
    width: W,
    channels: 3,
    layout: 'NCHW',
    channelOrder: 'RGB',
    scale: 1 / 255,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    ...overrides,
  };
}

/** Element [n, c, y, x] of a batch, whatever its layout. */
function at(data: Float32Array, s: InputSpec, n: number, c: number, y: number, x: number): number {
  return s.layout === 'NCHW'
    ? data[((n * s.channels + c) * s.height + y) * s.width + x]
    : data[((n * s.height + y) * s.width + x) * s.channels + c];
}

describe('imagesToTensor', () => {
  it('applies x = (pixel * scale - mean[c]) / std[c] in NCHW and NHWC, for RGB and BGR', () => {
    const images = [rgbImage(1), rgbImage(2)];
    for (const layout of ['NCHW', 'NHWC'] as const) {
      for (const channelOrder of ['RGB', 'BGR'] as const) {
        const s = spec({ layout, channelOrder });
        const t = imagesToTensor(images, s);
        expect(t.dims).toEqual(layout === 'NCHW' ? [2, 3, H, W] : [2, H, W, 3]);
        for (let n = 0; n < 2; n++) {
          for (let c = 0; c < 3; c++) {
            const rgbChannel = channelOrder === 'RGB' ? c : 2 - c;
            for (let y = 0; y < H; y++) {
              for (let x = 0; x < W; x++) {
                const pixel = images[n].data[(y * W + x) * 3 + rgbChannel];
                const expected = (pixel / 255 - s.mean[c]) / s.std[c];
                expect(at(t.data, s, n, c, y, x)).toBeCloseTo(expected, 5);
              }
            }
          }
        }
      }
    }
  });

  it('converts between gray and RGB to match the network', () => {
    const gray: RawImage = {
      data: Uint8Array.from({ length: W * H }, (_, i) => i * 12),
      width: W,
      height: H,
      channels: 1,
    };
    const toRgb = imagesToTensor(gray, spec({ mean: [0], std: [1], scale: 1 }));
    for (let c = 0; c < 3; c++) expect(at(toRgb.data, spec(), 0, c, 2, 3)).toBe(gray.data[2 * W + 3]);
    const rgb = rgbImage(3);
    const graySpec = spec({ channels: 1, channelOrder: 'GRAY', mean: [0], std: [1], scale: 1 });
    const toGray = imagesToTensor(rgb, graySpec);
    expect(toGray.dims).toEqual([1, 1, H, W]);
    const [r, g, b] = rgb.data.subarray(0, 3);
    expect(Math.abs(toGray.data[0] - (0.299 * r + 0.587 * g + 0.114 * b))).toBeLessThanOrEqual(0.5);
  });

  it('round-trips through tensorToImages for every layout and channel order', () => {
    const images = [rgbImage(4), rgbImage(5), rgbImage(6)];
    for (const layout of ['NCHW', 'NHWC'] as const) {
      for (const channelOrder of ['RGB', 'BGR'] as const) {
        const s = spec({ layout, channelOrder });
        const back = tensorToImages(imagesToTensor(images, s), s);
        expect(back).toHaveLength(3);
        back.forEach((image, n) => expect(Array.from(image.data)).toEqual(Array.from(images[n].data)));
        expect(Array.from(tensorToImage(imagesToTensor(images, s), s, 1).data)).toEqual(
          Array.from(images[1].data),
        );
      }
    }
    const graySpec = spec({ channels: 1, channelOrder: 'GRAY', mean: [127.5], std: [127.5], scale: 1 });
    const gray: RawImage = {
      data: Uint8Array.from({ length: W * H }, (_, i) => 255 - i * 9),
      width: W,
      height: H,
      channels: 1,
    };
    expect(Array.from(tensorToImage(imagesToTensor(gray, graySpec), graySpec).data)).toEqual(
      Array.from(gray.data),
    );
  });

  it('clamps out-of-range model inputs when turning them back into pixels', () => {
    const s = spec({ mean: [0], std: [1], scale: 1 / 255 });
    const t = { data: new Float32Array(W * H * 3).fill(2), dims: [1, 3, H, W] };
    t.data[0] = -1;
    const image = tensorToImage(t, s);
    expect(image.data[0]).toBe(0);
    expect(image.data[3]).toBe(255);
  });

  it('resizes with prepareImages and refuses wrong sizes, specs and dims with typed errors', () => {
    const big: RawImage = { data: new Uint8Array(20 * 16 * 3).fill(90), width: 20, height: 16, channels: 3 };
    const t = prepareImages([big], spec({ mean: [0], std: [1], scale: 1 }));
    expect(t.dims).toEqual([1, 3, H, W]);
    expect(Array.from(t.data).every((v) => v === 90)).toBe(true);
    expect(() => imagesToTensor(big, spec())).toThrow(/image 0 is 20×16, expected the model's 5×4/);
    expect(() => imagesToTensor(rgbImage(1), spec({ mean: [1, 2] }))).toThrow(OptionError);
    expect(() => imagesToTensor(rgbImage(1), spec({ std: [1, 0, 1] }))).toThrow(/zero/);
    expect(() => imagesToTensor(rgbImage(1), spec({ channelOrder: 'GRAY' }))).toThrow(/GRAY with 1/);
    expect(() => imagesToTensor([], spec())).toThrow(/at least one/);
    expect(() => tensorToImages({ data: new Float32Array(W * H * 3), dims: [1, H, W, 3] }, spec())).toThrow(
      /expected \[N,3,4,5\]/,
    );
  });
});

describe('loadImagesForModel', () => {
  it('decodes files into one batch and keeps the originals at full size', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netlens-load-'));
    try {
      const paths = [join(dir, 'a.png'), join(dir, 'b.png')];
      await writeFile(
        paths[0],
        await sharp({ create: { width: 10, height: 8, channels: 3, background: '#ff0000' } })
          .png()
          .toBuffer(),
      );
      await writeFile(
        paths[1],
        await sharp({ create: { width: 7, height: 9, channels: 4, background: '#0000ff80' } })
          .png()
          .toBuffer(),
      );
      const s = spec({ mean: [0], std: [1], scale: 1 });
      const loaded = await loadImagesForModel(paths, s);
      expect(loaded.input.dims).toEqual([2, 3, H, W]);
      expect(loaded.images.map((i) => [i.width, i.height, i.channels])).toEqual([
        [10, 8, 3],
        [7, 9, 3],
      ]);
      expect(at(loaded.input.data, s, 0, 0, 1, 1)).toBe(255);
      expect(at(loaded.input.data, s, 1, 2, 1, 1)).toBe(255);
      expect(at(loaded.input.data, s, 1, 0, 1, 1)).toBe(0);
      await expect(loadImagesForModel(paths, s, { maxPixels: 70 })).rejects.toMatchObject({
        code: 'IMAGE_TOO_LARGE',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
