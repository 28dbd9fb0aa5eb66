/**
 * Resize as a matrix: along one axis, every output element is a fixed weighted sum of input elements, so the
 * op is y = W·x per axis with W [outSize × inSize] depending only on the sizes, the scale and the attributes.
 * The weights follow ONNX Runtime's CPU kernel, float32 rounding of the coordinates included, so that nearest
 * picks the same element at ties and the gradient is the exact transpose of what ORT computed.
 */

export type CoordinateMode =
  | 'half_pixel'
  | 'half_pixel_symmetric'
  | 'pytorch_half_pixel'
  | 'align_corners'
  | 'asymmetric'
  | 'tf_half_pixel_for_nn'
  | 'tf_crop_and_resize';

/** `simple` is the rounding of Resize-10 and Upsample: ceil when downsampling, truncation otherwise. */
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil' | 'simple';

export type InterpolationMode = 'nearest' | 'linear' | 'cubic';

export interface AxisResize {
  inSize: number;
  outSize: number;
  /** The scale ORT works with: the given one, or out/in (in float32) when sizes were given. */
  scale: number;
  mode: InterpolationMode;
  coordinate: CoordinateMode;
  nearest: NearestMode;
  cubicA: number;
  excludeOutside: boolean;
  /** Region of interest of tf_crop_and_resize, as fractions of the axis. */
  roiStart: number;
  roiEnd: number;
}

export const COORDINATE_MODES: readonly CoordinateMode[] = [
  'half_pixel',
  'half_pixel_symmetric',
  'pytorch_half_pixel',
  'align_corners',
  'asymmetric',
  'tf_half_pixel_for_nn',
  'tf_crop_and_resize',
];

export const NEAREST_MODES: readonly NearestMode[] = [
  'round_prefer_floor',
  'round_prefer_ceil',
  'floor',
  'ceil',
];

const f32 = Math.fround;

/** Coordinate in the input of output element `o`, computed in float32 like ORT. */
export function originalCoordinate(o: number, a: AxisResize): number {
  const { scale, inSize, outSize } = a;
  switch (a.coordinate) {
    case 'asymmetric':
      return f32(o / scale);
    case 'pytorch_half_pixel':
      return outSize > 1 ? f32(f32(f32(o + 0.5) / scale) - 0.5) : 0;
    case 'tf_half_pixel_for_nn':
      return f32(f32(o + 0.5) / scale);
    case 'align_corners':
      return outSize === 1 ? 0 : f32(f32(o * (inSize - 1)) / (outSize - 1));
    case 'tf_crop_and_resize': {
      const { roiStart: s, roiEnd: e } = a;
      if (outSize <= 1) return f32(0.5 * (s + e) * (inSize - 1));
      return f32(f32(s * (inSize - 1)) + f32(f32(f32(o * f32(e - s)) * (inSize - 1)) / (outSize - 1)));
    }
    case 'half_pixel_symmetric': {
      const adjustment = f32(outSize / f32(scale * inSize));
      const offset = f32(f32(inSize / 2) * f32(1 - adjustment));
      return f32(offset + (o + 0.5) / scale - 0.5);
    }
    case 'half_pixel':
      return f32(f32(f32(o + 0.5) / scale) - 0.5);
  }
}

/** C's round(): halves away from zero. */
const roundHalfAway = (v: number): number => Math.sign(v) * Math.floor(Math.abs(v) + 0.5);

function nearestIndex(x: number, a: AxisResize): number {
  switch (a.nearest) {
    case 'simple':
      return a.scale < 1 ? Math.ceil(x) : Math.trunc(x);
    case 'round_prefer_ceil':
      return roundHalfAway(x);
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    case 'round_prefer_floor':
      return x === Math.trunc(x) + 0.5 ? Math.floor(x) : roundHalfAway(x);
  }
}

/** Keys' cubic convolution weights of the 4 taps floor(x)−1 … floor(x)+2 for fractional part s. */
function cubicWeights(s: number, A: number): number[] {
  const t = [s + 1, s, 1 - s, 2 - s];
  const outer = (d: number): number => f32(((A * d - 5 * A) * d + 8 * A) * d - 4 * A);
  const inner = (d: number): number => f32(((A + 2) * d - (A + 3)) * d * d + 1);
  return [outer(t[0]), inner(t[1]), inner(t[2]), outer(t[3])];
}

/** The weights W [outSize × inSize] (row-major) of one axis: y[o] = Σ_i W[o, i]·x[i]. */
export function interpolationMatrix(a: AxisResize): Float64Array {
  const { inSize, outSize } = a;
  const w = new Float64Array(outSize * inSize);
  const clampIndex = (i: number): number => Math.min(Math.max(i, 0), inSize - 1);
  for (let o = 0; o < outSize; o++) {
    const row = o * inSize;
    // ORT leaves an axis with scale 1 untouched, whatever the coordinate mode.
    const x = a.scale === 1 ? o : originalCoordinate(o, a);
    if (a.coordinate === 'tf_crop_and_resize' && (x < 0 || x > inSize - 1)) continue; // extrapolation value
    if (a.mode === 'nearest') {
      w[row + clampIndex(nearestIndex(x, a))] = 1;
    } else if (a.mode === 'linear') {
      const at = Math.min(Math.max(x, 0), inSize - 1);
      const low = Math.min(Math.trunc(at), inSize - 1);
      const high = Math.min(low + 1, inSize - 1);
      if (low === high) w[row + low] += 1;
      else {
        w[row + low] += f32(Math.abs(at - high));
        w[row + high] += f32(Math.abs(at - low));
      }
    } else {
      const base = Math.floor(x);
      const taps = cubicWeights(f32(x - base), a.cubicA);
      const inside = (i: number): boolean => !a.excludeOutside || (i >= 0 && i < inSize);
      const total = a.excludeOutside ? taps.reduce((s, c, k) => s + (inside(base - 1 + k) ? c : 0), 0) : 1;
      taps.forEach((c, k) => {
        const i = base - 1 + k;
        if (inside(i)) w[row + clampIndex(i)] += c / total;
      });
    }
  }
  return w;
}

/** Whether W is the identity (the axis is left as it is). */
export function isIdentity(w: Float64Array, a: AxisResize): boolean {
  if (a.inSize !== a.outSize) return false;
  for (let o = 0; o < a.outSize; o++) {
    for (let i = 0; i < a.inSize; i++) if (w[o * a.inSize + i] !== (o === i ? 1 : 0)) return false;
  }
  return true;
}

/**
 * The repeat factor k when W copies input element i to outputs k·i … k·i + k − 1 (nearest upsampling by an
 * integer factor), else undefined: then the transpose is a sum over blocks of k.
 */
export function blockRepeat(w: Float64Array, a: AxisResize): number | undefined {
  const k = a.outSize / a.inSize;
  if (!Number.isInteger(k) || k < 2) return undefined;
  for (let o = 0; o < a.outSize; o++) {
    for (let i = 0; i < a.inSize; i++)
      if (w[o * a.inSize + i] !== (i === Math.floor(o / k) ? 1 : 0)) return undefined;
  }
  return k;
}
