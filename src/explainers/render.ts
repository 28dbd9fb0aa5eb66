/** Turning an explainer's maps into pictures: overlays on the original images (what a reader wants). */
import type { RawImage } from '../image/types.js';
import { overlay } from '../render/overlay.js';
import type { ColormapName } from '../render/colormap.js';
import type { Explainer, ExplainerRun } from './spec.js';

export interface MapPictureOptions {
  colormap?: ColormapName;
  alpha?: number;
}

/** Map k of the run over the image it explains (maps are stacked image-major, K per image). */
export function mapOverlay(
  explainer: Pick<Explainer, 'signed'>,
  run: ExplainerRun,
  k: number,
  image: RawImage,
  options: MapPictureOptions = {},
): RawImage {
  const [, h, w] = run.maps.dims;
  const map = { data: run.maps.data.subarray(k * h * w, (k + 1) * h * w), width: w, height: h };
  return overlay(image, map, {
    colormap: options.colormap ?? (explainer.signed ? 'bwr' : 'jet'),
    scaling: explainer.signed ? 'symmetric' : 'minmax',
    alpha: options.alpha ?? (explainer.signed ? 0.8 : 0.5),
    // Signed maps fade to the image where the evidence is near zero, so the picture stays readable.
    alphaByMagnitude: explainer.signed,
  });
}

/** Maps per image (K): the stack holds N·K maps for N images. */
export function mapsPerImage(run: ExplainerRun, images: number): number {
  return Math.max(1, Math.round(run.maps.dims[0] / images));
}
