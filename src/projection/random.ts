/**
 * Small seeded random generator for projections: mulberry32 for uniforms and Box–Muller for normals.
 * The same algorithm is written in `tools/reference/tsne_sklearn.py`, so test data generated here and there is
 * identical (up to the last bit of libm's log/cos).
 */

/** Uniform numbers in [0, 1) from a 32-bit seed; same seed → same sequence. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SeededRandom {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. Draws two uniforms per value (the second Box–Muller value is discarded on purpose). */
  normal(): number;
  /** Integer in [0, n). */
  integer(n: number): number;
}

export function seededRandom(seed: number): SeededRandom {
  const uniform = mulberry32(seed);
  return {
    uniform,
    normal() {
      // 1 - u lies in (0, 1], so the log is finite.
      const u1 = 1 - uniform();
      const u2 = uniform();
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    },
    integer(n: number) {
      return Math.floor(uniform() * n);
    },
  };
}
