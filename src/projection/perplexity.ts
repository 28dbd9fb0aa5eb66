/**
 * Gaussian conditional probabilities p(j|i) ∝ exp(-β_i d²_ij) whose perplexity exp(H(P_i)) equals the requested
 * perplexity, with β_i = 1 / (2σ_i²) found by bisection on the entropy (which falls monotonically as β grows).
 */
import { bisectPositive } from './bisection.js';

export interface PerplexitySearchOptions {
  /** Stop when |H - log(perplexity)| is below this (natural-log units). */
  tolerance?: number;
  maxSteps?: number;
}

/**
 * Fit one row in place: `distSq[offset .. offset+length)` are squared distances (Infinity for pairs to leave out),
 * the probabilities go to `out[outOffset ..]` and sum to 1. Returns β.
 */
export function fitRow(
  distSq: ArrayLike<number>,
  offset: number,
  length: number,
  perplexity: number,
  out: Float64Array,
  outOffset: number,
  options: PerplexitySearchOptions = {},
): number {
  const tolerance = options.tolerance ?? 1e-5;
  const maxSteps = options.maxSteps ?? 100;
  const target = Math.log(perplexity);

  // Shifting by the smallest distance leaves the normalised row unchanged and keeps exp() from underflowing
  // to an all-zero row when distances are large.
  let smallest = Infinity;
  let sumFinite = 0;
  let finite = 0;
  for (let t = 0; t < length; t++) {
    const d = distSq[offset + t];
    if (d < smallest) smallest = d;
    if (d !== Infinity) {
      sumFinite += d;
      finite++;
    }
  }
  if (finite === 0) return 0;
  const meanShift = sumFinite / finite - smallest;
  // Start near the scale of the distances; bisection finds the rest.
  const beta = bisectPositive(meanShift > 0 ? 1 / meanShift : 1, maxSteps, (b) => {
    let sum = 0;
    let weighted = 0;
    for (let t = 0; t < length; t++) {
      const shifted = distSq[offset + t] - smallest;
      const p = Math.exp(-b * shifted);
      if (p > 0) {
        sum += p;
        weighted += shifted * p;
      }
    }
    const difference = Math.log(sum) + (b * weighted) / sum - target;
    // Too flat (entropy above the target): narrow the Gaussian.
    return Math.abs(difference) < tolerance ? 0 : difference > 0 ? 1 : -1;
  });
  // Recompute with the final β so the row matches the returned β exactly.
  let sum = 0;
  for (let t = 0; t < length; t++) {
    const p = Math.exp(-beta * (distSq[offset + t] - smallest));
    out[outOffset + t] = p;
    sum += p;
  }
  for (let t = 0; t < length; t++) out[outOffset + t] /= sum;
  return beta;
}

/** Rows × k squared distances (row-major) → rows × k conditional probabilities, each row summing to 1. */
export function conditionalProbabilities(
  distSq: ArrayLike<number>,
  rows: number,
  k: number,
  perplexity: number,
  options?: PerplexitySearchOptions,
): Float64Array {
  const out = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) fitRow(distSq, i * k, k, perplexity, out, i * k, options);
  return out;
}

/** Perplexity exp(H) of a probability row, for checks. */
export function rowPerplexity(row: ArrayLike<number>): number {
  let entropy = 0;
  for (let t = 0; t < row.length; t++) if (row[t] > 0) entropy -= row[t] * Math.log(row[t]);
  return Math.exp(entropy);
}
