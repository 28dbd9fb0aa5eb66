/**
 * A cooperative game as Shapley-value methods see it: players (features, superpixels) and the value of any
 * coalition, for one or several outputs at once (e.g. the scores of several classes from one forward pass).
 */
import { OptionError } from '../../errors.js';
import type { ProgressCallback } from '../../types.js';

export interface CoalitionGame {
  numPlayers: number;
  /** Values per coalition. */
  numOutputs: number;
  /**
   * Values of the coalitions (each a 0/1 membership vector of length numPlayers): `numOutputs` numbers per
   * coalition, coalition-major.
   */
  values(coalitions: readonly Uint8Array[]): Promise<Float64Array>;
}

export interface ShapleyResult {
  /** φ per output and player, output-major: [numOutputs × numPlayers]. */
  values: Float64Array;
  /** v(∅) and v(all players) per output; Σ φ = v(all) − v(∅) exactly. */
  emptyValue: Float64Array;
  fullValue: Float64Array;
  /** Whether every coalition was evaluated (the values are then exact Shapley values). */
  exact: boolean;
  /** Coalitions evaluated, the empty and the full one included. */
  numSubsets: number;
}

export interface ShapleyProgress {
  onProgress?: ProgressCallback;
}

export function checkPlayers(game: CoalitionGame, most: number, method: string): void {
  const { numPlayers, numOutputs } = game;
  if (!Number.isInteger(numPlayers) || numPlayers < 1 || numPlayers > most) {
    throw new OptionError(
      'INVALID_OPTION',
      `${method} needs between 1 and ${most} players, got ${String(numPlayers)}`,
    );
  }
  if (!Number.isInteger(numOutputs) || numOutputs < 1) {
    throw new OptionError(
      'INVALID_OPTION',
      `numOutputs must be a positive integer, got ${String(numOutputs)}`,
    );
  }
}

/** Evaluates coalitions and checks that the game returned one finite number per output and coalition. */
export async function evaluate(
  game: CoalitionGame,
  coalitions: readonly Uint8Array[],
): Promise<Float64Array> {
  const values = await game.values(coalitions);
  if (values.length !== coalitions.length * game.numOutputs) {
    throw new OptionError(
      'INVALID_INPUT',
      `the game returned ${values.length} values for ${coalitions.length} coalitions × ${game.numOutputs} outputs`,
    );
  }
  for (const v of values) {
    if (!Number.isFinite(v))
      throw new OptionError('INVALID_INPUT', `the game returned a non-finite value (${v})`);
  }
  return values;
}

export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) r = (r * (n - Math.min(k, n - k) + i)) / i;
  return Math.round(r);
}
