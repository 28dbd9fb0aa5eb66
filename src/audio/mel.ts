/**
 * The mel scale (HTK: 2595 log10(1 + f / 700)) and its triangular filter bank: bands + 2 edges equally spaced
 * in mel between fMin and fMax, triangles of peak 1 over the FFT bin frequencies. A band too narrow to cover
 * any bin gets its nearest bin, so no band is empty.
 */
import type { SpectrogramRecipe } from './recipe.js';

export function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

export function melToHz(mel: number): number {
  return 700 * (10 ** (mel / 2595) - 1);
}

/** The bands + 2 band edges in Hz (band b spans edges b..b+2 and peaks at edge b+1). */
export function melEdgesHz(recipe: Pick<SpectrogramRecipe, 'melBands' | 'fMin' | 'fMax'>): Float64Array {
  const lo = hzToMel(recipe.fMin);
  const hi = hzToMel(recipe.fMax);
  const count = recipe.melBands + 2;
  const edges = new Float64Array(count);
  for (let i = 0; i < count; i++) edges[i] = melToHz(lo + ((hi - lo) * i) / (count - 1));
  return edges;
}

/** Centre frequency of each band, lowest band first. */
export function bandCentresHz(recipe: Pick<SpectrogramRecipe, 'melBands' | 'fMin' | 'fMax'>): Float64Array {
  return melEdgesHz(recipe).slice(1, -1);
}

/** bands x (nFft / 2 + 1) weights, row-major, lowest band first. */
export function melFilterbank(recipe: SpectrogramRecipe): Float64Array {
  const bins = recipe.nFft / 2 + 1;
  const edges = melEdgesHz(recipe);
  const bank = new Float64Array(recipe.melBands * bins);
  const freq = (k: number): number => (k * recipe.sampleRate) / recipe.nFft;
  for (let b = 0; b < recipe.melBands; b++) {
    const [lo, mid, hi] = [edges[b], edges[b + 1], edges[b + 2]];
    let sum = 0;
    for (let k = 0; k < bins; k++) {
      const f = freq(k);
      const w = Math.max(0, Math.min((f - lo) / (mid - lo), (hi - f) / (hi - mid)));
      bank[b * bins + k] = w;
      sum += w;
    }
    if (sum === 0) {
      let nearest = 0;
      for (let k = 1; k < bins; k++) if (Math.abs(freq(k) - mid) < Math.abs(freq(nearest) - mid)) nearest = k;
      bank[b * bins + nearest] = 1;
    }
  }
  return bank;
}
