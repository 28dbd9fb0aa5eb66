import { describe, expect, it } from 'vitest';
import { perturbedChunkSize } from '../../src/methods/perturbed-batches.js';

describe('perturbed copies per runtime call', () => {
  it('keeps a large image alone, batches small ones, and never exceeds miniBatchSize or the total', () => {
    expect(perturbedChunkSize(128, 81, 3 * 224 * 224)).toBe(1);
    expect(perturbedChunkSize(128, 1000, 3 * 64 * 64)).toBe(21);
    expect(perturbedChunkSize(128, 1000, 28 * 28)).toBe(128);
    expect(perturbedChunkSize(16, 1000, 28 * 28)).toBe(16);
    expect(perturbedChunkSize(128, 5, 28 * 28)).toBe(5);
    // A copy larger than the budget still runs, one at a time.
    expect(perturbedChunkSize(128, 3, 4096 * 4096)).toBe(1);
  });
});
