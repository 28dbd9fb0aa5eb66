/** Expanding image arguments (files or folders) and loading them for a model. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FileError, ImageError, OptionError } from '../errors.js';
import { convertChannels } from '../image/channels.js';
import { decodeImage } from '../image/decode.js';
import type { LoadedImages } from '../image/index.js';
import { prepareImages } from '../image/normalize.js';
import type { RawImage } from '../image/types.js';
import type { InputSpec } from '../types.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

export interface ImageFlags {
  maxPixels?: string;
  toGray?: boolean;
}

/** Files stay as given; a folder becomes its image files in name order. */
export async function expandImagePaths(args: readonly string[], limit?: number): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    let info;
    try {
      info = await stat(arg);
    } catch {
      throw new FileError('FILE_NOT_FOUND', `image not found: ${arg}`);
    }
    if (info.isDirectory()) {
      const names = (await readdir(arg))
        .filter((n) => IMAGE_EXTENSIONS.has(path.extname(n).toLowerCase()))
        .sort();
      if (names.length === 0)
        throw new FileError('NOT_A_FILE', `folder ${arg} holds no PNG, JPEG or WebP images`);
      out.push(...names.map((n) => path.join(arg, n)));
    } else {
      out.push(arg);
    }
  }
  if (out.length === 0) throw new OptionError('INVALID_OPTION', 'no images given');
  return limit !== undefined ? out.slice(0, limit) : out;
}

/**
 * Match an image's channels to the model: gray → RGB is lossless and allowed, alpha is dropped, but colour
 * → gray throws away information, so it needs `toGray`.
 */
function fitChannels(image: RawImage, spec: InputSpec, file: string, toGray: boolean): RawImage {
  const color = (image.channels === 3 || image.channels === 4) && !isNeutral(image);
  if (spec.channels === 1) {
    if (color && !toGray) {
      throw new ImageError(
        'INVALID_IMAGE',
        `${file} has ${image.channels} channels (colour), but the model takes 1-channel (gray) images; pass --to-gray to convert`,
      );
    }
    return convertChannels(image, 1);
  }
  return convertChannels(image, 3);
}

/** True when every pixel has R = G = B: a gray picture stored as colour, which converts without loss. */
function isNeutral(image: RawImage): boolean {
  const { data, channels } = image;
  for (let i = 0; i < data.length; i += channels) {
    if (data[i] !== data[i + 1] || data[i] !== data[i + 2]) return false;
  }
  return true;
}

export async function loadImageArgs(
  args: readonly string[],
  spec: InputSpec,
  limit?: number,
  flags: ImageFlags = {},
): Promise<LoadedImages> {
  const paths = await expandImagePaths(args, limit);
  const maxPixels = flags.maxPixels !== undefined ? Number(flags.maxPixels) : undefined;
  if (maxPixels !== undefined && !(Number.isInteger(maxPixels) && maxPixels > 0)) {
    throw new OptionError(
      'INVALID_OPTION',
      `--max-pixels must be a positive integer, got '${flags.maxPixels}'`,
    );
  }
  const images: RawImage[] = [];
  // One at a time: peak memory is one decode, not the whole list.
  for (const file of paths) {
    images.push(fitChannels(await decodeImage(file, { maxPixels }), spec, file, flags.toGray === true));
  }
  return { input: prepareImages(images, spec), images, paths };
}
