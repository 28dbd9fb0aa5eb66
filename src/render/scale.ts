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
