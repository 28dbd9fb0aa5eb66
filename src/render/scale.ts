/**
 * Map scaling: raw map values → [0, 1] for a colormap.
 *
 * - 'minmax': min → 0, max → 1.
 * - 'symmetric': for signed maps, -m → 0, 0 → 0.5, +m → 1 with m = max |x| (pair with a diverging colormap).
 * - 'absolute': |x| / max |x|, for maps whose sign is not meaningful.
 * - { min, max }: a fixed range, values outside clamped.
 *
 * NaN and ±Infinity are ignored when finding the range; NaN stays NaN (renderers show it as "no value"),
 * infinities clamp. A constant map does not divide by zero: it maps to 0 ('minmax', 'absolute') or 0.5
 * ('symmetric' of an all-zero map).
 */
import { OptionError } from '../errors.js';

export type ScaleMode = 'minmax' | 'symmetric' | 'absolute' | { min: number; max: number };

/** The value range a scaling maps onto [0, 1]: `low` → 0 and `high` → 1 ('absolute' ranges over |x|). */
export interface ScaleRange {
  low: number;
  high: number;
}

export function checkScaleMode(mode: ScaleMode): ScaleMode {
  if (typeof mode === 'object' && mode !== null) {
    if (!Number.isFinite(mode.min) || !Number.isFinite(mode.max) || !(mode.max > mode.min)) {
      throw new OptionError(
        'INVALID_OPTION',
        `fixed scale range [${mode.min}, ${mode.max}] needs finite min < max`,
      );
    }
    return mode;
  }
  if (mode !== 'minmax' && mode !== 'symmetric' && mode !== 'absolute') {
    throw new OptionError(
      'INVALID_OPTION',
      `scaling '${String(mode)}' is not supported, expected minmax, symmetric, absolute or {min, max}`,
    );
  }
  return mode;
}

/** The range `mode` uses for `values` (finite values only; [0, 0] when there are none). */
export function mapRange(values: ArrayLike<number>, mode: ScaleMode): ScaleRange {
  checkScaleMode(mode);
  if (typeof mode === 'object') return { low: mode.min, high: mode.max };
  let min = Infinity;
  let max = -Infinity;
  let maxAbs = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
  }
  if (mode === 'symmetric') return { low: -maxAbs, high: maxAbs };
  if (mode === 'absolute') return { low: 0, high: maxAbs };
  return min <= max ? { low: min, high: max } : { low: 0, high: 0 };
}

/** Values scaled to [0, 1] per `mode`; pass `range` to share one range across several maps. */
export function scaleValues(
  values: ArrayLike<number>,
  mode: ScaleMode,
  range: ScaleRange = mapRange(values, mode),
): Float32Array {
  checkScaleMode(mode);
  const out = new Float32Array(values.length);
  const absolute = mode === 'absolute';
  const span = range.high - range.low;
  // A zero span only arises from a constant (or empty) map: put it at the colour of "nothing".
  const flat = mode === 'symmetric' ? 0.5 : 0;
  for (let i = 0; i < values.length; i++) {
    const raw = values[i];
    if (Number.isNaN(raw)) {
      out[i] = NaN;
      continue;
    }
    if (!(span > 0)) {
      out[i] = flat;
      continue;
    }
    const v = ((absolute ? Math.abs(raw) : raw) - range.low) / span;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}

/** A map's colour range after outlier clipping, and how much of the map lies beyond it. */
export interface ClippedRange extends ScaleRange {
  /** Fraction of the finite values beyond the range (shown at the end colour). */
  saturated: number;
  /** Whether the range is narrower than the map's full range. */
  clipped: boolean;
}

/**
 * The range of `mode` with the largest `percent` % of the map's non-zero magnitudes left outside it: for
 * 'symmetric' and 'absolute' the magnitudes are |x|, for 'minmax' the heights above the minimum. A few extreme
 * pixels (common in pixel-level gradients of photos) then saturate instead of compressing every other pixel
 * into the colour of zero. Zeros are left out of the count, so a sparse map is not clipped into its noise.
 * A fixed {min, max} mode is returned as it is.
 */
export function clippedRange(values: ArrayLike<number>, mode: ScaleMode, percent: number): ClippedRange {
  checkScaleMode(mode);
  if (!(percent >= 0 && percent < 100)) {
    throw new OptionError('INVALID_OPTION', `clipping percent must be in [0, 100), got ${percent}`);
  }
  const full = mapRange(values, mode);
  if (typeof mode === 'object' || percent === 0) return { ...full, saturated: 0, clipped: false };
  const base = mode === 'minmax' ? full.low : 0;
  const magnitudes: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    const m = mode === 'minmax' ? v - base : Math.abs(v);
    if (m > 0) magnitudes.push(m);
  }
  if (magnitudes.length === 0) return { ...full, saturated: 0, clipped: false };
  const sorted = Float64Array.from(magnitudes).sort();
  // The value below which (100 − percent) % of the magnitudes lie (nearest rank).
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((1 - percent / 100) * sorted.length) - 1));
  const limit = sorted[rank];
  const top = sorted[sorted.length - 1];
  if (!(limit > 0) || limit >= top) return { ...full, saturated: 0, clipped: false };
  let beyond = 0;
  for (const m of magnitudes) if (m > limit) beyond++;
  let finite = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite++;
  const range =
    mode === 'symmetric'
      ? { low: -limit, high: limit }
      : mode === 'absolute'
        ? { low: 0, high: limit }
        : { low: base, high: base + limit };
  return { ...range, saturated: beyond / finite, clipped: true };
}

/** Short numbers for captions: 3 significant digits, exponent form for very small or large values. */
export function formatScaleNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e5 ? v.toExponential(2) : Number(v.toPrecision(3)).toString();
}

/**
 * The scale of a picture in words, for its caption: the values at the ends of the colour range and, when
 * outliers were clipped, at what percentile and how much of the map lies beyond.
 */
export function describeScale(mode: ScaleMode, range: ClippedRange, percent: number): string {
  const ends =
    mode === 'symmetric'
      ? `scale ±${formatScaleNumber(range.high)} (blue −, red +)`
      : mode === 'absolute'
        ? `scale |x| 0 → ${formatScaleNumber(range.high)}`
        : `scale ${formatScaleNumber(range.low)} → ${formatScaleNumber(range.high)}`;
  if (!range.clipped) return `${ends}, the map's full range`;
  const saturated = (100 * range.saturated).toFixed(range.saturated < 0.001 ? 2 : 1);
  return `${ends}, clipped at the ${formatScaleNumber(100 - percent)}th percentile of ${
    mode === 'minmax' ? 'the values above the minimum' : '|x|'
  } (${saturated} % of pixels beyond, shown saturated)`;
}
