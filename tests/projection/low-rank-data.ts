import { seededRandom } from '../../src/projection/random.js';

/**
 * n × dim test data: a signal of rank scales.length, with those standard deviations along random unit
 * directions, around a mean of 0.5 per feature, plus gaussian noise of the given deviation.
 */
export function lowRankData(
  n: number,
  dim: number,
  options: { scales: number[]; noise: number; seed: number },
): Float32Array {
  const random = seededRandom(options.seed);
  const directions = options.scales.map(() => {
    const v = Float64Array.from({ length: dim }, () => random.normal());
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < dim; c++) data[i * dim + c] = 0.5 + options.noise * random.normal();
    options.scales.forEach((s, r) => {
      const a = s * random.normal();
      for (let c = 0; c < dim; c++) data[i * dim + c] += a * directions[r][c];
    });
  }
  return data;
}
