/**
 * Short-time Fourier transform (the `fft.js` library) without padding: frame f covers samples
 * [f·hop, f·hop + nFft), as the model's spectrogram does. Its inverse is the weighted overlap-add
 * x[n] = Σ_f w[n - f·hop] · y_f[n - f·hop] / Σ_f w²[n - f·hop], which gives back the input exactly where the
 * windows cover it and the spectrum is unchanged.
 */
import FFT from 'fft.js';
import type { SpectrogramRecipe } from './recipe.js';

export interface Stft {
  frames: number;
  /** nFft / 2 + 1 bins per frame. */
  bins: number;
  /** frames x bins, row-major. */
  re: Float64Array;
  im: Float64Array;
}

type StftRecipe = Pick<SpectrogramRecipe, 'nFft' | 'hop' | 'window'>;

export function analysisWindow(recipe: Pick<SpectrogramRecipe, 'nFft' | 'window'>): Float64Array {
  const n = recipe.nFft;
  const w = new Float64Array(n);
  // Symmetric Hann divides by n - 1 (numpy.hanning); the periodic one by n.
  const d = recipe.window === 'hann' ? n - 1 : n;
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / d);
  return w;
}

/** Frames a signal of `length` samples gives (at least one: a short signal is read as zero-padded). */
export function framesFor(length: number, recipe: Pick<SpectrogramRecipe, 'nFft' | 'hop'>): number {
  return Math.max(1, Math.floor((length - recipe.nFft) / recipe.hop) + 1);
}

export function stft(samples: ArrayLike<number>, recipe: StftRecipe): Stft {
  const { nFft, hop } = recipe;
  const window = analysisWindow(recipe);
  const frames = framesFor(samples.length, recipe);
  const bins = nFft / 2 + 1;
  const fft = new FFT(nFft);
  const input = new Array<number>(nFft);
  const out = fft.createComplexArray() as number[];
  const re = new Float64Array(frames * bins);
  const im = new Float64Array(frames * bins);
  for (let f = 0; f < frames; f++) {
    const start = f * hop;
    for (let i = 0; i < nFft; i++)
      input[i] = (start + i < samples.length ? samples[start + i] : 0) * window[i];
    fft.realTransform(out, input);
    for (let k = 0; k < bins; k++) {
      re[f * bins + k] = out[2 * k];
      im[f * bins + k] = out[2 * k + 1];
    }
  }
  return { frames, bins, re, im };
}

/** Weighted overlap-add inverse of `stft`, `length` samples long. Samples no window covers are 0. */
export function istft(spectrum: Stft, recipe: StftRecipe, length: number): Float64Array {
  const { nFft, hop } = recipe;
  const window = analysisWindow(recipe);
  const fft = new FFT(nFft);
  const full = fft.createComplexArray() as number[];
  const frame = fft.createComplexArray() as number[];
  const sum = new Float64Array(length);
  const weight = new Float64Array(length);
  for (let f = 0; f < spectrum.frames; f++) {
    for (let k = 0; k < nFft; k++) {
      // Real signal: the upper half of the spectrum is the conjugate mirror of the lower half.
      const m = k <= nFft / 2 ? k : nFft - k;
      const sign = k <= nFft / 2 ? 1 : -1;
      full[2 * k] = spectrum.re[f * spectrum.bins + m];
      full[2 * k + 1] = sign * spectrum.im[f * spectrum.bins + m];
    }
    fft.inverseTransform(frame, full);
    const start = f * hop;
    for (let i = 0; i < nFft && start + i < length; i++) {
      sum[start + i] += window[i] * frame[2 * i];
      weight[start + i] += window[i] * window[i];
    }
  }
  // Where the windows barely cover a sample (the clip's first and last samples) dividing would amplify
  // rounding; those samples carry almost nothing of the analysed signal either.
  let peak = 0;
  for (const w of weight) peak = Math.max(peak, w);
  const floor = peak * 1e-6;
  const out = new Float64Array(length);
  for (let n = 0; n < length; n++) out[n] = weight[n] > floor ? sum[n] / weight[n] : 0;
  return out;
}
