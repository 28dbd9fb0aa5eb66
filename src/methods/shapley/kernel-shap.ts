/**
 * Kernel SHAP (Lundberg & Lee, 2017): Shapley values as the solution of a weighted least-squares fit of the
 * coalition values, v(z) ≈ φ0 + z·φ, with the Shapley kernel π(z) = (M − 1) / (C(M, |z|) |z| (M − |z|)) as
 * weights and the empty and full coalitions as exact constraints (φ0 = v(∅), Σ φ = v(all) − v(∅)). With every
 * coalition in the fit the solution is exactly the Shapley values; with a budget (`maxNumSubsets`, MATLAB's
 * name and default) coalition sizes are taken in order of kernel mass — sizes 1 and M − 1 first — and
 * enumerated completely while the budget allows, the rest sampled in complementary pairs from the seeded
 * generator in proportion to the kernel.
 */
import { LuDecomposition, Matrix } from 'ml-matrix';
import { OptionError } from '../../errors.js';
import { checkSeed, createRandom, DEFAULT_SEED, type Random } from '../../util/random.js';
import {
  binomial,
  checkPlayers,
  evaluate,
  type CoalitionGame,
  type ShapleyProgress,
  type ShapleyResult,
} from './game.js';

export interface KernelShapOptions extends ShapleyProgress {
  /** Coalitions evaluated at most, the empty and the full one included (default min(2^M, 1024)). */
  maxNumSubsets?: number;
  /** Seed of the coalition sampling (default 0). */
  seed?: number;
}

/** Most players: the least-squares system is (M − 1)², and budgets stay far below 2^M anyway. */
export const MAX_KERNEL_PLAYERS = 4096;
/** Most coalitions per call: they are chosen, and held, before any is evaluated. */
export const MAX_SUBSETS = 2 ** 20;
/** Coalitions per call of the game. */
const CHUNK = 512;

interface Sample {
  z: Uint8Array;
  weight: number;
}

/**
 * The coalitions Kernel SHAP evaluates and its weighted least-squares fit, factorised once: the design and
 * the weights depend only on M, the budget and the seed, so one factorisation serves every query point (one
 * solve, many right-hand sides).
 */
export interface KernelShapDesign {
  numPlayers: number;
  /** Every coalition to evaluate: the empty one, the full one, then the proper ones (read-only: shared). */
  coalitions: readonly Uint8Array[];
  /** Whether every coalition is evaluated (the values are then exact Shapley values). */
  exact: boolean;
  /** Shapley values from the coalition values (coalition-major, `k` outputs per coalition). */
  solve(values: Float64Array, k: number): ShapleyResult;
}

export function kernelShapDesign(m: number, options: KernelShapOptions = {}): KernelShapDesign {
  if (!Number.isInteger(m) || m < 1 || m > MAX_KERNEL_PLAYERS) {
    throw new OptionError(
      'INVALID_OPTION',
      `kernelShap needs between 1 and ${MAX_KERNEL_PLAYERS} players, got ${String(m)}`,
    );
  }
  const all = 2 ** m;
  const budget = options.maxNumSubsets ?? Math.min(all, 1024);
  if (!Number.isInteger(budget) || budget < Math.min(all, m + 1) || budget > MAX_SUBSETS) {
    throw new OptionError(
      'INVALID_OPTION',
      `maxNumSubsets must be an integer from ${Math.min(all, m + 1)} (number of players + 1) to ${MAX_SUBSETS} for ${m} players, got ${String(options.maxNumSubsets)}`,
    );
  }
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  const key = `${m}:${budget}:${seed}`;
  const known = designs.get(key);
  if (known) return known;
  const design = buildDesign(m, budget, seed);
  // A few recent designs are kept: calls that explain one row at a time reuse them.
  if (designs.size >= MAX_CACHED_DESIGNS) designs.delete(designs.keys().next().value as string);
  designs.set(key, design);
  return design;
}

/**
 * Most multiply-adds spent making the fit a linear map, (M − 1)² × coalitions: a query point then costs
 * (M − 1) × coalitions × outputs; beyond it each call solves through the LU factors ((M − 1)² × outputs).
 */
export const FIT_OPERATOR_MAX_WORK = 2 ** 24;

/** Designs by (players, budget, seed): they depend on nothing else, and are read-only. */
const designs = new Map<string, KernelShapDesign>();
const MAX_CACHED_DESIGNS = 8;

