import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetlensError } from '../../src/errors.js';
import { decodeImage } from '../../src/image/decode.js';

/** A 4×3 RGB test pattern with distinct pixel values. */
const W = 4;
const H = 3;
const RGB = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 37 + 11) % 256);

async function encode(
  format: 'png' | 'jpeg' | 'webp',
  pixels = RGB,
  channels: 1 | 3 | 4 = 3,
): Promise<Buffer> {
  let s = sharp(pixels, { raw: { width: W, height: H, channels } });
  if (channels === 1) s = s.toColourspace('b-w');
  if (format === 'png') return s.png().toBuffer();
  if (format === 'webp') return s.webp({ lossless: true }).toBuffer();
  return s.jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
}

async function caught(promise: Promise<unknown>): Promise<NetlensError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof NetlensError) return err;
    throw err;
  }
  throw new Error('expected a NetlensError, nothing was thrown');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netlens-decode-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('decodeImage', () => {
  it('decodes lossless PNG and WebP exactly, from bytes and from a path', async () => {
    for (const format of ['png', 'webp'] as const) {
      const bytes = await encode(format);
      const fromBytes = await decodeImage(bytes);
      expect([fromBytes.width, fromBytes.height, fromBytes.channels]).toEqual([W, H, 3]);
      expect(Array.from(fromBytes.data)).toEqual(Array.from(RGB));
      const path = join(dir, `pattern.${format}`);
      await writeFile(path, bytes);
      expect(Array.from((await decodeImage(path)).data)).toEqual(Array.from(RGB));
    }
  });

  it('decodes JPEG close to the source pixels', async () => {
    const image = await decodeImage(await encode('jpeg', new Uint8Array(W * H * 3).fill(200)));
    expect([image.width, image.height, image.channels]).toEqual([W, H, 3]);
    for (const v of image.data) expect(Math.abs(v - 200)).toBeLessThanOrEqual(2);
  });

  it('keeps gray images as one channel and RGBA as four', async () => {
    const gray = Uint8Array.from({ length: W * H }, (_, i) => i * 20);
    const g = await decodeImage(await encode('png', gray, 1));
    expect(g.channels).toBe(1);
    expect(Array.from(g.data)).toEqual(Array.from(gray));
    const rgba = Uint8Array.from({ length: W * H * 4 }, (_, i) => (i * 13) % 256);
    const a = await decodeImage(await encode('png', rgba, 4));
    expect(a.channels).toBe(4);
    expect(Array.from(a.data)).toEqual(Array.from(rgba));
  });

  it('reduces 16-bit images to 8 bits', async () => {
    const deep = Uint16Array.from({ length: W * H }, (_, i) => i * 5000);
    const png = await sharp(deep, { raw: { width: W, height: H, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    expect((await sharp(png).metadata()).depth).toBe('ushort');
    const image = await decodeImage(png);
    expect(image.channels).toBe(1);
    deep.forEach((v, i) => expect(Math.abs(image.data[i] - v / 257)).toBeLessThanOrEqual(1));
  });

  it('converts channels when asked: RGB → gray by luma, gray → RGB by replication, RGBA → RGB drops alpha', async () => {
    const png = await encode('png');
    const g = await decodeImage(png, { channels: 1 });
    expect(g.channels).toBe(1);
    for (let p = 0; p < W * H; p++) {
      const expected = 0.299 * RGB[3 * p] + 0.587 * RGB[3 * p + 1] + 0.114 * RGB[3 * p + 2];
      expect(Math.abs(g.data[p] - expected)).toBeLessThanOrEqual(0.5);
    }
    const gray = Uint8Array.from({ length: W * H }, (_, i) => 255 - i);
    const rgb = await decodeImage(await encode('png', gray, 1), { channels: 3 });
    expect(rgb.channels).toBe(3);
    for (let p = 0; p < W * H; p++)
      expect([rgb.data[3 * p], rgb.data[3 * p + 1], rgb.data[3 * p + 2]]).toEqual([
        gray[p],
        gray[p],
        gray[p],
      ]);
    const rgba = Uint8Array.from({ length: W * H * 4 }, (_, i) => (i % 4 === 3 ? 17 : i));
    const dropped = await decodeImage(await encode('png', rgba, 4), { channels: 3 });
    expect(Array.from(dropped.data)).toEqual(Array.from(rgba).filter((_, i) => i % 4 !== 3));
  });

  it('refuses a wrong channel count when conversion is off, naming the file and both counts', async () => {
    const path = join(dir, 'rgb.png');
    await writeFile(path, await encode('png'));
    const err = await caught(decodeImage(path, { channels: 1, convertChannels: false }));
    expect(err.code).toBe('INVALID_IMAGE');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/3 channels.*expected 1 channel/);
    expect(err.message).not.toContain('\n');
  });

  it('applies the EXIF orientation', async () => {
    // Orientation 6: the stored image must be rotated 90° clockwise for display.
    const bytes = await sharp(RGB, { raw: { width: W, height: H, channels: 3 } })
      .png()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(bytes).metadata()).orientation).toBe(6);
    const image = await decodeImage(bytes);
    expect([image.width, image.height]).toEqual([H, W]);
    // After a clockwise quarter turn, displayed (x, y) shows stored (y, H - 1 - x).
    for (let y = 0; y < W; y++) {
      for (let x = 0; x < H; x++) {
        const stored = ((H - 1 - x) * W + y) * 3;
        const shown = (y * H + x) * 3;
        expect(Array.from(image.data.subarray(shown, shown + 3))).toEqual(
          Array.from(RGB.subarray(stored, stored + 3)),
        );
      }
    }
  });

  it('reads raw grayscale bytes and checks their length', async () => {
    const bytes = Uint8Array.from({ length: 6 }, (_, i) => i * 40);
    const image = await decodeImage(bytes, { raw: { width: 3, height: 2 } });
    expect([image.width, image.height, image.channels]).toEqual([3, 2, 1]);
    expect(Array.from(image.data)).toEqual(Array.from(bytes));
    const err = await caught(decodeImage(bytes, { raw: { width: 4, height: 2 }, name: 'scan.raw' }));
    expect(err.code).toBe('INVALID_IMAGE');
    expect(err.message).toMatch(/scan\.raw holds 6 bytes, expected 8/);
  });

  it('refuses images over the pixel limit', async () => {
    const err = await caught(decodeImage(await encode('png'), { maxPixels: W * H - 1, name: 'big.png' }));
    expect(err.code).toBe('IMAGE_TOO_LARGE');
    expect(err.message).toContain('big.png');
    expect(err.message).toContain(`${W}×${H}`);
    await expect(decodeImage(await encode('png'), { maxPixels: W * H })).resolves.toMatchObject({ width: W });
  });

  it('refuses an oversized image from its header alone, before decoding pixels', async () => {
    // A PNG whose header claims 100000×100000 but whose pixel data is for 4×3: decoding would fail,
    // so IMAGE_TOO_LARGE proves the refusal happened on the header.
    const png = Buffer.from(await encode('png'));
    const ihdr = 8; // after the signature: length(4) 'IHDR'(4) data(13) crc(4)
    expect(png.subarray(ihdr + 4, ihdr + 8).toString('latin1')).toBe('IHDR');
    png.writeUInt32BE(100_000, ihdr + 8);
    png.writeUInt32BE(100_000, ihdr + 12);
    png.writeUInt32BE(crc32(png.subarray(ihdr + 4, ihdr + 8 + 13)) >>> 0, ihdr + 8 + 13);
    const err = await caught(decodeImage(png, { name: 'bomb.png' }));
    expect(err.code).toBe('IMAGE_TOO_LARGE');
    expect(err.message).toContain('100000×100000');
  });

  it('reports corrupt or unsupported bytes as INVALID_IMAGE in one line', async () => {
    const garbage = await caught(
      decodeImage(new TextEncoder().encode('definitely not an image'), { name: 'x.png' }),
    );
    expect(garbage.code).toBe('INVALID_IMAGE');
    expect(garbage.message).toMatch(/^x\.png could not be decoded .*expected a PNG, JPEG or WebP image$/);
    const jpeg = await encode('jpeg');
    const truncated = await caught(decodeImage(jpeg.subarray(0, jpeg.length >> 1), { name: 'cut.jpg' }));
    expect(truncated.code).toBe('INVALID_IMAGE');
    expect(truncated.message).toContain('cut.jpg');
    const gif = await sharp(RGB, { raw: { width: W, height: H, channels: 3 } })
      .gif()
      .toBuffer();
    const other = await caught(decodeImage(gif, { name: 'anim.gif' }));
    expect(other.code).toBe('INVALID_IMAGE');
    expect(other.message).toMatch(/anim\.gif is a gif image, expected PNG, JPEG, WEBP/);
    for (const err of [garbage, truncated, other]) expect(err.message).not.toContain('\n');
  });

  it('reports a missing file and a directory as file errors', async () => {
    const missing = await caught(decodeImage(join(dir, 'nope.png')));
    expect(missing.code).toBe('FILE_NOT_FOUND');
    const directory = await caught(decodeImage(dir));
    expect(directory.code).toBe('NOT_A_FILE');
  });
});
