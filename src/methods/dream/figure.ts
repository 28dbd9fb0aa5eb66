/** One picture of several dreamed images: a labelled montage, small inputs enlarged so they can be seen. */
import type { RawImage } from '../../image/types.js';
import { montage } from '../../render/montage.js';

export function dreamFigure(
  pictures: readonly RawImage[],
  labels: readonly string[],
  minSide = 128,
): RawImage {
  const first = pictures[0];
  const factor = Math.max(1, Math.ceil(minSide / Math.max(first.width, first.height)));
  return montage(pictures, {
    thumbnailSize: { width: first.width * factor, height: first.height * factor },
    resizeMethod: factor > 1 ? 'nearest' : 'bilinear',
    labels,
    labelPosition: 'below',
    borderSize: 2,
    backgroundColor: [255, 255, 255],
    labelColor: [0, 0, 0],
  });
}
