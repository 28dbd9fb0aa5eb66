/**
 * Noisy linear imputation (Rong et al., "A Consistent and Efficient Evaluation Strategy for Attribution
 * Methods", ROAD, 2022): every removed pixel becomes the weighted mean of its eight neighbours (direct ones
 * weigh 1/6, diagonal ones 1/12), removed neighbours included, so the values solve one sparse linear system
 * per channel; a little noise is added so the shape of the removed region does not leak through the values.
 *
 * The system is symmetric positive definite once a tiny pull towards the channel mean is added (which also
 * settles regions with no kept neighbour), and is solved by conjugate gradients.
 */
import type { Random } from '../util/random.js';

const DIRECT = 1 / 6;
const DIAGONAL = 1 / 12;
const PULL = 1e-3;

export interface ImputeGeometry {
  height: number;
  width: number;
  channels: number;
  channelStride: number;
  pixelStride: number;
}

/**
 * Imputes the pixels where `removed[p]` is 1 in `image` (one image in the model layout), in place.
 * `noise` is the noise standard deviation as a fraction of each channel's value range.
 */
export function imputeLinear(
  image: Float32Array,
  removed: Uint8Array,
  geo: ImputeGeometry,
  noise: number,
  random: Random,
): void {
  const { height: H, width: W } = geo;
  const unknown: number[] = [];
  const slot = new Int32Array(H * W).fill(-1);
  for (let p = 0; p < H * W; p++) {
    if (removed[p]) {
      slot[p] = unknown.length;
      unknown.push(p);
    }
  }
  const m = unknown.length;
  if (m === 0) return;
  // Per unknown pixel, in the fixed neighbour order: links to unknown pixels (the matrix) and to kept
  // pixels (the right-hand side), so the solver's inner loop has no lookups or branches.
  const linkStart = new Int32Array(m + 1);
  const linkTarget = new Int32Array(m * 8);
  const linkWeight = new Float64Array(m * 8);
  const keptStart = new Int32Array(m + 1);
  const keptPixel = new Int32Array(m * 8);
  const keptWeight = new Float64Array(m * 8);
  const diagonal = new Float64Array(m);
  let links = 0;
  let kept = 0;
  for (let u = 0; u < m; u++) {
    const y = Math.floor(unknown[u] / W);
    const x = unknown[u] - y * W;
    let sum = 0;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        if ((dy === 0 && dx === 0) || y + dy < 0 || y + dy >= H || x + dx < 0 || x + dx >= W) continue;
        const w = dy === 0 || dx === 0 ? DIRECT : DIAGONAL;
        const p = (y + dy) * W + x + dx;
        if (slot[p] >= 0) {
          linkTarget[links] = slot[p];
          linkWeight[links++] = w;
        } else {
          keptPixel[kept] = p;
          keptWeight[kept++] = w;
        }
        sum += w;
      }
    }
    linkStart[u + 1] = links;
    keptStart[u + 1] = kept;
    diagonal[u] = sum + PULL;
  }
  const b = new Float64Array(m);
  const v = new Float64Array(m);
  const r = new Float64Array(m);
  const d = new Float64Array(m);
  const q = new Float64Array(m);
  for (let c = 0; c < geo.channels; c++) {
    const at = (p: number) => c * geo.channelStride + p * geo.pixelStride;
    let mean = 0;
    let lo = Infinity;
    let hi = -Infinity;
    let known = 0;
    for (let p = 0; p < H * W; p++) {
      const value = image[at(p)];
      lo = Math.min(lo, value);
      hi = Math.max(hi, value);
      if (!removed[p]) {
        mean += value;
        known++;
      }
    }
    mean = known > 0 ? mean / known : (lo + hi) / 2;
    // b: kept neighbours' contribution and the pull; start every unknown at the mean.
    for (let u = 0; u < m; u++) {
      let s = PULL * mean;
      for (let k = keptStart[u]; k < keptStart[u + 1]; k++) s += keptWeight[k] * image[at(keptPixel[k])];
      b[u] = s;
      v[u] = mean;
    }
    const apply = (x: Float64Array, out: Float64Array) => {
      for (let u = 0; u < m; u++) {
        let s = diagonal[u] * x[u];
        for (let k = linkStart[u]; k < linkStart[u + 1]; k++) s -= linkWeight[k] * x[linkTarget[k]];
        out[u] = s;
      }
    };
    apply(v, q);
    let rr = 0;
    let bb = 0;
    for (let u = 0; u < m; u++) {
      r[u] = b[u] - q[u];
      d[u] = r[u];
      rr += r[u] * r[u];
      bb += b[u] * b[u];
    }
    const tolerance = 1e-6 * Math.max(bb, 1e-30);
    for (let iter = 0; iter < 2 * m && rr > tolerance; iter++) {
      apply(d, q);
      let dq = 0;
      for (let u = 0; u < m; u++) dq += d[u] * q[u];
      const alpha = rr / dq;
      let next = 0;
      for (let u = 0; u < m; u++) {
        v[u] += alpha * d[u];
        r[u] -= alpha * q[u];
        next += r[u] * r[u];
      }
      const beta = next / rr;
      rr = next;
      for (let u = 0; u < m; u++) d[u] = r[u] + beta * d[u];
    }
    const sigma = noise * (hi - lo);
    for (let u = 0; u < m; u++) image[at(unknown[u])] = v[u] + (sigma > 0 ? random.normal(0, sigma) : 0);
  }
}
