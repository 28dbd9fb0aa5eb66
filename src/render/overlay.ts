/**
 * Heat maps over images: the map is resized to the image, scaled to [0, 1], coloured, and blended as
 * out = (1 - alpha) · image + alpha · colour (rounded). Pixels where the map is NaN show the image alone.
 * The map may have any size and aspect ratio: model inputs are resized (not cropped) from the original,
 * so stretching the map back over the whole image puts every value over the pixels it came from.
 */
import { OptionError } from '../errors.js';
import { convertChannels } from '../image/channels.js';
import type { ResizeMethod } from '../image/resample.js';
import type { FloatMap, RawImage } from '../image/types.js';
import { checkImage, checkMap } from '../image/types.js';
import { mapFromTensor, upsample } from '../image/upsample.js';
import type { TensorData } from '../types.js';
import { applyColormap, checkColormap, colormapLut, type ColormapName } from './colormap.js';
import { checkScaleMode, scaleValues, type ScaleMode } from './scale.js';

export interface ColorizeOptions {
  /** Default 'jet', as in MATLAB's Grad-CAM examples. */
  colormap?: ColormapName;
  /** Default 'minmax'. */
  scaling?: ScaleMode;
}

export interface OverlayOptions extends ColorizeOptions {
  /** Opacity of the heat map, 0..1 (default 0.5). */
  alpha?: number;
  /** How the map is resized to the image (default 'bilinear'). */
  method?: ResizeMethod;
  /**
   * Fade the colour out where the map is weak: opacity = alpha · |v − centre| / max, so near-zero evidence
   * leaves the image visible. Meant for signed maps on a symmetric scale (centre 0.5); default false.
   */
  alphaByMagnitude?: boolean;
}

/** A map given as a FloatMap or as a tensor ([H,W], [1,H,W] or [1,1,H,W]). */
export type MapInput = FloatMap | TensorData;

function toMap(map: MapInput): FloatMap {
  if ('dims' in map) return mapFromTensor(map);
  checkMap(map);
  return map;
}

/** The map as an RGB image: scaled per `scaling`, coloured by `colormap` (NaN → black). */
export function colorize(map: MapInput, options: ColorizeOptions = {}): RawImage {
  const m = toMap(map);
  const scaling = checkScaleMode(options.scaling ?? 'minmax');
  const colormap = checkColormap(options.colormap ?? 'jet');
  return applyColormap({ ...m, data: scaleValues(m.data, scaling) }, colormap);
}

/** The heat map blended over the image, as an RGB image of the image's size. */
export function overlay(image: RawImage, map: MapInput, options: OverlayOptions = {}): RawImage {
  checkImage(image);
  const alpha = options.alpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) {
    throw new OptionError('INVALID_OPTION', `overlay alpha ${alpha} must be between 0 and 1`);
  }
  const colormap = checkColormap(options.colormap ?? 'jet');
  const scaling = checkScaleMode(options.scaling ?? 'minmax');
  const m = toMap(map);
  const sized =
    m.width === image.width && m.height === image.height
      ? m
      : upsample(m, { width: image.width, height: image.height }, options.method ?? 'bilinear');
  const scaled = scaleValues(sized.data, scaling);
  const rgb = convertChannels(image, 3).data;
  const lut = colormapLut(colormap);
  const out = new Uint8Array(image.width * image.height * 3);
  for (let p = 0; p < scaled.length; p++) {
    const v = scaled[p];
    const o = p * 3;
    if (Number.isNaN(v)) {
      out[o] = rgb[o];
      out[o + 1] = rgb[o + 1];
      out[o + 2] = rgb[o + 2];
      continue;
    }
    const i = Math.round(v * 255) * 3;
    const a = options.alphaByMagnitude ? alpha * Math.min(1, 2 * Math.abs(v - 0.5)) : alpha;
    for (let c = 0; c < 3; c++) out[o + c] = Math.round((1 - a) * rgb[o + c] + a * lut[i + c]);
  }
  return { data: out, width: image.width, height: image.height, channels: 3 };
}
