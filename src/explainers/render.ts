/** Turning an explainer's maps into pictures: overlays on the original images (what a reader wants). */
import type { RawImage } from '../image/types.js';
import { overlay } from '../render/overlay.js';
import type { ColormapName } from '../render/colormap.js';
import { clippedRange, describeScale, type ClippedRange, type ScaleMode } from '../render/scale.js';
import type { Explainer, ExplainerRun } from './spec.js';

export interface MapPictureOptions {
  colormap?: ColormapName;
  alpha?: number;
  /** Overrides the explainer's `clipPercent` (0: the full range). */
  clipPercent?: number;
}

export interface MapScale {
  mode: ScaleMode;
  range: ClippedRange;
  /** The percent of magnitudes allowed beyond the range (0: none). */
  clipPercent: number;
  /** For captions, e.g. "scale ±0.012 (blue −, red +), clipped at the 99th percentile of |x| (…)". */
  text: string;
}

function mapOf(run: ExplainerRun, k: number) {
  const [, h, w] = run.maps.dims;
  return { data: run.maps.data.subarray(k * h * w, (k + 1) * h * w), width: w, height: h };
}

/** The colour scale of map k: its mode, the range after outlier clipping, and the words for a caption. */
export function mapScale(
  explainer: Pick<Explainer, 'signed' | 'clipPercent'>,
  run: ExplainerRun,
  k: number,
  options: Pick<MapPictureOptions, 'clipPercent'> = {},
): MapScale {
  const mode: ScaleMode = explainer.signed ? 'symmetric' : 'minmax';
  const clipPercent = options.clipPercent ?? explainer.clipPercent ?? 0;
  const range = clippedRange(mapOf(run, k).data, mode, clipPercent);
  return { mode, range, clipPercent, text: describeScale(mode, range, clipPercent) };
}

/** Map k of the run over the image it explains (maps are stacked image-major, K per image). */
export function mapOverlay(
  explainer: Pick<Explainer, 'signed' | 'clipPercent'>,
  run: ExplainerRun,
  k: number,
  image: RawImage,
  options: MapPictureOptions = {},
): RawImage {
  const scale = mapScale(explainer, run, k, options);
  // A clipped range is drawn as a fixed range: values beyond it clamp to the end colours.
  const scaling: ScaleMode = scale.range.clipped
    ? { min: scale.range.low, max: scale.range.high }
    : scale.mode;
  return overlay(image, mapOf(run, k), {
    colormap: options.colormap ?? (explainer.signed ? 'bwr' : 'jet'),
    scaling,
    alpha: options.alpha ?? (explainer.signed ? 0.8 : 0.5),
    // Signed maps fade to the image where the evidence is near zero, so the picture stays readable.
    alphaByMagnitude: explainer.signed,
  });
}

/** Maps per image (K): the stack holds N·K maps for N images. */
export function mapsPerImage(run: ExplainerRun, images: number): number {
  return Math.max(1, Math.round(run.maps.dims[0] / images));
}
