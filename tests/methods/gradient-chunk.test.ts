import { describe, expect, it } from 'vitest';
import { gradientChunkSize } from '../../src/methods/attribution/gradient-batches.js';
import type { LayerInfo, Model } from '../../src/types.js';

/** A model whose only known property is its layers' shapes (batch 1). */
function withLayers(shapes: number[][]): Model {
  const layers: LayerInfo[] = shapes.map((shape, index) => ({
    name: `t${index}`,
    nodeName: `n${index}`,
    opType: 'Conv',
    shape,
    index,
  }));
  return { layers: () => Promise.resolve(layers) } as unknown as Model;
}

describe('items per VJP run', () => {
  it('keeps the largest activation of a run within 4 MiB, between 1 and 128 items', async () => {
    // 96 x 112 x 112 floats: 4.8 MB an item, one item a run.
    expect(
      await gradientChunkSize(
        withLayers([
          [1, 3, 224, 224],
          [1, 96, 112, 112],
          [1, 10],
        ]),
        undefined,
      ),
    ).toBe(1);
    // 64 x 32 x 32 floats: 256 KiB an item, 16 a run.
    expect(
      await gradientChunkSize(
        withLayers([
          [1, 64, 32, 32],
          [1, 16, 32, 32],
        ]),
        undefined,
      ),
    ).toBe(16);
    // 1 000 floats an item: capped at 128.
    expect(await gradientChunkSize(withLayers([[1, 1000]]), undefined)).toBe(128);
  });
  it('takes the caller’s miniBatchSize as it is', async () => {
    expect(await gradientChunkSize(withLayers([[1, 96, 112, 112]]), 32)).toBe(32);
  });
});
