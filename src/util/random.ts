/**
 * Seeded pseudo-random numbers. Every random choice in netlens goes through a `Random` made from a
 * user-visible `seed`, so the same seed gives the same bytes on every run and platform.
 *
 * Generator: xoshiro128** (32-bit state words, exact in JS integer arithmetic via Math.imul), its state
 * filled from the seed by splitmix32 so that nearby seeds give unrelated streams.
 */
import { OptionError } from '../errors.js';
import { addZigguratNormal } from './ziggurat.js';

export interface Random {
  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** The next `count` draws of `nextUint32` written to out[0..count): the same numbers, without a call per draw. */
  fillUint32(out: Uint32Array, count: number): void;
  /** Uniform float in [0, 1) with 32 bits of resolution. */
  next(): number;
  /** Uniform integer in [0, n). */
  nextInt(n: number): number;
  /** Normal sample (Box–Muller). */
  normal(mean?: number, std?: number): number;
  /**
   * Adds a normal sample to every element of `values`, in order, drawn by the ziggurat method (see
   * ziggurat.ts): not the numbers `normal()` would give, but the same for the same state, and 2.7 times
   * faster on large arrays (noise for SmoothGrad).
   */
  addNormal(values: Float32Array, mean: number, std: number): void;
}

/** Default seed used when a method's `seed` option is left out (documented, so results stay reproducible). */
export const DEFAULT_SEED = 0;

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Checks a user-supplied seed: a finite integer (negative values are taken modulo 2^32). */
export function checkSeed(seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed)) {
    throw new OptionError('INVALID_OPTION', `seed must be an integer, got ${String(seed)}`);
  }
  return seed;
}

export function createRandom(seed: number = DEFAULT_SEED): Random {
  checkSeed(seed);
  // Fold the high bits in so seeds above 2^32 still differ from their low word.
  const init = splitmix32((seed >>> 0) ^ Math.floor(seed / 4294967296));
  return randomFromState([init(), init(), init(), init()]);
}

/** A generator started from an explicit xoshiro128** state (four 32-bit words, not all zero). */
export function randomFromState(state: readonly number[]): Random {
  const s = Uint32Array.from(state.slice(0, 4));
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1; // the all-zero state is a fixed point
  let spareNormal: number | undefined;

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  const next = (): number => nextUint32() / 4294967296;
  const fillUint32 = (out: Uint32Array, count: number): void => {
    // The state in locals for the loop: nextUint32's typed-array reads and writes per draw cost more than the draw.
    let [s0, s1, s2, s3] = s;
    for (let i = 0; i < count; i++) {
      const m = Math.imul(s1, 5);
      const r = Math.imul((m << 7) | (m >>> 25), 9);
      out[i] = r;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
  };

  return {
    nextUint32,
    fillUint32,
    next,
    nextInt(n: number): number {
      if (!Number.isInteger(n) || n <= 0) throw new RangeError(`nextInt needs a positive integer, got ${n}`);
      return Math.floor(next() * n);
    },
    normal(mean = 0, std = 1): number {
      if (spareNormal !== undefined) {
        const z = spareNormal;
        spareNormal = undefined;
        return mean + std * z;
      }
      // 1 - next() lies in (0, 1], so the logarithm is finite.
      const r = Math.sqrt(-2 * Math.log(1 - next()));
      const theta = 2 * Math.PI * next();
      spareNormal = r * Math.sin(theta);
      return mean + std * r * Math.cos(theta);
    },
    addNormal(values: Float32Array, mean: number, std: number): void {
      addZigguratNormal(values, mean, std, fillUint32);
    },
  };
}
