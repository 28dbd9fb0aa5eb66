/**
 * Shapley values by their definition: every coalition evaluated once (2^M of them), then
 *   φ_i = Σ_{S ⊆ N∖{i}} |S|! (M − |S| − 1)! / M! · (v(S ∪ {i}) − v(S)).
 * The reference the sampled methods are checked against; practical up to about 16 players.
 */
import {
  checkPlayers,
  evaluate,
  type CoalitionGame,
  type ShapleyProgress,
  type ShapleyResult,
} from './game.js';

/** Most players enumerated (2^20 coalitions). */
export const MAX_EXACT_PLAYERS = 20;
/** Coalitions per call of the game. */
const CHUNK = 4096;

export async function exactShapley(
  game: CoalitionGame,
  options: ShapleyProgress = {},
): Promise<ShapleyResult> {
  checkPlayers(game, MAX_EXACT_PLAYERS, 'exactShapley');
  const m = game.numPlayers;
  const k = game.numOutputs;
  const total = 2 ** m;
  // Coalition index = bit mask of its players.
  const values = new Float64Array(total * k);
  for (let first = 0; first < total; first += CHUNK) {
    const count = Math.min(CHUNK, total - first);
    const coalitions = Array.from({ length: count }, (_, j) => membership(first + j, m));
    values.set(await evaluate(game, coalitions), first * k);
    options.onProgress?.({ done: first + count, total, stage: 'coalitions' });
  }
  // weight[s] = s! (m − s − 1)! / m!, built by a ratio recurrence to stay in range.
  const weight = new Float64Array(m);
  weight[0] = 1 / m;
  for (let s = 1; s < m; s++) weight[s] = (weight[s - 1] * s) / (m - s);
  const phi = new Float64Array(k * m);
  for (let mask = 0; mask < total; mask++) {
    const size = popcount(mask);
    for (let i = 0; i < m; i++) {
      const bit = 1 << i;
      if (mask & bit) continue;
      const w = weight[size];
      for (let o = 0; o < k; o++) phi[o * m + i] += w * (values[(mask | bit) * k + o] - values[mask * k + o]);
    }
  }
  return {
    values: phi,
    emptyValue: values.slice(0, k),
    fullValue: values.slice((total - 1) * k, total * k),
    exact: true,
    numSubsets: total,
  };
}

function membership(mask: number, m: number): Uint8Array {
  const z = new Uint8Array(m);
  for (let i = 0; i < m; i++) z[i] = (mask >>> i) & 1;
  return z;
}

function popcount(mask: number): number {
  let c = 0;
  for (let v = mask; v; v &= v - 1) c++;
  return c;
}
