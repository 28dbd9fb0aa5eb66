import { describe, expect, it } from 'vitest';
import { callChunkSize } from '../../src/methods/call-size.js';

describe('derived inputs per runtime call', () => {
  it('keeps a large image alone, batches small ones, and never exceeds miniBatchSize or the total', () => {
    expect(callChunkSize(128, 81, 3 * 224 * 224)).toBe(1);
    expect(callChunkSize(128, 1000, 3 * 64 * 64)).toBe(21);
    expect(callChunkSize(128, 1000, 28 * 28)).toBe(128);
    expect(callChunkSize(16, 1000, 28 * 28)).toBe(16);
    expect(callChunkSize(128, 5, 28 * 28)).toBe(5);
    // A copy larger than the budget still runs, one at a time.
    expect(callChunkSize(128, 3, 4096 * 4096)).toBe(1);
  });
});
