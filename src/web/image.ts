/**
 * Image decode and PNG encode in the browser (createImageBitmap and canvas), the counterparts of the
 * sharp-based `image/decode.ts` and `render/png.ts`. Pixels come out unchanged: no colour-space conversion,
 * no premultiplied alpha.
 */
import { ImageError } from '../errors.js';
import { convertChannels } from '../image/channels.js';
import { checkImage, type RawImage } from '../image/types.js';

export interface WebDecodeOptions {
  /** 1 = gray (Rec. 601 luma, as in Node), 3 = RGB (default). */
  channels?: 1 | 3;
  /** Refuse images with more pixels than this (default 50 million). */
  maxPixels?: number;
}

function canvasOf(width: number, height: number): OffscreenCanvas {
  if (typeof OffscreenCanvas === 'undefined') {
    throw new ImageError('INVALID_IMAGE', 'this browser has no OffscreenCanvas to decode or encode images');
  }
  return new OffscreenCanvas(width, height);
}

function context2d(canvas: OffscreenCanvas): OffscreenCanvasRenderingContext2D {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new ImageError('INVALID_IMAGE', 'no 2-D canvas context available');
  return ctx;
}

/** Decode an image file (PNG, JPEG, WebP, GIF, ...) given as a Blob into RGB or gray pixels. */
export async function decodeImageBlob(blob: Blob, options: WebDecodeOptions = {}): Promise<RawImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (err) {
    throw new ImageError(
      'INVALID_IMAGE',
      `cannot decode image (${blob.type || 'unknown type'}): ${String(err)}`,
    );
  }
  const { width, height } = bitmap;
  const maxPixels = options.maxPixels ?? 50_000_000;
  if (width * height > maxPixels) {
    bitmap.close();
    throw new ImageError('IMAGE_TOO_LARGE', `image has ${width}×${height} pixels, more than ${maxPixels}`);
  }
  const ctx = context2d(canvasOf(width, height));
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data;
  const decoded: RawImage = {
    data: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length),
    width,
    height,
    channels: 4,
  };
  // The same pure conversion as in Node, so both decoders agree bit for bit on the same file.
  return convertChannels(decoded, options.channels ?? 3);
}

/** RawImage (gray, RGB or RGBA) → canvas RGBA pixels. */
export function toRgba(image: RawImage): Uint8ClampedArray<ArrayBuffer> {
  checkImage(image);
  const n = image.width * image.height;
  const out = new Uint8ClampedArray(new ArrayBuffer(n * 4));
  const c = image.channels;
  for (let i = 0; i < n; i++) {
    out[4 * i] = image.data[c * i];
    out[4 * i + 1] = image.data[c * i + (c >= 3 ? 1 : 0)];
    out[4 * i + 2] = image.data[c * i + (c >= 3 ? 2 : 0)];
    out[4 * i + 3] = c === 4 ? image.data[c * i + 3] : 255;
  }
  return out;
}

/** Encode a RawImage as a PNG Blob through a canvas. */
export async function encodePng(image: RawImage): Promise<Blob> {
  const canvas = canvasOf(image.width, image.height);
  context2d(canvas).putImageData(new ImageData(toRgba(image), image.width, image.height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}
