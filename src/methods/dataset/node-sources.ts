/**
 * File-backed data sets (Node only): image files or a folder of them, decoded one mini-batch at a time, and
 * the bundled fixture sample sets (image or sequence sets, with their true labels).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FileError, ImageError, OptionError } from '../../errors.js';
import { convertChannels } from '../../image/channels.js';
import { decodeImage } from '../../image/decode.js';
import { prepareImages } from '../../image/normalize.js';
import type { RawImage } from '../../image/types.js';
import { loadImageSamples, loadManifest, loadSequenceSamples, imagePixels } from '../../data/samples.js';
import type { InputSpec } from '../../types.js';
import { checkIndices, checkedLabels, sequenceSource, type DatasetSource } from './source.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

export interface ImageFileOptions {
  /** Refuse images with more pixels than this (default: the decoder's 40 megapixels). */
  maxPixels?: number;
  /** Allow converting colour images to gray for 1-channel models (otherwise that is an error). */
  toGray?: boolean;
  /** True class per file, when known. */
  labels?: ArrayLike<number>;
  classNames?: readonly string[];
}

/** Image files in a folder, in name order. */
export async function listImageFiles(folder: string): Promise<string[]> {
  let info;
  try {
    info = await stat(folder);
  } catch {
    throw new FileError('FILE_NOT_FOUND', `image folder not found: ${folder}`);
  }
  if (!info.isDirectory()) throw new FileError('NOT_A_FILE', `${folder} is not a folder`);
  const names = (await readdir(folder))
    .filter((n) => IMAGE_EXTENSIONS.has(path.extname(n).toLowerCase()))
    .sort();
  if (names.length === 0)
    throw new FileError('NOT_A_FILE', `folder ${folder} holds no PNG, JPEG or WebP images`);
  return names.map((n) => path.join(folder, n));
}

/** A picture with the model's channels: gray → RGB freely, colour → gray only when allowed. */
function fitChannels(image: RawImage, spec: InputSpec, file: string, toGray: boolean): RawImage {
  if (spec.channels !== 1) return convertChannels(image, 3);
  if (image.channels !== 1 && !toGray && !isNeutral(image)) {
    throw new ImageError(
      'INVALID_IMAGE',
      `${file} is a colour image, but the model takes gray images; allow converting it with the option toGray`,
    );
  }
  return convertChannels(image, 1);
}

function isNeutral(image: RawImage): boolean {
  const { data, channels } = image;
  for (let i = 0; i < data.length; i += channels) {
    if (data[i] !== data[i + 1] || data[i] !== data[i + 2]) return false;
  }
  return true;
}

/** Image files, decoded when their mini-batch is read (peak memory: one mini-batch of decoded images). */
export function imageFileSource(
  paths: readonly string[],
  spec: InputSpec,
  options: ImageFileOptions = {},
): DatasetSource {
  if (paths.length === 0) throw new OptionError('INVALID_INPUT', 'no image files given');
  const count = paths.length;
  const dims =
    spec.layout === 'NCHW'
      ? [spec.channels, spec.height, spec.width]
      : [spec.height, spec.width, spec.channels];
  const picture = async (index: number): Promise<RawImage> => {
    checkIndices(count, [index]);
    const file = paths[index];
    return fitChannels(
      await decodeImage(file, { maxPixels: options.maxPixels }),
      spec,
      file,
      options.toGray === true,
    );
  };
  return {
    count,
    labels: checkedLabels(options.labels, count),
    classNames: options.classNames,
    names: paths.map((p) => path.basename(p)),
    itemDims: () => dims,
    read: async (indices) => {
      const images: RawImage[] = [];
      for (const i of indices) images.push(await picture(i));
      return prepareImages(images, spec);
    },
    picture,
  };
}

/** Every image file of a folder (name order). */
export async function imageFolderSource(
  folder: string,
  spec: InputSpec,
  options: ImageFileOptions = {},
): Promise<DatasetSource> {
  return imageFileSource(await listImageFiles(folder), spec, options);
}

export interface SampleSetOptions {
  /** Use only the first `limit` items. */
  limit?: number;
}

function limitOf(count: number, limit: number | undefined): number {
  if (limit === undefined) return count;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new OptionError('INVALID_OPTION', `sample limit must be a positive integer, got ${limit}`);
  }
  return Math.min(count, limit);
}

/**
 * A bundled fixture sample set with its true labels and class names: an image set (normalised for `spec`,
 * resized when the sizes differ) or a sequence set.
 */
export function sampleSetSource(
  name: string,
  spec: InputSpec | undefined,
  options: SampleSetOptions = {},
): DatasetSource {
  const format = loadManifest(name).samples.format;
  if (format === 'sequence-set') {
    const set = loadSequenceSamples(name);
    const count = limitOf(set.count, options.limit);
    return sequenceSource(set.sequences.slice(0, count), set.channels, {
      labels: set.labels.subarray(0, count),
      classNames: set.classNames,
      names: Array.from({ length: count }, (_, i) => `${name} #${i}`),
    });
  }
  if (format !== 'image-set') {
    throw new OptionError(
      'INVALID_OPTION',
      `sample set '${name}' holds ${format} samples, not images or sequences`,
    );
  }
  if (!spec) {
    throw new OptionError(
      'INVALID_OPTION',
      `sample set '${name}' holds images, but the model has no image input spec`,
    );
  }
  const set = loadImageSamples(name);
  const count = limitOf(set.count, options.limit);
  const dims =
    spec.layout === 'NCHW'
      ? [spec.channels, spec.height, spec.width]
      : [spec.height, spec.width, spec.channels];
  const picture = async (index: number): Promise<RawImage> => {
    checkIndices(count, [index]);
    const image: RawImage = {
      data: imagePixels(set, index),
      width: set.width,
      height: set.height,
      channels: set.channels as RawImage['channels'],
    };
    return convertChannels(image, spec.channels === 1 ? 1 : 3);
  };
  return {
    count,
    labels: set.labels.subarray(0, count),
    classNames: set.classNames,
    names: Array.from({ length: count }, (_, i) => `${name} #${i}`),
    itemDims: () => dims,
    read: async (indices) => {
      const images: RawImage[] = [];
      for (const i of indices) images.push(await picture(i));
      return prepareImages(images, spec);
    },
    picture,
  };
}
