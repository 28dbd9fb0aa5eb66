/**
 * Resize 8-bit images in pure JS (the same code in Node and the browser). Conventions are those of
 * `resample.ts` (MATLAB imresize: half-pixel centres, antialiasing when shrinking).
 */
import type { RawImage } from './types.js';
import { checkImage } from './types.js';
import { resampleHwc, type ResampleOptions } from './resample.js';

export type { ResizeMethod, ResampleOptions } from './resample.js';

/** `image` resized to width × height; values are rounded and clamped to 0..255. */
export function resizeImage(
  image: RawImage,
  width: number,
  height: number,
  options: ResampleOptions = {},
): RawImage {
  checkImage(image);
  if (width === image.width && height === image.height) return image;
  const resampled = resampleHwc(
    image.data,
    image.width,
    image.height,
    image.channels,
    width,
    height,
    options,
  );
  const data = new Uint8Array(resampled.length);
  for (let i = 0; i < resampled.length; i++) {
    const v = Math.round(resampled[i]);
    data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return { data, width, height, channels: image.channels };
}
