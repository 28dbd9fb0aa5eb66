/**
 * Feature maps of a convolutional layer held channel-first ([items, C, h, w] as one Float32Array) whatever
 * the layer's own layout, and the combinations CAM variants make of them: a weighted channel sum, an
 * element-wise weighted sum, and the projection on the first principal direction.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
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
 * The eigenproblem is solved on the smaller Gram matrix (P × P or C × C).
 */
export function firstComponentProjection(
  values: Float32Array,
  channels: number,
  pixels: number,
): Float32Array {
  const out = new Float32Array(pixels);
  if (pixels <= channels) {
    // G = X Xᵀ over pixels (X is P × C); its top eigenvector is u₁, eigenvalue σ₁².
    const g = new Matrix(pixels, pixels);
    for (let p = 0; p < pixels; p++) {
      for (let q = p; q < pixels; q++) {
        let s = 0;
        for (let c = 0; c < channels; c++) s += values[c * pixels + p] * values[c * pixels + q];
        g.set(p, q, s);
        g.set(q, p, s);
      }
    }
    const { vector, value } = topEigen(g);
    const sigma = Math.sqrt(Math.max(value, 0));
    for (let p = 0; p < pixels; p++) out[p] = sigma * vector[p];
  } else {
    // G = Xᵀ X over channels; X v₁ = σ₁ u₁.
    const g = new Matrix(channels, channels);
    for (let a = 0; a < channels; a++) {
      for (let b = a; b < channels; b++) {
        let s = 0;
        for (let p = 0; p < pixels; p++) s += values[a * pixels + p] * values[b * pixels + p];
        g.set(a, b, s);
        g.set(b, a, s);
      }
    }
    const { vector } = topEigen(g);
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

function topEigen(g: Matrix): { vector: number[]; value: number } {
  const evd = new EigenvalueDecomposition(g, { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return { vector: evd.eigenvectorMatrix.getColumn(best), value: values[best] };
}
