import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { createRandom, randomFromState } from '../../src/util/random.js';

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

  it('addNormal adds the numbers normal() draws, in the same order, whatever the spare and the length', () => {
    for (const [before, length] of [
      [0, 9],
      [1, 9],
      [1, 10],
      [0, 1],
      [3, 0],
    ]) {
      const bulk = createRandom(7);
      const single = createRandom(7);
      for (let i = 0; i < before; i++) expect(bulk.normal()).toBe(single.normal());
      const base = Float32Array.from({ length }, (_, i) => i / 3 - 1);
      const added = Float32Array.from(base);
      bulk.addNormal(added, 0.25, 0.3);
      const expected = Float32Array.from(base);
      for (let i = 0; i < length; i++) expected[i] += single.normal(0.25, 0.3);
      expect(Array.from(added)).toEqual(Array.from(expected));
      // Both streams stay in step afterwards (the spare included).
      expect(bulk.normal()).toBe(single.normal());
      expect(bulk.next()).toBe(single.next());
    }
  });

  it('rejects a non-integer seed', () => {
    expect(() => createRandom(1.5)).toThrow(OptionError);
  });
});
