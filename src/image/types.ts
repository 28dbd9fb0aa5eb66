/**
 * Plain pixel buffers shared by the image pipeline and the renderers. Nothing here depends on Node,
 * so every pure module over these types also runs in the browser.
 */
import { ImageError } from '../errors.js';

export type ChannelCount = 1 | 3 | 4;

/** 8-bit pixels, row-major HWC: the value of channel c at (x, y) is `data[(y * width + x) * channels + c]`. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** 1 = gray, 3 = RGB, 4 = RGBA. */
  channels: ChannelCount;
}

/** A single-channel float map (a saliency map, one activation channel), row-major H×W. */
export interface FloatMap {
  data: Float32Array;
  width: number;
  height: number;
}

export function createImage(width: number, height: number, channels: ChannelCount, fill = 0): RawImage {
  checkSize(width, height, 'image');
  const data = new Uint8Array(width * height * channels);
  if (fill !== 0) data.fill(fill);
  return { data, width, height, channels };
}

/** Throws unless the buffer length matches width × height × channels. */
export function checkImage(image: RawImage, what = 'image'): void {
  checkSize(image.width, image.height, what);
  if (image.channels !== 1 && image.channels !== 3 && image.channels !== 4) {
    throw new ImageError(
      'INVALID_IMAGE',
      `${what} has ${String(image.channels)} channels, expected 1, 3 or 4`,
    );
  }
  const expected = image.width * image.height * image.channels;
  if (image.data.length !== expected) {
    throw new ImageError(
      'INVALID_IMAGE',
      `${what} buffer holds ${image.data.length} bytes, expected ${expected} (${image.width}×${image.height}×${image.channels})`,
    );
  }
}

/** Throws unless the buffer length matches width × height. */
export function checkMap(map: FloatMap, what = 'map'): void {
  checkSize(map.width, map.height, what);
  if (map.data.length !== map.width * map.height) {
    throw new ImageError(
      'INVALID_INPUT',
      `${what} holds ${map.data.length} values, expected ${map.width * map.height} (${map.width}×${map.height})`,
    );
  }
}

function checkSize(width: number, height: number, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageError('INVALID_INPUT', `${what} size ${width}×${height} is not a positive integer size`);
  }
}
