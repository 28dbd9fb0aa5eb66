/**
 * How alike two maps are, as the sanity checks compare them (Adebayo et al. 2018): Spearman rank
 * correlation, SSIM (ssim.js, Wang et al. 2004), and the correlation of their histograms of oriented
 * gradients (HOG, Dalal & Triggs 2005), which compares the maps' structure rather than their values.
 * All three look at |φ|: a map and its negation highlight the same pixels.
 */
import { ssim } from 'ssim.js';
import { pearson, spearman } from './stats.js';

export interface MapSimilarity {
  spearman: number;
  ssim: number;
  hog: number;
}

export const SIMILARITY_MEASURES = ['spearman', 'ssim', 'hog'] as const;
export type SimilarityMeasure = (typeof SIMILARITY_MEASURES)[number];

function absolute(map: ArrayLike<number>): Float64Array {
  return Float64Array.from(map as ArrayLike<number>, Math.abs);
}

/** |φ| scaled to 0..255 as an RGBA grey image (what ssim.js reads). */
function greyImage(map: Float64Array, height: number, width: number) {
  let max = 0;
  for (const v of map) max = Math.max(max, v);
  const data = new Uint8ClampedArray(height * width * 4);
  for (let p = 0; p < map.length; p++) {
    const g = max > 0 ? (255 * map[p]) / max : 0;
    data[4 * p] = g;
    data[4 * p + 1] = g;
    data[4 * p + 2] = g;
    data[4 * p + 3] = 255;
  }
  return { data, height, width };
}

/** SSIM of |a| and |b| as 8-bit grey images (the window shrinks for maps under 11 pixels). */
export function mapSsim(a: ArrayLike<number>, b: ArrayLike<number>, height: number, width: number): number {
  const windowSize = Math.max(3, Math.min(11, height, width));
  return ssim(greyImage(absolute(a), height, width), greyImage(absolute(b), height, width), {
    ssim: 'original',
    windowSize,
    downsample: false,
  }).mssim;
}

/**
 * HOG descriptor: unsigned gradient orientations in 9 bins per cell (cell = an eighth of the shorter side,
 * at least 2 pixels), magnitude-weighted, each cell L2-normalised.
 */
export function hogFeatures(map: ArrayLike<number>, height: number, width: number): Float64Array {
  const a = absolute(map);
  const cell = Math.max(2, Math.floor(Math.min(height, width) / 8));
  const cy = Math.floor(height / cell);
  const cx = Math.floor(width / cell);
  const bins = 9;
  const out = new Float64Array(cy * cx * bins);
  const at = (y: number, x: number) =>
    a[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))];
  for (let y = 0; y < cy * cell; y++) {
    for (let x = 0; x < cx * cell; x++) {
      const gx = at(y, x + 1) - at(y, x - 1);
      const gy = at(y + 1, x) - at(y - 1, x);
      const magnitude = Math.hypot(gx, gy);
      if (magnitude === 0) continue;
      let angle = Math.atan2(gy, gx);
      if (angle < 0) angle += Math.PI;
      const bin = Math.min(bins - 1, Math.floor((angle / Math.PI) * bins));
      out[(Math.floor(y / cell) * cx + Math.floor(x / cell)) * bins + bin] += magnitude;
    }
  }
  for (let c = 0; c < cy * cx; c++) {
    let norm = 0;
    for (let b = 0; b < bins; b++) norm += out[c * bins + b] ** 2;
    norm = Math.sqrt(norm) + 1e-12;
    for (let b = 0; b < bins; b++) out[c * bins + b] /= norm;
  }
  return out;
}

export function hogSimilarity(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  height: number,
  width: number,
): number {
  return pearson(hogFeatures(a, height, width), hogFeatures(b, height, width));
}

export function mapSimilarity(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  height: number,
  width: number,
): MapSimilarity {
  return {
    spearman: spearman(absolute(a), absolute(b)),
    ssim: mapSsim(a, b, height, width),
    hog: hogSimilarity(a, b, height, width),
  };
}
