/**
 * Quadrature rules on [0, 1] for path integrals: points α_i and weights w_i with Σ w_i g(α_i) ≈ ∫₀¹ g.
 * Riemann sums (left / right / middle / trapezoid) and Gauss–Legendre (nodes by Newton's method on the
 * Legendre polynomial, exact for polynomials of degree 2n − 1).
 */
import { OptionError } from '../../errors.js';

export type IntegrationMethod =
  'riemannLeft' | 'riemannRight' | 'riemannMiddle' | 'riemannTrapezoid' | 'gaussLegendre';
export const INTEGRATION_METHODS: readonly IntegrationMethod[] = [
  'riemannLeft',
  'riemannRight',
  'riemannMiddle',
  'riemannTrapezoid',
  'gaussLegendre',
];

export interface Quadrature {
  points: number[];
  weights: number[];
}

export function quadrature(method: IntegrationMethod, steps: number): Quadrature {
  if (!Number.isInteger(steps) || steps < 1 || (method === 'riemannTrapezoid' && steps < 2)) {
    throw new OptionError(
      'INVALID_OPTION',
      `numSteps must be an integer >= ${method === 'riemannTrapezoid' ? 2 : 1} for ${method}, got ${steps}`,
    );
  }
  const n = steps;
  const range = Array.from({ length: n }, (_, i) => i);
  switch (method) {
    case 'riemannLeft':
      return { points: range.map((i) => i / n), weights: range.map(() => 1 / n) };
    case 'riemannRight':
      return { points: range.map((i) => (i + 1) / n), weights: range.map(() => 1 / n) };
    case 'riemannMiddle':
      return { points: range.map((i) => (i + 0.5) / n), weights: range.map(() => 1 / n) };
    case 'riemannTrapezoid':
      return {
        points: range.map((i) => i / (n - 1)),
        weights: range.map((i) => (i === 0 || i === n - 1 ? 0.5 : 1) / (n - 1)),
      };
    case 'gaussLegendre':
      return gaussLegendre(n);
    default:
      throw new OptionError(
        'INVALID_OPTION',
        `method must be one of ${INTEGRATION_METHODS.join(', ')}, got ${JSON.stringify(method)}`,
      );
  }
}

/** Gauss–Legendre nodes and weights mapped from [−1, 1] to [0, 1]. */
export function gaussLegendre(n: number): Quadrature {
  const points: number[] = new Array(n);
  const weights: number[] = new Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let derivative = 0;
    for (let iter = 0; iter < 100; iter++) {
      // Legendre recurrence: P_k = ((2k − 1) x P_{k−1} − (k − 1) P_{k−2}) / k.
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 0 ? 1 : p1;
      const pPrev = n === 1 ? 1 : p0;
      derivative = (n * (x * pn - pPrev)) / (x * x - 1);
      const dx = pn / derivative;
      x -= dx;
      if (Math.abs(dx) < 1e-15) break;
    }
    const w = 2 / ((1 - x * x) * derivative * derivative);
    points[i] = (1 - x) / 2;
    points[n - 1 - i] = (1 + x) / 2;
    weights[i] = w / 2;
    weights[n - 1 - i] = w / 2;
  }
  return { points, weights };
}
