/**
 * Time × frequency segmentation of a spectrogram for the perturbation methods (LIME, Kernel SHAP), as in
 * MATLAB's "Investigate Spectrogram Classifications Using LIME": the picture is cut into numFrequencySegments
 * rows of mel bands by numTimeSegments columns of frames.
 */
import type { GridShape } from '../lime/segment.js';

export const DEFAULT_TIME_SEGMENTS = 8;
export const DEFAULT_FREQUENCY_SEGMENTS = 8;
/** Segments outlined and played back as 'most important' (LIME's numTopFeatures overrides it). */
export const DEFAULT_TOP_SEGMENTS = 3;

export interface TimeFrequencyOptions {
  numTimeSegments?: number;
  numFrequencySegments?: number;
  segmentation?: unknown;
}

/** Whether a model describes its input as audio (netlens.input kind 'audio'). */
export function isAudioModel(model: object): boolean {
  const description = (model as { inputDescription?: { kind?: unknown } }).inputDescription;
  return description?.kind === 'audio';
}

/**
 * The grid to cut the picture into: given segment counts win; an audio model without an explicit
 * segmentation gets the default time × frequency grid; anything else keeps its own segmentation (undefined).
 */
export function timeFrequencyGrid(model: object, options: TimeFrequencyOptions): GridShape | undefined {
  const asked = options.numTimeSegments !== undefined || options.numFrequencySegments !== undefined;
  if (!asked && (options.segmentation !== undefined || !isAudioModel(model))) return undefined;
  return {
    rows: options.numFrequencySegments ?? DEFAULT_FREQUENCY_SEGMENTS,
    cols: options.numTimeSegments ?? DEFAULT_TIME_SEGMENTS,
  };
}
