import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetlensError } from '../../src/errors.js';
import type { RawImage } from '../../src/image/types.js';
import { encodePng, writeFileAtomic, writePng } from '../../src/render/png.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netlens-png-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function caught(promise: Promise<unknown>): Promise<NetlensError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof NetlensError) return err;
    throw err;
  }
  throw new Error('expected a NetlensError, nothing was thrown');
}

describe('encodePng', () => {
  it('round-trips gray, RGB and RGBA pixels exactly, keeping the channel count', async () => {
    for (const channels of [1, 3, 4] as const) {
      const image: RawImage = {
        data: Uint8Array.from({ length: 5 * 3 * channels }, (_, i) => (i * 53 + 7) % 256),
        width: 5,
        height: 3,
        channels,
      };
      const png = await encodePng(image);
      expect(Array.from(png.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]);
      const meta = await sharp(png).metadata();
      expect([meta.width, meta.height, meta.channels]).toEqual([5, 3, channels]);
      const s = sharp(png);
      const { data } = await (channels === 1 ? s.toColourspace('b-w') : s)
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect(Array.from(data)).toEqual(Array.from(image.data));
    }
  });
});

describe('writeFileAtomic', () => {
  it('writes and replaces files, leaving no temporary files behind', async () => {
    const path = join(dir, 'out.bin');
    await writeFileAtomic(path, Uint8Array.from([1, 2, 3]));
    await writeFileAtomic(path, 'replaced');
    expect(await readFile(path, 'utf8')).toBe('replaced');
    expect((await readdir(dir)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('leaves no file at all when the write fails, and reports it in one typed line', async () => {
    // The target is an existing directory: the temporary file is written, then the rename fails.
    const sub = join(dir, 'failing');
    await mkdir(sub);
    const target = join(sub, 'result.png');
    await mkdir(target);
    const err = await caught(writeFileAtomic(target, new Uint8Array(1000)));
    expect(err.code).toBe('OUTPUT_ERROR');
    expect(err.message).toContain(target);
    expect(err.message).not.toContain('\n');
    expect((await readdir(sub)).sort()).toEqual(['result.png']);
    expect(await readdir(target)).toEqual([]);

    const missing = await caught(writeFileAtomic(join(dir, 'no-such-dir', 'x.png'), 'data'));
    expect(missing.code).toBe('OUTPUT_ERROR');
    expect(missing.message).toMatch(/no-such-dir does not exist/);
  });

  it('does not touch an existing file when the write fails', async () => {
    const sub = join(dir, 'keep');
    await mkdir(sub);
    const path = join(sub, 'old.txt');
    await writeFile(path, 'original');
    // A value writeFile rejects makes the write itself fail after the temporary file was opened.
    const err = await caught(writeFileAtomic(path, 42 as unknown as string));
    expect(err.code).toBe('OUTPUT_ERROR');
    expect(await readFile(path, 'utf8')).toBe('original');
    expect(await readdir(sub)).toEqual(['old.txt']);
  });
});

describe('writePng', () => {
  it('writes a PNG that decodes to the same pixels', async () => {
    const image: RawImage = {
      data: Uint8Array.from([255, 0, 0, 0, 0, 255]),
      width: 2,
      height: 1,
      channels: 3,
    };
    const path = join(dir, 'pixels.png');
    await writePng(path, image);
    const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([2, 1]);
    expect(Array.from(data)).toEqual(Array.from(image.data));
  });
});
