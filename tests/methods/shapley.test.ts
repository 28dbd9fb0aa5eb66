/**
 * Shapley values on games whose values are known in closed form (additive, pairwise interactions, unanimity
 * games), Kernel SHAP against exact enumeration, and the efficiency property under a budget.
 */
import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { exactShapley, kernelShap, type CoalitionGame } from '../../src/methods/shapley/index.js';
import { FIT_OPERATOR_MAX_WORK } from '../../src/methods/shapley/kernel-shap.js';

/** A game from a function of the membership vector; counts evaluations. */
function game(numPlayers: number, value: (z: Uint8Array) => number[], numOutputs = 1) {
  const calls = { coalitions: 0 };
  const g: CoalitionGame = {
    numPlayers,
    numOutputs,
    values: async (coalitions) => {
      calls.coalitions += coalitions.length;
      return Float64Array.from(coalitions.flatMap((z) => value(z)));
    },
  };
  return { game: g, calls };
}

/** v(S) = Σ a_i + Σ_{pairs} b_ij [i, j ∈ S] + c·[S ⊇ T]: Shapley values a_i + Σ_j b_ij / 2 + c/|T| for i ∈ T. */
function interactionGame(m: number, seed: number) {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const a = Array.from({ length: m }, rnd);
  const b = Array.from({ length: m }, () => Array.from({ length: m }, rnd));
  const unanimity = [0, 2, m - 1];
  const c = 3;
  const value = (z: Uint8Array) => {
    let v = 0;
    for (let i = 0; i < m; i++) {
      if (!z[i]) continue;
      v += a[i];
      for (let j = i + 1; j < m; j++) if (z[j]) v += b[i][j];
    }
    if (unanimity.every((i) => z[i])) v += c;
    return [v];
  };
  const shapley = Array.from({ length: m }, (_, i) => {
    let phi = a[i];
    for (let j = 0; j < m; j++) if (j !== i) phi += b[Math.min(i, j)][Math.max(i, j)] / 2;
    if (unanimity.includes(i)) phi += c / unanimity.length;
    return phi;
  });
  return { value, shapley };
}

describe('Shapley values', () => {
  it('exact enumeration gives the closed-form values of an interaction game', async () => {
    const { value, shapley } = interactionGame(7, 3);
    const { game: g, calls } = game(7, value);
    const r = await exactShapley(g);
    expect(calls.coalitions).toBe(128);
    expect(r.exact).toBe(true);
    for (let i = 0; i < 7; i++) expect(r.values[i]).toBeCloseTo(shapley[i], 10);
  });

  it('Kernel SHAP with every coalition equals the exact values, for several outputs at once', async () => {
    const first = interactionGame(8, 5);
    const second = interactionGame(8, 9);
    const { game: g, calls } = game(8, (z) => [first.value(z)[0], second.value(z)[0]], 2);
    const r = await kernelShap(g, { maxNumSubsets: 256 });
    expect(r.exact).toBe(true);
    expect(r.numSubsets).toBe(256);
    expect(calls.coalitions).toBe(256);
    for (let i = 0; i < 8; i++) {
      expect(r.values[i]).toBeCloseTo(first.shapley[i], 8);
      expect(r.values[8 + i]).toBeCloseTo(second.shapley[i], 8);
    }
  });

  it('is exact on an additive game from the sizes 1 and M − 1 alone', async () => {
    const weights = [0.5, -2, 3, 1, 0, 4, -1, 2, 0.25, 1.5, -0.75, 2.5];
    const { game: g } = game(12, (z) => [weights.reduce((s, w, i) => s + w * z[i], 10)]);
    const r = await kernelShap(g, { maxNumSubsets: 26 });
    expect(r.exact).toBe(false);
    expect(r.emptyValue[0]).toBe(10);
    for (let i = 0; i < 12; i++) expect(r.values[i]).toBeCloseTo(weights[i], 9);
  });

  it('fits through a precomputed linear map or through LU solves per call, with the same values', async () => {
    // 150 players: (M − 1)² × coalitions is below the precomputation limit at 302 coalitions, above it at 1 024.
    const m = 150;
    const weights = Array.from({ length: m }, (_, i) => Math.sin(i + 1) * 3);
    const additive = (z: Uint8Array) => [weights.reduce((s, w, i) => s + w * z[i], -4)];
    for (const budget of [2 * m + 2, 1024]) {
      expect((m - 1) ** 2 * (budget - 2) > FIT_OPERATOR_MAX_WORK).toBe(budget === 1024);
      const r = await kernelShap(game(m, additive).game, { maxNumSubsets: budget });
      // An additive game is fitted exactly by any set of coalitions.
      for (let i = 0; i < m; i++) expect(r.values[i]).toBeCloseTo(weights[i], 8);
    }
  });

  it('under a budget: efficiency holds exactly, the error shrinks with the budget, and the seed fixes the result', async () => {
    const { value, shapley } = interactionGame(14, 11);
    const error = async (maxNumSubsets: number, seed: number) => {
      const { game: g, calls } = game(14, value);
      const r = await kernelShap(g, { maxNumSubsets, seed });
      expect(calls.coalitions).toBe(maxNumSubsets);
      const sum = r.values.reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(r.fullValue[0] - r.emptyValue[0], 9);
      return { r, rms: Math.sqrt(shapley.reduce((s, v, i) => s + (v - r.values[i]) ** 2, 0) / 14) };
    };
    const small = await error(200, 1);
    const large = await error(4000, 1);
    expect(large.rms).toBeLessThan(small.rms);
    expect(large.rms).toBeLessThan(0.05);
    const again = await error(200, 1);
    expect(Array.from(again.r.values)).toEqual(Array.from(small.r.values));
    const other = await error(200, 2);
    expect(Array.from(other.r.values)).not.toEqual(Array.from(small.r.values));
  });

  it('handles one and two players and rejects budgets and games it cannot use', async () => {
    const one = await kernelShap(game(1, (z) => [5 * z[0] + 1]).game);
    expect(Array.from(one.values)).toEqual([5]);
    const two = await kernelShap(game(2, (z) => [z[0] + 2 * z[1] + 3 * z[0] * z[1]]).game);
    expect(two.values[0]).toBeCloseTo(2.5, 10);
    expect(two.values[1]).toBeCloseTo(3.5, 10);
    await expect(kernelShap(game(10, () => [0]).game, { maxNumSubsets: 5 })).rejects.toThrow(OptionError);
    await expect(kernelShap(game(40, () => [0]).game, { maxNumSubsets: 2 ** 30 })).rejects.toThrow(
      /maxNumSubsets must be an integer from 41 .* to 1048576/,
    );
    await expect(exactShapley(game(21, () => [0]).game)).rejects.toThrow(/between 1 and 20 players/);
    await expect(kernelShap(game(3, () => [NaN]).game)).rejects.toThrow(/non-finite/);
  });
});
