/**
 * The image pipeline: decode (Node, sharp) → resize → normalise → batch, and back. Every module except
 * `decode.ts` is pure JS over plain buffers; browser code imports those modules directly.
 */
import type { InputSpec, TensorData } from '../types.js';
import { decodeImage, type DecodeOptions } from './decode.js';
import { prepareImages } from './normalize.js';
import type { ResampleOptions } from './resample.js';
import type { RawImage } from './types.js';

export * from './types.js';
export * from './channels.js';
export * from './resample.js';
export * from './resize.js';
export * from './upsample.js';
export * from './normalize.js';
export * from './decode.js';

export interface LoadImagesOptions extends Pick<DecodeOptions, 'maxPixels'> {
  /** How images are resized to the model's input size (default bilinear with antialiasing). */
  resize?: ResampleOptions;
}

export interface LoadedImages {
  /** The batch tensor, ready for `Model.predict`. */
  input: TensorData;
  /** The decoded images at their original size (RGB, or gray for 1-channel models), for drawing results on. */
  images: RawImage[];
  paths: string[];
}

/** Decode image files and turn them into one model-input batch per `spec`, keeping the originals. */
export async function loadImagesForModel(
  paths: string | readonly string[],
  spec: InputSpec,
  options: LoadImagesOptions = {},
): Promise<LoadedImages> {
  const list = typeof paths === 'string' ? [paths] : [...paths];
  const images: RawImage[] = [];
  // One at a time: peak memory is one decode, not the whole list.
  for (const path of list) {
    images.push(
      await decodeImage(path, { channels: spec.channels === 1 ? 1 : 3, maxPixels: options.maxPixels }),
    );
  }
  return { input: prepareImages(images, spec, options.resize), images, paths: list };
}
