/**
 * Hearing a part of a spectrogram: the window's STFT is weighted by a mask given on the model's picture
 * (rows = mel bands, columns = frames, values 0..1) and turned back into a waveform by overlap-add. Each
 * FFT bin takes the mel-filter-weighted mean of the mask over the bands that cover it (bins outside every
 * band follow the nearest band), so a mask of all ones gives the input back and all zeros gives silence.
 */
import { OptionError } from '../errors.js';
import { bandCentresHz, melFilterbank } from './mel.js';
import type { SpectrogramRecipe } from './recipe.js';
import { istft, stft } from './stft.js';

/** Per FFT bin, the bands' weights normalised to sum 1 (bands x bins, lowest band first). */
function binShares(recipe: SpectrogramRecipe): Float64Array {
  const bins = recipe.nFft / 2 + 1;
  const bank = melFilterbank(recipe);
  const centres = bandCentresHz(recipe);
  const shares = new Float64Array(bank.length);
  for (let k = 0; k < bins; k++) {
    let total = 0;
    for (let b = 0; b < recipe.melBands; b++) total += bank[b * bins + k];
    if (total > 0) {
      for (let b = 0; b < recipe.melBands; b++) shares[b * bins + k] = bank[b * bins + k] / total;
      continue;
    }
    const hz = (k * recipe.sampleRate) / recipe.nFft;
    let nearest = 0;
    for (let b = 1; b < recipe.melBands; b++)
      if (Math.abs(centres[b] - hz) < Math.abs(centres[nearest] - hz)) nearest = b;
    shares[nearest * bins + k] = 1;
  }
  return shares;
}

/**
 * The window's audio with its spectrogram weighted by `mask` ([melBands, frames] in picture layout, so row 0
 * is the highest band when the recipe says 'high-to-low').
 */
export function maskedAudio(
  samples: Float32Array,
  recipe: SpectrogramRecipe,
  mask: ArrayLike<number>,
): Float32Array {
  const spectrum = stft(samples, recipe);
  const { frames, bins } = spectrum;
  const bands = recipe.melBands;
  if (mask.length !== bands * frames) {
    throw new OptionError('INVALID_OPTION', `mask must have ${bands} x ${frames} values, got ${mask.length}`);
  }
  const shares = binShares(recipe);
  for (let f = 0; f < frames; f++) {
    for (let k = 0; k < bins; k++) {
      let m = 0;
      for (let b = 0; b < bands; b++) {
        const share = shares[b * bins + k];
        if (share === 0) continue;
        const row = recipe.rowOrder === 'high-to-low' ? bands - 1 - b : b;
        m += share * mask[row * frames + f];
      }
      spectrum.re[f * bins + k] *= m;
      spectrum.im[f * bins + k] *= m;
    }
  }
  return Float32Array.from(istft(spectrum, recipe, samples.length));
}

/** The audio of the given segments of a feature map ([H, W] segment ids) and the audio of all the others. */
export function segmentAudio(
  samples: Float32Array,
  recipe: SpectrogramRecipe,
  featureMap: ArrayLike<number>,
  segments: readonly number[],
): { kept: Float32Array; rest: Float32Array } {
  const chosen = new Set(segments);
  const mask = Float32Array.from({ length: featureMap.length }, (_, i) =>
    chosen.has(featureMap[i]) ? 1 : 0,
  );
  const inverse = mask.map((v) => 1 - v);
  return { kept: maskedAudio(samples, recipe, mask), rest: maskedAudio(samples, recipe, inverse) };
}

/** Signal-to-noise ratio of `estimate` against `reference`, in dB. */
export function snrDb(reference: ArrayLike<number>, estimate: ArrayLike<number>): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i] ** 2;
    noise += (reference[i] - estimate[i]) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}