function buildDesign(m: number, budget: number, seed: number): KernelShapDesign {
  const all = 2 ** m;
  const random = createRandom(seed);
  const samples = m === 1 ? [] : chooseCoalitions(m, Math.min(budget, all) - 2, random);
  const coalitions = [new Uint8Array(m), new Uint8Array(m).fill(1), ...samples.map((s) => s.z)];
  // The fit as one linear map where making it costs little ((M − 1)² per coalition); else LU solves per call.
  const direct = m > 1 && (m - 1) ** 2 * samples.length <= FIT_OPERATOR_MAX_WORK;
  const fit = direct ? fitOperator(m, samples) : undefined;
  const normal = m > 1 && !direct ? factorNormalEquations(m, samples) : undefined;
  return {
    numPlayers: m,
    coalitions,
    exact: coalitions.length === all,
    solve(values, k) {
      const emptyValue = values.slice(0, k);
      const fullValue = values.slice(k, 2 * k);
      const phi = fit
        ? applyFit(m, k, fit, values, emptyValue, fullValue)
        : normal
          ? solveFactored(m, k, samples, normal, values, emptyValue, fullValue)
          : Float64Array.from(fullValue, (v, o) => v - emptyValue[o]);
      return {
        values: phi,
        emptyValue,
        fullValue,
        exact: coalitions.length === all,
        numSubsets: coalitions.length,
      };
    },
  };
}

export async function kernelShap(
  game: CoalitionGame,
  options: KernelShapOptions & { design?: KernelShapDesign } = {},
): Promise<ShapleyResult> {
  checkPlayers(game, MAX_KERNEL_PLAYERS, 'kernelShap');
  const design = options.design ?? kernelShapDesign(game.numPlayers, options);
  if (design.numPlayers !== game.numPlayers) {
    throw new OptionError(
      'INVALID_OPTION',
      `the Kernel SHAP design is for ${design.numPlayers} players, the game has ${game.numPlayers}`,
    );
  }
  const { coalitions } = design;
  const k = game.numOutputs;
  const values = new Float64Array(coalitions.length * k);
  for (let first = 0; first < coalitions.length; first += CHUNK) {
    const part = coalitions.slice(first, first + CHUNK);
    values.set(await evaluate(game, part), first * k);
    options.onProgress?.({ done: first + part.length, total: coalitions.length, stage: 'coalitions' });
  }
  return design.solve(values, k);
}

/** Total kernel mass of the coalitions of size s (each gets this divided by C(M, s)). */
function sizeWeight(m: number, s: number): number {
  return (m - 1) / (s * (m - s));
}

/** Proper coalitions (neither empty nor full), at most `budget` distinct ones, with their kernel weights. */
function chooseCoalitions(m: number, budget: number, random: Random): Sample[] {
  const samples: Sample[] = [];
  let left = budget;
  let smallest = 1;
  // Whole size pairs (s, M − s) while they fit.
  for (; smallest <= Math.floor(m / 2); smallest++) {
    const paired = smallest !== m - smallest;
    const count = binomial(m, smallest) * (paired ? 2 : 1);
    if (count > left) break;
    for (const sizes of paired ? [smallest, m - smallest] : [smallest]) {
      const w = sizeWeight(m, sizes) / binomial(m, sizes);
      for (const z of subsetsOfSize(m, sizes)) samples.push({ z, weight: w });
    }
    left -= count;
  }
  if (left <= 0 || smallest > Math.floor(m / 2)) return samples;
  // The remaining sizes smallest..M − smallest share their kernel mass among sampled pairs.
  const sizes: number[] = [];
  for (let s = smallest; s <= m - smallest; s++) sizes.push(s);
  const masses = sizes.map((s) => sizeWeight(m, s));
  const massLeft = masses.reduce((a, b) => a + b, 0);
  const drawn = new Map<string, { z: Uint8Array; count: number }>();
  let draws = 0;
  // Repeats are free (no new evaluation); the attempt limit only guards against pathological budgets.
  for (let attempt = 0; left > 0 && attempt < 100 * budget; attempt++) {
    const s = sizes[pick(masses, massLeft, random)];
    const z = randomSubset(m, s, random);
    const complement = z.map((b) => 1 - b);
    draws++;
    for (const c of [z, complement]) {
      const key = c.join('');
      const known = drawn.get(key);
      if (known) known.count++;
      else if (left > 0) {
        drawn.set(key, { z: c, count: 1 });
        left--;
      }
    }
  }
  for (const { z, count } of drawn.values()) samples.push({ z, weight: (massLeft * count) / (2 * draws) });
  return samples;
}

function pick(masses: readonly number[], total: number, random: Random): number {
  let u = random.next() * total;
  for (let i = 0; i < masses.length; i++) {
    u -= masses[i];
    if (u < 0) return i;
  }
  return masses.length - 1;
}

function randomSubset(m: number, size: number, random: Random): Uint8Array {
  const order = Array.from({ length: m }, (_, i) => i);
  const z = new Uint8Array(m);
  for (let i = 0; i < size; i++) {
    const j = i + random.nextInt(m - i);
    [order[i], order[j]] = [order[j], order[i]];
    z[order[i]] = 1;
  }
  return z;
}

function* subsetsOfSize(m: number, size: number): Generator<Uint8Array> {
  const chosen = Array.from({ length: size }, (_, i) => i);
  for (;;) {
    const z = new Uint8Array(m);
    for (const i of chosen) z[i] = 1;
    yield z;
    let i = size - 1;
    while (i >= 0 && chosen[i] === m - size + i) i--;
    if (i < 0) return;
    chosen[i]++;
    for (let j = i + 1; j < size; j++) chosen[j] = chosen[j - 1] + 1;
  }
}

