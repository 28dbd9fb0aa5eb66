/**
 * Channel conversion between gray, RGB and RGBA, in pure JS so Node and the browser agree bit for bit.
 * Gray from RGB uses the Rec. 601 luma weights (what MATLAB's rgb2gray uses, to 3 decimals); alpha is
 * dropped rather than composited, because networks never see transparency.
 */
import type { ChannelCount, RawImage } from './types.js';
import { checkImage } from './types.js';

export const LUMA_WEIGHTS: readonly [number, number, number] = [0.299, 0.587, 0.114];

/** Gray value (0..255, unrounded) of an RGB triple. */
export function luma(r: number, g: number, b: number): number {
  return LUMA_WEIGHTS[0] * r + LUMA_WEIGHTS[1] * g + LUMA_WEIGHTS[2] * b;
}

/** The image with `channels` channels; returns the same object when nothing needs converting. */
export function convertChannels(image: RawImage, channels: ChannelCount): RawImage {
  checkImage(image);
  if (image.channels === channels) return image;
  const pixels = image.width * image.height;
  const src = image.data;
  const inC = image.channels;
  const out = new Uint8Array(pixels * channels);
  for (let p = 0; p < pixels; p++) {
    const s = p * inC;
    const d = p * channels;
    if (channels === 1) {
      // inC is 3 or 4 here.
      out[d] = Math.round(luma(src[s], src[s + 1], src[s + 2]));
    } else {
      const isGray = inC === 1;
      out[d] = src[s];
      out[d + 1] = isGray ? src[s] : src[s + 1];
      out[d + 2] = isGray ? src[s] : src[s + 2];
      if (channels === 4) out[d + 3] = inC === 4 ? src[s + 3] : 255;
    }
  }
  return { data: out, width: image.width, height: image.height, channels };
}
