/**
 * From a decoded clip to the model's input windows: resample to the model's rate (the `wave-resampler`
 * library, cubic with its low-pass filter), then cut into windows of `clipSamples` every `hop` samples. The
 * last window is zero-padded to full length, so every sample is in some window; a clip shorter than one
 * window gives one padded window.
 */
import { resample } from './libraries.js';
import { OptionError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import type { SpectrogramRecipe } from './recipe.js';
import { spectrogramImage } from './spectrogram.js';

export interface AudioWindow {
  /** clipSamples samples at the model's rate. */
  samples: Float32Array;
  /** Index of the window in its clip and where it starts, in seconds. */
  index: number;
  startSeconds: number;
  /** The model's spectrogram picture of this window. */
  image: RawImage;
}

export function resampleTo(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (fromRate === toRate) return samples;
  return Float32Array.from(resample(samples, fromRate, toRate));
}

/** Most windows one clip may give (a 10-minute clip at the fixture's 1.04 s windows gives 577). */
export const MAX_WINDOWS = 10_000;

/** Window starts 0, hop, 2·hop, ... until a window reaches the end of the clip. */
export function windowStarts(length: number, clipSamples: number, hop: number): number[] {
  if (!Number.isInteger(hop) || hop < 1) {
    throw new OptionError('INVALID_OPTION', `window hop must be a positive number of samples, got ${hop}`);
  }
  const count = length <= clipSamples ? 1 : Math.ceil((length - clipSamples) / hop) + 1;
  if (count > MAX_WINDOWS) {
    throw new OptionError(
      'INVALID_OPTION',
      `the clip would give ${count} windows (more than ${MAX_WINDOWS}); use a longer hop`,
    );
  }
  return Array.from({ length: count }, (_, i) => i * hop);
}

/**
 * Cut `samples` (already at the model's rate) into model windows with their spectrogram pictures.
 * `hopSeconds` defaults to the window length (windows tile the clip).
 */
export function audioWindows(
  samples: Float32Array,
  recipe: SpectrogramRecipe,
  hopSeconds?: number,
): AudioWindow[] {
  const hop = hopSeconds === undefined ? recipe.clipSamples : Math.round(hopSeconds * recipe.sampleRate);
  return windowStarts(samples.length, recipe.clipSamples, hop).map((start, index) => {
    const window = new Float32Array(recipe.clipSamples);
    window.set(samples.subarray(start, Math.min(samples.length, start + recipe.clipSamples)));
    return {
      samples: window,
      index,
      startSeconds: start / recipe.sampleRate,
      image: spectrogramImage(window, recipe),
    };
  });
}