/**
 * Weighted least squares with the efficiency constraint substituted: φ_last = Δ − Σ_{i<last} φ_i, so each
 * row becomes (z_i − z_last)_{i<last} · β ≈ v(z) − v(∅) − z_last Δ. The normal matrix depends only on the
 * coalitions and their weights: it is factorised here once, and each set of values is one cheap solve.
 */
function factorNormalEquations(m: number, samples: readonly Sample[]): LuDecomposition {
  const n = m - 1;
  // Accumulated in a flat array: this loop runs once per coalition.
  const normal = new Float64Array(n * n);
  const row = new Float64Array(n);
  for (const { z, weight } of samples) {
    const last = z[m - 1];
    for (let i = 0; i < n; i++) row[i] = z[i] - last;
    for (let i = 0; i < n; i++) {
      if (row[i] === 0) continue;
      const wi = weight * row[i];
      for (let j = 0; j < n; j++) if (row[j] !== 0) normal[i * n + j] += wi * row[j];
    }
  }
  // A whisper of ridge keeps the system solvable when the sampled coalitions leave a direction unseen.
  let trace = 0;
  for (let i = 0; i < n; i++) trace += normal[i * n + i];
  const ridge = (1e-12 * trace) / n;
  for (let i = 0; i < n; i++) normal[i * n + i] += ridge;
  return new LuDecomposition(toMatrix(normal, n, n));
}

function toMatrix(flat: Float64Array, rows: number, cols: number): Matrix {
  return new Matrix(
    Array.from({ length: rows }, (_, i) => Array.from(flat.subarray(i * cols, (i + 1) * cols))),
  );
}

/**
 * The fit as one linear map of the values: β = N⁻¹ Xᵀ W y with y_r = v(z_r) − v(∅) − z_r,last Δ, so
 * β = P v − v(∅) Σ_r P_·r − Δ Σ_r P_·r z_r,last with P = N⁻¹ Xᵀ W, solved once for all its columns.
 */
interface FitOperator {
  /** P, row-major [M − 1, samples]. */
  p: Float64Array;
  /** Σ_r P_ir and Σ_r P_ir z_r,last per i. */
  rowSum: Float64Array;
  lastSum: Float64Array;
}

function fitOperator(m: number, samples: readonly Sample[]): FitOperator {
  const n = m - 1;
  const count = samples.length;
  const design = new Float64Array(n * count);
  samples.forEach(({ z, weight }, r) => {
    const last = z[m - 1];
    for (let i = 0; i < n; i++) design[i * count + r] = weight * (z[i] - last);
  });
  const solved = factorNormalEquations(m, samples).solve(toMatrix(design, n, count));
  const p = new Float64Array(n * count);
  const rowSum = new Float64Array(n);
  const lastSum = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < count; r++) {
      const v = solved.get(i, r);
      p[i * count + r] = v;
      rowSum[i] += v;
      lastSum[i] += v * samples[r].z[m - 1];
    }
  }
  return { p, rowSum, lastSum };
}

/** φ for every output through the fit operator. */
function applyFit(
  m: number,
  k: number,
  { p, rowSum, lastSum }: FitOperator,
  values: Float64Array,
  emptyValue: Float64Array,
  fullValue: Float64Array,
): Float64Array {
  const n = m - 1;
  const count = p.length / n;
  const phi = new Float64Array(k * m);
  for (let o = 0; o < k; o++) {
    const delta = fullValue[o] - emptyValue[o];
    let sum = 0;
    for (let i = 0; i < n; i++) {
      let beta = 0;
      for (let r = 0, at = 2 * k + o, row = i * count; r < count; r++, at += k)
        beta += p[row + r] * values[at];
      beta -= emptyValue[o] * rowSum[i] + delta * lastSum[i];
      phi[o * m + i] = beta;
      sum += beta;
    }
    phi[o * m + n] = delta - sum;
  }
  return phi;
}

/** φ for every output: the weighted right-hand sides of the values, solved through the factorisation. */
function solveFactored(
  m: number,
  k: number,
  samples: readonly Sample[],
  normal: LuDecomposition,
  values: Float64Array,
  emptyValue: Float64Array,
  fullValue: Float64Array,
): Float64Array {
  const n = m - 1;
  const rhs = new Float64Array(n * k);
  const delta = Float64Array.from(fullValue, (v, o) => v - emptyValue[o]);
  samples.forEach(({ z, weight }, r) => {
    const last = z[m - 1];
    for (let i = 0; i < n; i++) {
      const x = z[i] - last;
      if (x === 0) continue;
      const wi = weight * x;
      for (let o = 0; o < k; o++) {
        const y = values[(r + 2) * k + o] - emptyValue[o] - last * delta[o];
        rhs[i * k + o] += wi * y;
      }
    }
  });
  const beta = normal.solve(toMatrix(rhs, n, k));
  const phi = new Float64Array(k * m);
  for (let o = 0; o < k; o++) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      phi[o * m + i] = beta.get(i, o);
      sum += beta.get(i, o);
    }
    phi[o * m + n] = fullValue[o] - emptyValue[o] - sum;
  }
  return phi;
}
