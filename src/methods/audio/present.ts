/**
 * One map of an explanation over an audio window, ready to show and hear: the figure with axes and the top
 * segments outlined, and the audio of those segments and of the rest. Shared by the CLI and the report.
 */
import type { SpectrogramRecipe } from '../../audio/recipe.js';
import { segmentAudio } from '../../audio/resynthesis.js';
import type { RawImage } from '../../image/types.js';
import { spectrogramFigure } from './figure.js';
import { explainedSegments } from './localization.js';
import { DEFAULT_TOP_SEGMENTS, timeFrequencyGrid, type TimeFrequencyOptions } from './segments.js';

export interface ExplainedWindow {
  samples: Float32Array;
  startSeconds: number;
}

export interface AudioMapRequest {
  run: Parameters<typeof explainedSegments>[0];
  /** Map index in the run. */
  m: number;
  /** The options the method ran with (segment counts, numTopFeatures, segmentation). */
  options: Record<string, unknown>;
}

/** The top segments of map m: the method's own when it ran on the time × frequency grid, else the best cells. */
export function topSegmentsOf(
  model: object,
  request: AudioMapRequest,
): { cells: number[]; labels: Int32Array } {
  const options = request.options as TimeFrequencyOptions & { numTopFeatures?: number };
  const used = timeFrequencyGrid(model, options);
  const shape = used ?? timeFrequencyGrid(model, {})!;
  const count = options.numTopFeatures ?? DEFAULT_TOP_SEGMENTS;
  return explainedSegments(request.run, request.m, shape, count, used !== undefined);
}

export function audioMapFigure(
  model: object,
  recipe: SpectrogramRecipe,
  window: ExplainedWindow,
  overlay: RawImage,
  request: AudioMapRequest,
  title?: string,
): RawImage {
  const { cells, labels } = topSegmentsOf(model, request);
  return spectrogramFigure(overlay, recipe, {
    startSeconds: window.startSeconds,
    outline: { labels, segments: cells },
    title,
  });
}

export function audioMapSound(
  model: object,
  recipe: SpectrogramRecipe,
  window: ExplainedWindow,
  request: AudioMapRequest,
): { kept: Float32Array; rest: Float32Array } {
  const { cells, labels } = topSegmentsOf(model, request);
  return segmentAudio(window.samples, recipe, labels, cells);
}
