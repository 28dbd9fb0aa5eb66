/**
 * UMAP's low-dimensional similarity 1 / (1 + a·d^(2b)), with a and b fitted (least squares, as umap-learn's
 * `find_ab_params`) to the curve that is 1 up to `minDist` and exp(-(d - minDist) / spread) beyond, on 300
 * equispaced distances in [0, 3·spread]. Levenberg–Marquardt from a = b = 1 (scipy's curve_fit default start).
 */
const SAMPLES = 300;
const STEPS = 200;

export function fitUmapCurve(spread: number, minDist: number): { a: number; b: number } {
  const xs = new Float64Array(SAMPLES);
  const ys = new Float64Array(SAMPLES);
  for (let s = 0; s < SAMPLES; s++) {
    const x = (3 * spread * s) / (SAMPLES - 1);
    xs[s] = x;
    ys[s] = x < minDist ? 1 : Math.exp(-(x - minDist) / spread);
  }
  const residual = (a: number, b: number): number => {
    let sum = 0;
    for (let s = 0; s < SAMPLES; s++) {
      const r = 1 / (1 + a * xs[s] ** (2 * b)) - ys[s];
      sum += r * r;
    }
    return sum;
  };
  let a = 1;
  let b = 1;
  let cost = residual(a, b);
  let lambda = 1e-3;
  for (let step = 0; step < STEPS; step++) {
    // Normal equations J^T J δ = -J^T r of the two parameters.
    let jaa = 0;
    let jab = 0;
    let jbb = 0;
    let ga = 0;
    let gb = 0;
    for (let s = 0; s < SAMPLES; s++) {
      const x = xs[s];
      if (x === 0) continue;
      const u = x ** (2 * b);
      const q = 1 + a * u;
      const r = 1 / q - ys[s];
      const da = -u / (q * q);
      const db = (-a * u * 2 * Math.log(x)) / (q * q);
      jaa += da * da;
      jab += da * db;
      jbb += db * db;
      ga += da * r;
      gb += db * r;
    }
    let improved = false;
    while (lambda < 1e12) {
      const maa = jaa * (1 + lambda);
      const mbb = jbb * (1 + lambda);
      const det = maa * mbb - jab * jab;
      const stepA = (-ga * mbb + gb * jab) / det;
      const stepB = (-gb * maa + ga * jab) / det;
      const next = residual(a + stepA, b + stepB);
      if (next < cost && a + stepA > 0 && b + stepB > 0) {
        a += stepA;
        b += stepB;
        const gain = cost - next;
        cost = next;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = gain > 1e-15 * Math.max(cost, 1e-300);
        break;
      }
      lambda *= 10;
    }
    if (!improved) break;
  }
  return { a, b };
}
