/**
 * Waveform → the model's spectrogram picture: power spectrum per frame (|X|² / (nFft · Σw)), mel bands,
 * dB = 10 log10(mel + amin), the dB range mapped onto grey levels 0..255 (clipped, rounded half to even as
 * numpy does), rows ordered as the recipe says.
 */
import type { RawImage } from '../image/types.js';
import { melFilterbank } from './mel.js';
import type { SpectrogramRecipe } from './recipe.js';
import { analysisWindow, stft } from './stft.js';

/** Mel power per band and frame: melBands x frames, row-major, lowest band first. */
export function melPower(
  samples: ArrayLike<number>,
  recipe: SpectrogramRecipe,
): { data: Float64Array; frames: number } {
  const spectrum = stft(samples, recipe);
  const window = analysisWindow(recipe);
  let windowSum = 0;
  for (const w of window) windowSum += w;
  const norm = 1 / (recipe.nFft * windowSum);
  const bank = melFilterbank(recipe);
  const { frames, bins } = spectrum;
  const power = new Float64Array(frames * bins);
  for (let i = 0; i < power.length; i++) power[i] = (spectrum.re[i] ** 2 + spectrum.im[i] ** 2) * norm;
  const data = new Float64Array(recipe.melBands * frames);
  for (let b = 0; b < recipe.melBands; b++) {
    for (let f = 0; f < frames; f++) {
      let s = 0;
      for (let k = 0; k < bins; k++) s += bank[b * bins + k] * power[f * bins + k];
      data[b * frames + f] = s;
    }
  }
  return { data, frames };
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The model's grey-level picture: height = melBands, width = frames, one channel. */
export function spectrogramImage(samples: ArrayLike<number>, recipe: SpectrogramRecipe): RawImage {
  const { data: mel, frames } = melPower(samples, recipe);
  const [lo, hi] = recipe.dbRange;
  const bands = recipe.melBands;
  const pixels = new Uint8Array(bands * frames);
  for (let b = 0; b < bands; b++) {
    const row = recipe.rowOrder === 'high-to-low' ? bands - 1 - b : b;
    for (let f = 0; f < frames; f++) {
      const db = 10 * Math.log10(mel[b * frames + f] + recipe.amin);
      const scaled = ((Math.min(hi, Math.max(lo, db)) - lo) / (hi - lo)) * 255;
      pixels[row * frames + f] = roundHalfEven(scaled);
    }
  }
  return { data: pixels, width: frames, height: bands, channels: 1 };
}
