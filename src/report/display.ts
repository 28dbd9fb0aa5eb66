/** Sizing images for the report: small inputs (28×28) are enlarged so a reader can see them. */
import { resizeImage } from '../image/resize.js';
import type { RawImage } from '../image/types.js';

export function resizeForDisplay(image: RawImage, target = 160): RawImage {
  const longest = Math.max(image.width, image.height);
  if (longest >= target && longest <= 2 * target) return image;
  const scale = target / longest;
  const method = scale > 1 ? 'nearest' : 'bilinear';
  return resizeImage(
    image,
    Math.max(1, Math.round(image.width * scale)),
    Math.max(1, Math.round(image.height * scale)),
    {
      method,
    },
  );
}
