/**
 * Complexity of a map: Gini sparseness of |φ| (Chalasani et al. 2020; 1 = all relevance on one pixel,
 * 0 = spread evenly) and the Shannon entropy of |φ| / Σ|φ| divided by log(pixels) (Bhatt et al. 2020;
 * 0 = one pixel, 1 = uniform).
 */
import type { TensorData } from '../types.js';

function perMap(maps: TensorData, f: (map: Float32Array) => number): number[] {
  const [n, h, w] = maps.dims;
  const size = h * w;
  return Array.from({ length: n }, (_, i) => f(maps.data.subarray(i * size, (i + 1) * size)));
}

export function giniSparseness(maps: TensorData): number[] {
  return perMap(maps, (map) => {
    const a = Float64Array.from(map, Math.abs).sort();
    const n = a.length;
    let total = 0;
    let weighted = 0;
    for (let i = 0; i < n; i++) {
      total += a[i];
      weighted += (2 * (i + 1) - n - 1) * a[i];
    }
    return total > 0 ? weighted / (n * total) : NaN;
  });
}

export function mapEntropy(maps: TensorData): number[] {
  return perMap(maps, (map) => {
    let total = 0;
    for (const v of map) total += Math.abs(v);
    if (!(total > 0)) return NaN;
    let h = 0;
    for (const v of map) {
      const p = Math.abs(v) / total;
      if (p > 0) h -= p * Math.log(p);
    }
    return map.length > 1 ? h / Math.log(map.length) : 0;
  });
}
