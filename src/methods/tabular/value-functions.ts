/**
 * The two value functions of MATLAB's `shapley` for one query point q, as coalition games over the features
 * (one output per model output column):
 * - interventional: v(S) = mean over the background rows b of f(q_S, b_¬S) — features outside S are set to
 *   background values regardless of q (Kernel SHAP's assumption of independent features);
 * - conditional: v(S) ≈ E[f(q_S, X_¬S) | X_S = q_S], estimated empirically (Aas, Jullum & Løland 2021) from
 *   the background rows nearest to q on the features in S — the nearest 10 % of them (at least one), by
 *   Euclidean distance over features scaled by their background standard deviation (0/1 mismatch for a
 *   categorical feature). v(∅) is the mean over all background rows and v(all) = f(q) in both.
 */
import type { CoalitionGame } from '../shapley/game.js';
import type { TableScorer } from './scorer.js';

export type ShapleyMethod = 'interventional' | 'conditional';

export interface TableGameInput {
  scorer: TableScorer;
  /**
   * Background rows and the query, standardised as the model takes them (mixing features commutes with the
   * per-feature standardisation, and the scaled distances do not change under it).
   */
  background: Float32Array;
  numFeatures: number;
  query: Float32Array;
  categorical: readonly boolean[];
}

/** Share of the background rows that form the conditional neighbourhood of a coalition. */
export const CONDITIONAL_NEIGHBOUR_SHARE = 0.1;

export function conditionalNeighbours(backgroundRows: number): number {
  return Math.max(1, Math.ceil(CONDITIONAL_NEIGHBOUR_SHARE * backgroundRows));
}

export function tableGame(method: ShapleyMethod, input: TableGameInput): CoalitionGame {
  return method === 'interventional' ? interventionalGame(input) : conditionalGame(input);
}

/** Mean of each output over consecutive groups of rows. */
function groupMeans(scores: Float32Array, columns: number, groupSizes: readonly number[]): Float64Array {
  const out = new Float64Array(groupSizes.length * columns);
  let row = 0;
  groupSizes.forEach((size, g) => {
    for (let r = 0; r < size; r++, row++) {
      for (let o = 0; o < columns; o++) out[g * columns + o] += scores[row * columns + o];
    }
    for (let o = 0; o < columns; o++) out[g * columns + o] /= size;
  });
  return out;
}

function interventionalGame({ scorer, background, numFeatures: m, query }: TableGameInput): CoalitionGame {
  const n = background.length / m;
  const sizes = (count: number) => new Array<number>(count).fill(n);
  return {
    numPlayers: m,
    numOutputs: scorer.columns,
    async values(coalitions) {
      const batch = new Float32Array(coalitions.length * background.length);
      // Plain indexed loops: this runs once per model row and is the method's own hot path.
      const from = new Float32Array(m);
      const own = new Uint8Array(m);
      let at = 0;
      for (let c = 0; c < coalitions.length; c++) {
        const z = coalitions[c];
        for (let f = 0; f < m; f++) {
          own[f] = z[f];
          from[f] = query[f];
        }
        for (let i = 0; i < background.length; i += m) {
          for (let f = 0; f < m; f++) batch[at + f] = own[f] ? from[f] : background[i + f];
          at += m;
        }
      }
      const scores = await scorer.scoreStandardized(batch, coalitions.length * n);
      return groupMeans(scores, scorer.columns, sizes(coalitions.length));
    },
  };
}

function conditionalGame({
  scorer,
  background,
  numFeatures: m,
  query,
  categorical,
}: TableGameInput): CoalitionGame {
  const n = background.length / m;
  const k = conditionalNeighbours(n);
  const scale = featureScales(background, m);
  // Per feature and background row, the (scaled) squared distance to the query on that feature.
  const gap = new Float64Array(n * m);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < m; f++) {
      const d = background[r * m + f] - query[f];
      gap[r * m + f] = categorical[f] ? (d === 0 ? 0 : 1) : (d / scale[f]) ** 2;
    }
  }
  const neighbours = (z: Uint8Array): number[] => {
    const distance = new Float64Array(n);
    for (let r = 0; r < n; r++) for (let f = 0; f < m; f++) if (z[f]) distance[r] += gap[r * m + f];
    const order = Array.from({ length: n }, (_, r) => r);
    order.sort((a, b) => distance[a] - distance[b] || a - b);
    return order.slice(0, k);
  };
  return {
    numPlayers: m,
    numOutputs: scorer.columns,
    async values(coalitions) {
      const picks = coalitions.map((z) => {
        const size = z.reduce((s, b) => s + b, 0);
        if (size === 0) return Array.from({ length: n }, (_, r) => r);
        if (size === m) return [0];
        return neighbours(z);
      });
      const sizes = picks.map((p) => p.length);
      const batch = new Float32Array(sizes.reduce((a, b) => a + b, 0) * m);
      let at = 0;
      coalitions.forEach((z, c) => {
        for (const r of picks[c]) {
          for (let f = 0; f < m; f++) batch[at + f] = z[f] ? query[f] : background[r * m + f];
          at += m;
        }
      });
      const scores = await scorer.scoreStandardized(batch, batch.length / m);
      return groupMeans(scores, scorer.columns, sizes);
    },
  };
}

/** Per-feature standard deviation of the background (1 where a feature is constant). */
export function featureScales(rows: Float32Array, m: number): Float64Array {
  const n = rows.length / m;
  const mean = new Float64Array(m);
  const scale = new Float64Array(m);
  for (let i = 0; i < rows.length; i++) mean[i % m] += rows[i] / n;
  for (let i = 0; i < rows.length; i++) scale[i % m] += (rows[i] - mean[i % m]) ** 2 / n;
  return scale.map((v) => (v > 0 ? Math.sqrt(v) : 1));
}
