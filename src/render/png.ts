/**
 * PNG output (Node only: uses sharp) and atomic file writes: a result file either appears complete or
 * not at all, never half-written.
 */
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import sharp from 'sharp';
import { FileError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import { checkImage } from '../image/types.js';

export interface PngOptions {
  /** zlib level 0..9 (default 6). */
  compressionLevel?: number;
}

/** PNG bytes of an 8-bit gray, RGB or RGBA image (channels kept as they are). */
export async function encodePng(image: RawImage, options: PngOptions = {}): Promise<Uint8Array> {
  checkImage(image);
  let pipeline = sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: image.channels },
  });
  // Without this, sharp stores one-channel input as RGB.
  if (image.channels === 1) pipeline = pipeline.toColourspace('b-w');
  const bytes = await pipeline.png({ compressionLevel: options.compressionLevel ?? 6 }).toBuffer();
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

let tempCounter = 0;

/**
 * Write `bytes` to `path` atomically: into a temporary file in the same directory, flushed, then
 * renamed over `path`. On any failure the temporary file is removed and `path` is left untouched.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${++tempCounter}.tmp`);
  let created = false;
  try {
    const handle = await open(temp, 'wx');
    created = true;
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    if (created) await rm(temp, { force: true }).catch(() => undefined);
    throw new FileError('OUTPUT_ERROR', `could not write ${path}: ${describeFsError(err, path)}`, {
      cause: err,
    });
  }
}

/** Encode and write a PNG atomically. */
export async function writePng(path: string, image: RawImage, options: PngOptions = {}): Promise<void> {
  await writeFileAtomic(path, await encodePng(image, options));
}

/** A file-system error as a few words for a one-line message (shared with the CLI's early output checks). */
export function describeFsError(err: unknown, path: string): string {
  const code = (err as { code?: string } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return `directory ${dirname(path)} does not exist`;
    case 'EISDIR':
      return `${path} is a directory`;
    case 'ENOTDIR':
      return `a parent of ${path} is not a directory`;
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return (err instanceof Error ? err.message : String(err)).split('\n')[0];
  }
}
