import { describe, expect, it } from 'vitest';
import { runDerivedGradients } from '../../src/methods/attribution/gradient-batches.js';
import type { TensorData, CallOptions, VjpFunction } from '../../src/types.js';

/** A VJP whose gradient is 2·x and output the seed, each call finishing after `delay(call)` ms. */
function slowVjp(delay: (call: number) => number, fail?: number) {
  const seen: { concurrent: boolean; items: number }[] = [];
  let inFlight = 0;
  let most = 0;
  const vjp: VjpFunction = async (inputs, dY, options?: CallOptions) => {
    const call = seen.length;
    seen.push({ concurrent: options?.concurrent === true, items: dY.dims[0] });
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, delay(call)));
    inFlight--;
    if (call === fail) throw new Error(`call ${call} failed`);
    const x = inputs as TensorData;
    return { output: dY, grads: [{ data: x.data.map((v) => 2 * v), dims: x.dims }] };
  };
  return { vjp, seen, most: () => most };
}

function run(vjp: VjpFunction, total: number, miniBatchSize: number, collected: number[][]) {
  return runDerivedGradients({
    vjp,
    total,
    itemDims: [2],
    seedDims: [1],
    miniBatchSize,
    write: (buffer, offset, job) => buffer.set([job, -job], offset),
    seed: (buffer, offset, job) => (buffer[offset] = job + 0.5),
    collect: (grads, output, first, count) => {
      for (let j = 0; j < count; j++) {
        expect(Array.from(grads.data.subarray(2 * j, 2 * j + 2))).toEqual([
          2 * (first + j),
          -2 * (first + j),
        ]);
        expect(output.data[j]).toBe(first + j + 0.5);
      }
      collected.push([first, count]);
    },
  });
}

/** [first, count] of each call over `total` jobs in calls of `size`, in job order. */
function chunks(total: number, size: number): number[][] {
  return Array.from({ length: Math.ceil(total / size) }, (_, i) => [
    i * size,
    Math.min(size, total - i * size),
  ]);
}

describe('runDerivedGradients', () => {
  it('keeps several calls in flight once there are enough, and hands results on in job order', async () => {
    // Later calls finish first.
    const slow = slowVjp((call) => 20 - 3 * call);
    const collected: number[][] = [];
    await run(slow.vjp, 10, 2, collected);
    expect(collected).toEqual(chunks(10, 2));
    expect(slow.seen.every((c) => c.concurrent && c.items === 2)).toBe(true);
    expect(slow.most()).toBeGreaterThan(1);
  });

  it('runs a few calls one after another, without the concurrent hint', async () => {
    const slow = slowVjp(() => 1);
    const collected: number[][] = [];
    await run(slow.vjp, 6, 2, collected);
    expect(collected).toEqual(chunks(6, 2));
    expect(slow.seen.some((c) => c.concurrent)).toBe(false);
    expect(slow.most()).toBe(1);
  });

  it('rejects with the first failing call and leaves no rejection unhandled', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      // Call 3 fails while calls 1 and 2 are still running.
      const slow = slowVjp((call) => (call === 3 ? 1 : 15), 3);
      await expect(run(slow.vjp, 12, 2, [])).rejects.toThrow('call 3 failed');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });
});
