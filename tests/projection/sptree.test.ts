import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/projection/random.js';
import { SpaceTree } from '../../src/projection/sptree.js';

/** Direct O(n²) sums: force_i = Σ_j w² (y_i - y_j), Z = Σ_{i≠j} w. */
function directRepulsion(y: Float64Array, n: number, d: number) {
  const force = new Float64Array(n * d);
  let z = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      let dist2 = 0;
      for (let c = 0; c < d; c++) dist2 += (y[i * d + c] - y[j * d + c]) ** 2;
      const w = 1 / (1 + dist2);
      z += w;
      for (let c = 0; c < d; c++) force[i * d + c] += w * w * (y[i * d + c] - y[j * d + c]);
    }
  }
  return { force, z };
}

function clusteredPoints(n: number, d: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  const y = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const cluster = i % 5;
    for (let c = 0; c < d; c++) y[i * d + c] = 10 * cluster * (c === 0 ? 1 : 0.3) + random.normal();
  }
  // Coincident points must not make the tree recurse forever.
  for (let c = 0; c < d; c++) y[d + c] = y[c];
  for (let c = 0; c < d; c++) y[2 * d + c] = y[c];
  return y;
}

function relativeError(a: Float64Array, b: Float64Array): number {
  let err = 0;
  let norm = 0;
  for (let t = 0; t < a.length; t++) {
    err += (a[t] - b[t]) ** 2;
    norm += b[t] ** 2;
  }
  return Math.sqrt(err / norm);
}

describe('space-partitioning tree repulsion', () => {
  for (const d of [2, 3]) {
    it(`${d}-D: theta = 0 gives the direct sums; theta = 0.5 stays close`, () => {
      const n = 700;
      const y = clusteredPoints(n, d, d);
      const direct = directRepulsion(y, n, d);
      for (const leafSize of [1, 16]) {
        const tree = new SpaceTree(n, d, leafSize);
        tree.build(y);
        const force = new Float64Array(n * d);
        const z = tree.repulsion(0, force);
        expect(relativeError(force, direct.force)).toBeLessThan(1e-12);
        expect(Math.abs(z - direct.z) / direct.z).toBeLessThan(1e-12);
        const approx = tree.repulsion(0.5, force);
        expect(relativeError(force, direct.force)).toBeLessThan(2e-2);
        expect(Math.abs(approx - direct.z) / direct.z).toBeLessThan(1e-2);
        // The approximation is not a no-op: it does differ from the exact sums.
        expect(relativeError(force, direct.force)).toBeGreaterThan(0);
      }
    });
  }

  it('keeps every point exactly once in tree order', () => {
    const n = 500;
    const y = clusteredPoints(n, 2, 9);
    const tree = new SpaceTree(n, 2, 4);
    tree.build(y);
    const seen = new Uint8Array(n);
    for (const i of tree.order) seen[i]++;
    expect(seen.every((v) => v === 1)).toBe(true);
    expect(tree.count[0]).toBe(n);
  });
});
