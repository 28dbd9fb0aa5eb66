import { describe, expect, it } from 'vitest';
import { ownPeakRssKiB } from '../../src/bench/peak-rss.js';

describe('own peak resident memory', () => {
  it('lies between the current resident set and getrusage maxRSS (which may count the parent too)', () => {
    const peak = ownPeakRssKiB();
    const current = process.memoryUsage().rss / 1024;
    expect(Number.isFinite(peak)).toBe(true);
    // Pages come and go between the two reads: allow 16 MiB of slack below the current figure.
    expect(peak).toBeGreaterThanOrEqual(current - 16 * 1024);
    expect(peak).toBeLessThanOrEqual(process.resourceUsage().maxRSS + 16 * 1024);
  });
});
