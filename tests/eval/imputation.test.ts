/** Noisy linear imputation (ROAD): removed pixels solve the neighbour-average system; kept pixels stay. */
import { describe, expect, it } from 'vitest';
import { imputeLinear } from '../../src/eval/imputation.js';
import { createRandom } from '../../src/util/random.js';
import { lcgValues } from '../methods/linear-models.js';

describe('linear imputation', () => {
  it('fills every removed pixel with the 1/6–1/12 weighted mean of its neighbours, in both layouts', () => {
    const H = 13;
    const W = 11;
    for (const layout of ['NCHW', 'NHWC'] as const) {
      const geo = {
        height: H,
        width: W,
        channels: 2,
        channelStride: layout === 'NCHW' ? H * W : 1,
        pixelStride: layout === 'NCHW' ? 1 : 2,
      };
      const original = lcgValues(H * W * 2, 3);
      const image = Float32Array.from(original);
      const removed = new Uint8Array(H * W);
      // A solid block and scattered pixels, including borders and corners.
      for (let y = 3; y < 9; y++) for (let x = 2; x < 8; x++) removed[y * W + x] = 1;
      for (const p of [0, W - 1, H * W - 1, 5 * W + 10, 12 * W + 4]) removed[p] = 1;
      imputeLinear(image, removed, geo, 0, createRandom(0));
      for (let c = 0; c < 2; c++) {
        const at = (p: number) => c * geo.channelStride + p * geo.pixelStride;
        for (let p = 0; p < H * W; p++) {
          if (!removed[p]) {
            expect(image[at(p)]).toBe(original[at(p)]);
            continue;
          }
          const y = Math.floor(p / W);
          const x = p % W;
          let sum = 0;
          let weight = 0;
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              if ((!dy && !dx) || y + dy < 0 || y + dy >= H || x + dx < 0 || x + dx >= W) continue;
              const w = dy === 0 || dx === 0 ? 1 / 6 : 1 / 12;
              sum += w * image[at((y + dy) * W + x + dx)];
              weight += w;
            }
          // The solver's pull towards the channel mean is 1e-3 of the weights: its effect is below 1e-2.
          expect(Math.abs(image[at(p)] - sum / weight)).toBeLessThan(1e-2);
        }
      }
    }
  });

  it('adds seeded noise of the asked spread to removed pixels only', () => {
    const H = 16;
    const W = 16;
    const geo = { height: H, width: W, channels: 1, channelStride: H * W, pixelStride: 1 };
    const removed = new Uint8Array(H * W).map((_, p) => (p % 3 === 0 ? 1 : 0));
    const base = new Float32Array(H * W).map((_, p) => (p % 2 ? 1 : 0));
    const clean = Float32Array.from(base);
    imputeLinear(clean, removed, geo, 0, createRandom(1));
    const noisy = Float32Array.from(base);
    imputeLinear(noisy, removed, geo, 0.05, createRandom(1));
    const again = Float32Array.from(base);
    imputeLinear(again, removed, geo, 0.05, createRandom(1));
    expect(again).toEqual(noisy);
    let sq = 0;
    let count = 0;
    for (let p = 0; p < H * W; p++) {
      if (!removed[p]) expect(noisy[p]).toBe(base[p]);
      else {
        sq += (noisy[p] - clean[p]) ** 2;
        count++;
      }
    }
    // Range 1, noise 0.05: the sample spread of 86 normal draws lies well within ±40 % of 0.05.
    expect(Math.sqrt(sq / count)).toBeGreaterThan(0.03);
    expect(Math.sqrt(sq / count)).toBeLessThan(0.07);
  });
});
