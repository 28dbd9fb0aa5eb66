import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { createRandom, randomFromState } from '../../src/util/random.js';
import { zigguratTables } from '../../src/util/ziggurat.js';

describe('seeded random', () => {
  it('is xoshiro128** 1.1 (checked against a BigInt transcription of the reference C code)', () => {
    const mask = (1n << 32n) - 1n;
    const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & mask;
    const s = [1n, 2n, 3n, 4n];
    const reference = (): number => {
      const result = (rotl((s[1] * 5n) & mask, 7n) * 9n) & mask;
      const t = (s[1] << 9n) & mask;
      s[2] ^= s[0];
      s[3] ^= s[1];
      s[1] ^= s[2];
      s[0] ^= s[3];
      s[2] ^= t;
      s[3] = rotl(s[3], 11n);
      return Number(result);
    };
    const r = randomFromState([1, 2, 3, 4]);
    const ours = Array.from({ length: 1000 }, () => r.nextUint32());
    const theirs = Array.from({ length: 1000 }, reference);
    // By hand: rotl(2 * 5, 7) * 9 = 11520, then s[1] becomes 0.
    expect(ours.slice(0, 2)).toEqual([11520, 0]);
    expect(ours).toEqual(theirs);
  });

  it('repeats for a seed and differs between seeds', () => {
    const draw = (seed: number) => {
      const r = createRandom(seed);
      return Array.from({ length: 16 }, () => r.nextUint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(0)).not.toEqual(draw(2 ** 32));
  });

  it('has the moments of U[0,1) and N(0,1)', () => {
    const r = createRandom(7);
    const n = 200_000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      su += u;
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(sn / n).toBeCloseTo(0, 2);
    expect(sn2 / n).toBeCloseTo(1, 1);
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 50_000; i++) counts[r.nextInt(5)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it('addNormal adds mean + std · z, the same numbers for the same state, and nothing outside the array', () => {
    const base = Float32Array.from({ length: 1000 }, (_, i) => i / 7);
    const a = Float32Array.from(base);
    const b = Float32Array.from(base);
    createRandom(7).addNormal(a.subarray(10, 990), 0.25, 0.3);
    createRandom(7).addNormal(b.subarray(10, 990), 0.25, 0.3);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a.subarray(0, 10))).toEqual(Array.from(base.subarray(0, 10)));
    expect(Array.from(a.subarray(990))).toEqual(Array.from(base.subarray(990)));
    const c = Float32Array.from(base);
    createRandom(8).addNormal(c.subarray(10, 990), 0.25, 0.3);
    expect(Array.from(c)).not.toEqual(Array.from(a));
    // std 0 leaves only the mean.
    const d = new Float32Array(5);
    createRandom(7).addNormal(d, 1.5, 0);
    expect(Array.from(d)).toEqual([1.5, 1.5, 1.5, 1.5, 1.5]);
  });

  it('fillUint32 writes the draws nextUint32 would give and leaves the state where they would', () => {
    const a = createRandom(21);
    const b = createRandom(21);
    const filled = new Uint32Array(3000);
    a.fillUint32(filled, 2999);
    const called = Array.from({ length: 2999 }, () => b.nextUint32());
    expect(Array.from(filled.subarray(0, 2999))).toEqual(called);
    expect(filled[2999]).toBe(0);
    expect(a.nextUint32()).toBe(b.nextUint32());
  });

  it('addNormal uses every draw it takes: one call equals the same samples made in pieces', () => {
    // Pieces across the 1024-draw blocks; 1 % of samples take extra draws (wedges, tail, retries).
    const whole = new Float32Array(5000);
    const pieces = new Float32Array(5000);
    const one = createRandom(4);
    one.addNormal(whole, 0, 1);
    const split = createRandom(4);
    for (const [from, to] of [
      [0, 1],
      [1, 1500],
      [1500, 1501],
      [1501, 4000],
      [4000, 5000],
    ]) {
      split.addNormal(pieces.subarray(from, to), 0, 1);
    }
    expect(Array.from(pieces)).toEqual(Array.from(whole));
    expect(split.nextUint32()).toBe(one.nextUint32());
  });

  it("the ziggurat's layers all have the area V, the top one included (R and V agree), the base with its tail", () => {
    const { x, f, r, v } = zigguratTables();
    expect(x[1]).toBe(r);
    expect(x[256]).toBe(0);
    for (let i = 1; i < 256; i++) expect(Math.abs(x[i] * (f[i + 1] - f[i]) - v)).toBeLessThan(1e-9 * v);
    // The top layer closes the recursion only if R and V belong together (Marsaglia & Tsang's pair for 256).
    expect(Math.abs(x[255] * (1 - f[255]) - v)).toBeLessThan(1e-6 * v);
    const tail = Math.sqrt(2 * Math.PI) * (1 - phi(r));
    expect(Math.abs(r * f[1] + tail - v)).toBeLessThan(1e-5 * v);
    expect(x[0] * f[1]).toBeCloseTo(v, 15);
  });

  it('addNormal draws N(0, 1): Kolmogorov–Smirnov against Φ, the tail beyond the base layer, the moments', () => {
    const n = 1_000_000;
    // Where the ziggurat's base layer ends and its tail sampler takes over.
    const R = 3.6541528853610088;
    const z = new Float32Array(n);
    createRandom(11).addNormal(z, 0, 1);
    let sum = 0;
    let squares = 0;
    let tail = 0;
    for (const v of z) {
      sum += v;
      squares += v * v;
      if (Math.abs(v) > R) tail++;
    }
    expect(Math.abs(sum / n)).toBeLessThan(5 / Math.sqrt(n));
    // Var(z²) = 2: five standard errors.
    expect(Math.abs(squares / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    // P(|z| > R) = 2 (1 − Φ(R)) ≈ 2.58e-4: the tail sampler's share, within five binomial standard errors.
    const pTail = 2 * (1 - phi(R));
    expect(Math.abs(tail - n * pTail)).toBeLessThan(5 * Math.sqrt(n * pTail));
    // The largest gap between the empirical and the normal CDF: 1.95 / √n is the 0.1 % critical value.
    const sorted = Float64Array.from(z).sort();
    let d = 0;
    for (let i = 0; i < n; i++) {
      const f = phi(sorted[i]);
      d = Math.max(d, Math.abs(f - i / n), Math.abs(f - (i + 1) / n));
    }
    expect(d).toBeLessThan(1.95 / Math.sqrt(n));
    // Pearson's χ² over 200 bins of equal probability (199 degrees of freedom; 0.1 % critical value 267).
    const bins = 200;
    let chi2 = 0;
    let at = 0;
    for (let b = 1; b <= bins; b++) {
      let count = 0;
      while (at < n && (b === bins || phi(sorted[at]) < b / bins)) {
        count++;
        at++;
      }
      chi2 += (count - n / bins) ** 2 / (n / bins);
    }
    expect(chi2).toBeLessThan(267);
    // Beyond R the excess z − R has mean φ(R) / (1 − Φ(R)) − R (the tail sampler's shape, not just its share).
    const excess = Array.from(z, Math.abs)
      .filter((v) => v > R)
      .map((v) => v - R);
    const mean = excess.reduce((a, b) => a + b, 0) / excess.length;
    const spread = Math.sqrt(excess.reduce((a, b) => a + (b - mean) ** 2, 0) / excess.length);
    const expected = Math.exp(-0.5 * R * R) / Math.sqrt(2 * Math.PI) / (1 - phi(R)) - R;
    expect(Math.abs(mean - expected)).toBeLessThan((5 * spread) / Math.sqrt(excess.length));
  });

  it('rejects a non-integer seed', () => {
    expect(() => createRandom(1.5)).toThrow(OptionError);
  });
});

/** Standard normal CDF through erfc (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return x >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
}
