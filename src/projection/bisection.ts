/**
 * Bisection for a positive scale with no known upper bound, shared by t-SNE's perplexity calibration (the
 * precision β of each Gaussian) and UMAP's smooth kNN (the scale σ of each row): until the root is bracketed the
 * guess doubles, then it halves the bracket.
 */

/**
 * `direction(x)` says where the root lies: +1 above x, -1 below, 0 when x is close enough. Returns the last guess
 * after at most `maxSteps` calls.
 */
export function bisectPositive(start: number, maxSteps: number, direction: (x: number) => number): number {
  let x = start;
  let low = 0;
  let high = Infinity;
  for (let step = 0; step < maxSteps; step++) {
    const side = direction(x);
    if (side === 0) break;
    if (side > 0) {
      low = x;
      x = high === Infinity ? x * 2 : (low + high) / 2;
    } else {
      high = x;
      x = (low + high) / 2;
    }
  }
  return x;
}
