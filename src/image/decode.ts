/**
 * Decode image files or bytes into RawImages (Node only: uses sharp). The pixel limit is checked on the
 * header's dimensions before any pixel is decoded, so a tiny file claiming a huge size costs nothing.
 */
import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { FileError, ImageError, OptionError } from '../errors.js';
import { convertChannels } from './channels.js';
import type { ChannelCount, RawImage } from './types.js';

/** Default refusal threshold: 40 megapixels (e.g. 8000×5000). */
export const DEFAULT_MAX_PIXELS = 40_000_000;

export const DECODABLE_FORMATS: readonly string[] = ['png', 'jpeg', 'webp'];

export interface DecodeOptions {
  /** Channels of the result; 'keep' (default) keeps gray as 1, RGB as 3, anything with alpha as 4. */
  channels?: ChannelCount | 'keep';
  /** When false, an image whose channel count differs from `channels` is refused instead of converted. */
  convertChannels?: boolean;
  /** Refuse images with more pixels than this (default 40 megapixels). */
  maxPixels?: number;
  /** The bytes are raw 8-bit pixels of this size (default 1 channel: raw grayscale), not an encoded file. */
  raw?: { width: number; height: number; channels?: ChannelCount };
  /** How to name the source in error messages when it is bytes (default 'image bytes'). */
  name?: string;
}

/** Decode PNG/JPEG/WebP (or raw pixels) from a path or bytes, EXIF orientation applied. */
export async function decodeImage(
  source: string | Uint8Array,
  options: DecodeOptions = {},
): Promise<RawImage> {
  const name = typeof source === 'string' ? source : (options.name ?? 'image bytes');
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(maxPixels > 0)) {
    throw new OptionError('INVALID_OPTION', `maxPixels ${maxPixels} must be a positive number`);
  }
  const wanted = options.channels ?? 'keep';
  if (wanted !== 'keep' && wanted !== 1 && wanted !== 3 && wanted !== 4) {
    throw new OptionError('INVALID_OPTION', `channels ${String(wanted)} must be 1, 3, 4 or 'keep'`);
  }
  if (options.raw) {
    // Size is known up front: refuse before even reading the file.
    checkPixelLimit(name, options.raw.width, options.raw.height, maxPixels);
  }
  const bytes = typeof source === 'string' ? await readImageFile(source) : source;
  const decoded = options.raw ? fromRaw(bytes, options.raw, name) : await fromEncoded(bytes, name, maxPixels);
  if (wanted === 'keep' || decoded.channels === wanted) return decoded;
  if (options.convertChannels === false) {
    throw new ImageError(
      'INVALID_IMAGE',
      `${name} has ${describeChannels(decoded.channels)}, expected ${describeChannels(wanted)}`,
    );
  }
  return convertChannels(decoded, wanted);
}

async function readImageFile(path: string): Promise<Uint8Array> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new FileError('FILE_NOT_FOUND', `image file ${path} does not exist`);
  }
  if (!info.isFile()) throw new FileError('NOT_A_FILE', `${path} is not a file, expected an image file`);
  return new Uint8Array(await readFile(path));
}

function checkPixelLimit(name: string, width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new ImageError(
      'IMAGE_TOO_LARGE',
      `${name} is ${width}×${height} = ${(width * height).toLocaleString('en-US')} pixels, over the limit of ${maxPixels.toLocaleString('en-US')} (raise maxPixels to allow it)`,
    );
  }
}

function fromRaw(bytes: Uint8Array, raw: NonNullable<DecodeOptions['raw']>, name: string): RawImage {
  const channels = raw.channels ?? 1;
  const { width, height } = raw;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new OptionError('INVALID_OPTION', `raw size ${width}×${height} is not a positive integer size`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new OptionError('INVALID_OPTION', `raw channels ${String(channels)} must be 1, 3 or 4`);
  }
  const expected = width * height * channels;
  if (bytes.length !== expected) {
    throw new ImageError(
      'INVALID_IMAGE',
      `${name} holds ${bytes.length} bytes, expected ${expected} for raw ${width}×${height}×${channels} 8-bit pixels`,
    );
  }
  return { data: Uint8Array.from(bytes), width, height, channels };
}

async function fromEncoded(bytes: Uint8Array, name: string, maxPixels: number): Promise<RawImage> {
  const limit = Number.isFinite(maxPixels) ? Math.max(1, Math.floor(maxPixels)) : false;
  let metadata: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    // Header only: no pixel limit here, so an oversized image gets our own IMAGE_TOO_LARGE below.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw invalid(name, err);
  }
  const format = metadata.format ?? 'unknown';
  if (!DECODABLE_FORMATS.includes(format)) {
    throw new ImageError(
      'INVALID_IMAGE',
      `${name} is a ${format} image, expected ${DECODABLE_FORMATS.map((f) => f.toUpperCase()).join(', ')}`,
    );
  }
  if (metadata.width === undefined || metadata.height === undefined) {
    throw new ImageError(
      'INVALID_IMAGE',
      `${name} has no readable dimensions, expected a ${format.toUpperCase()} image`,
    );
  }
  checkPixelLimit(name, metadata.width, metadata.height, maxPixels);
  // sharp would expand gray to sRGB; keep plain gray as one channel, gray + alpha as RGBA.
  const gray = (metadata.space === 'b-w' || metadata.space === 'grey16') && !metadata.hasAlpha;
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: limit })
      .autoOrient()
      .toColourspace(gray ? 'b-w' : 'srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 && info.channels !== 3 && info.channels !== 4) {
      throw new ImageError(
        'INVALID_IMAGE',
        `${name} decoded to ${info.channels} channels, expected 1, 3 or 4`,
      );
    }
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      channels: info.channels,
    };
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw invalid(name, err);
  }
}

function invalid(name: string, err: unknown): ImageError {
  const why = (err instanceof Error ? err.message : String(err)).split('\n')[0].trim().replace(/:$/, '');
  return new ImageError(
    'INVALID_IMAGE',
    `${name} could not be decoded (${why}), expected a PNG, JPEG or WebP image`,
    {
      cause: err,
    },
  );
}

function describeChannels(channels: number): string {
  const names: Record<number, string> = { 1: 'gray', 3: 'RGB', 4: 'RGBA' };
  return `${channels} channel${channels === 1 ? '' : 's'} (${names[channels] ?? 'unknown'})`;
}
