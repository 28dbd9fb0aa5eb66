/**
 * Feature maps of a convolutional layer held channel-first ([items, C, h, w] as one Float32Array) whatever
 * the layer's own layout, and the combinations CAM variants make of them: a weighted channel sum, an
 * element-wise weighted sum, and the projection on the first principal direction.
 */
import { UnsupportedError } from '../../errors.js';
import type { TensorData } from '../../types.js';

export interface FeatureMaps {
  /** [items, channels, height, width], channel-first. */
  data: Float32Array;
  items: number;
  channels: number;
  height: number;
  width: number;
}

/** A rank-4 layer tensor in `layout` as channel-first feature maps (a copy only for NHWC). */
export function featureMaps(t: TensorData, layout: 'NCHW' | 'NHWC', layer: string): FeatureMaps {
  if (t.dims.length !== 4) {
    throw new UnsupportedError(
      'UNSUPPORTED_LAYER',
      `feature layer '${layer}' must have spatial dims (rank 4), found dims [${t.dims}]`,
    );
  }
  const [items, a, b, c] = t.dims;
  if (layout === 'NCHW') return { data: t.data, items, channels: a, height: b, width: c };
  const [height, width, channels] = [a, b, c];
  const plane = height * width;
  const out = new Float32Array(t.data.length);
  for (let n = 0; n < items; n++) {
    const base = n * plane * channels;
    for (let p = 0; p < plane; p++) {
      for (let ch = 0; ch < channels; ch++) out[base + ch * plane + p] = t.data[base + p * channels + ch];
    }
  }
  return { data: out, items, channels, height, width };
}

/**
 * map[item] = Σ_c w[item, c] · A[image(item), c] with image(item) = floor(item / perImage);
 * `weights` is [items·perImage..., C].
 */
export function channelWeightedSum(acts: FeatureMaps, weights: Float32Array, perImage: number): Float32Array {
  const { channels, height, width } = acts;
  const plane = height * width;
  const items = weights.length / channels;
  const out = new Float32Array(items * plane);
  const sum = new Float64Array(plane);
  for (let item = 0; item < items; item++) {
    const image = Math.floor(item / perImage);
    sum.fill(0);
    for (let c = 0; c < channels; c++) {
      const w = weights[item * channels + c];
      if (w === 0) continue;
      const base = (image * channels + c) * plane;
      for (let p = 0; p < plane; p++) sum[p] += w * acts.data[base + p];
    }
    out.set(sum, item * plane);
  }
  return out;
}

/** map[item] = Σ_c W[item, c] ⊙ A[image(item), c] for element weights W shaped like the gradients. */
export function elementWeightedSum(acts: FeatureMaps, weights: Float32Array, perImage: number): Float32Array {
  const { channels, height, width } = acts;
  const plane = height * width;
  const items = weights.length / (channels * plane);
  const out = new Float32Array(items * plane);
  const sum = new Float64Array(plane);
  for (let item = 0; item < items; item++) {
    const image = Math.floor(item / perImage);
    sum.fill(0);
    for (let c = 0; c < channels; c++) {
      const a = (image * channels + c) * plane;
      const g = (item * channels + c) * plane;
      for (let p = 0; p < plane; p++) sum[p] += weights[g + p] * acts.data[a + p];
    }
    out.set(sum, item * plane);
  }
  return out;
}

/**
 * Projection of one item's feature maps (channel-first, C × P with P = h·w) on their first principal
 * direction, without centring (as the Eigen-CAM paper takes the SVD of the activations themselves): the
 * pixel vector σ₁·u₁ of the rank-1 approximation. The sign is chosen so the projection sums to >= 0.
 * The top eigenvector of the smaller Gram matrix (P × P or C × C) is found by power iteration.
 */
export function firstComponentProjection(
  values: Float32Array,
  channels: number,
  pixels: number,
): Float32Array {
  const out = new Float32Array(pixels);
  if (pixels <= channels) {
    // G = X Xᵀ over pixels (X is P × C); its top eigenvector is u₁, eigenvalue σ₁².
    const g = gram(values, pixels, channels, (i, c) => c * pixels + i);
    const { vector, value } = topEigen(g, pixels);
    const sigma = Math.sqrt(Math.max(value, 0));
    for (let p = 0; p < pixels; p++) out[p] = sigma * vector[p];
  } else {
    // G = Xᵀ X over channels; X v₁ = σ₁ u₁.
    const g = gram(values, channels, pixels, (i, p) => i * pixels + p);
    const { vector } = topEigen(g, channels);
    for (let p = 0; p < pixels; p++) {
      let s = 0;
      for (let c = 0; c < channels; c++) s += values[c * pixels + p] * vector[c];
      out[p] = s;
    }
  }
  let total = 0;
  for (const v of out) total += v;
  if (total < 0) for (let p = 0; p < pixels; p++) out[p] = -out[p];
  return out;
}

/** n × n Gram matrix G[a, b] = Σ_k x(a, k) x(b, k), with x(i, k) = values[at(i, k)]. */
function gram(
  values: Float32Array,
  n: number,
  inner: number,
  at: (i: number, k: number) => number,
): Float64Array {
  const rows = new Float64Array(n * inner);
  for (let i = 0; i < n; i++) for (let k = 0; k < inner; k++) rows[i * inner + k] = values[at(i, k)];
  const g = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let k = 0; k < inner; k++) s += rows[a * inner + k] * rows[b * inner + k];
      g[a * n + b] = s;
      g[b * n + a] = s;
    }
  }
  return g;
}

/**
 * Top eigenpair of a symmetric positive semi-definite n × n matrix by power iteration from G·1 (close to the
 * answer for non-negative activations), to a change below 1e-10 or 2000 steps.
 */
function topEigen(g: Float64Array, n: number): { vector: Float64Array; value: number } {
  let v = new Float64Array(n);
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) v[a] += g[a * n + b];
  if (!normalize(v)) {
    // G·1 = 0 (e.g. signed data that cancels): start from the largest diagonal entry's axis instead.
    let best = 0;
    for (let a = 1; a < n; a++) if (g[a * n + a] > g[best * n + best]) best = a;
    v.fill(0);
    v[best] = 1;
  }
  let next = new Float64Array(n);
  for (let step = 0; step < 2000; step++) {
    for (let a = 0; a < n; a++) {
      let s = 0;
      for (let b = 0; b < n; b++) s += g[a * n + b] * v[b];
      next[a] = s;
    }
    if (!normalize(next)) return { vector: v, value: 0 };
    let change = 0;
    for (let a = 0; a < n; a++) change = Math.max(change, Math.abs(next[a] - v[a]));
    [v, next] = [next, v];
    if (change < 1e-10) break;
  }
  let value = 0;
  for (let a = 0; a < n; a++) {
    let s = 0;
    for (let b = 0; b < n; b++) s += g[a * n + b] * v[b];
    value += v[a] * s;
  }
  return { vector: v, value };
}

function normalize(v: Float64Array): boolean {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (!(norm > 0)) return false;
  for (let i = 0; i < v.length; i++) v[i] /= norm;
  return true;
}
