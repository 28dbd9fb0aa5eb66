/**
 * Localisation and complexity: exact values on hand-made maps, and an oracle map built from the shapes
 * boxes scoring best against Grad-CAM and a random map.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureModelPath, imageMask, imagePixels, loadImageSamples } from '../../src/data/samples.js';
import { giniSparseness, mapEntropy } from '../../src/eval/complexity.js';
import { localisation } from '../../src/eval/localisation.js';
import type { Box } from '../../src/eval/pointing-game.js';
import { imagesToTensor } from '../../src/image/normalize.js';
import { gradCam } from '../../src/methods/cam/index.js';
import type { OnnxModel } from '../../src/model.js';
import { loadModel } from '../../src/node/load.js';
import { lcgValues } from '../methods/linear-models.js';

describe('localisation metrics', () => {
  it('match hand counts on a 4×4 map', () => {
    // Box covers columns 0..1, rows 0..1; positive mass 1+2 inside, 3 outside, negatives ignored.
    const map = new Float32Array([1, 2, 0, 0, 0, -5, 0, 0, 0, 0, 3, 0, 0, 0, 0, -1]);
    const box: Box = [0, 0, 1, 1];
    const r = localisation({ data: map, dims: [1, 4, 4] }, { boxes: [box] });
    expect(r.pointingGame).toEqual([0]);
    expect(r.energyPointingGame[0]).toBeCloseTo(3 / 6, 12);
    expect(r.relevanceMass[0]).toBeCloseTo(3 / 6, 12);
    // Top 4 pixels: 3 (out), 2 (in), 1 (in), then the first zero (index 2, out).
    expect(r.relevanceRank[0]).toBeCloseTo(2 / 4, 12);
    // A mask replaces the box for the mask metrics.
    const mask = new Uint8Array(16);
    mask[10] = 1;
    const m = localisation({ data: map, dims: [1, 4, 4] }, { boxes: [box], masks: mask });
    expect(m.relevanceMass[0]).toBeCloseTo(3 / 6, 12);
    expect(m.relevanceRank[0]).toBe(1);
    expect(() => localisation({ data: map, dims: [1, 4, 4] }, {})).toThrow(/ground truth/);
  });

  it('complexity: Gini and entropy at their extremes', () => {
    const one = new Float32Array(16);
    one[5] = -2;
    const flat = new Float32Array(16).fill(0.5);
    const maps = { data: new Float32Array([...one, ...flat]), dims: [2, 4, 4] };
    expect(giniSparseness(maps)[0]).toBeCloseTo(15 / 16, 12);
    expect(giniSparseness(maps)[1]).toBeCloseTo(0, 12);
    expect(mapEntropy(maps)[0]).toBeCloseTo(0, 12);
    expect(mapEntropy(maps)[1]).toBeCloseTo(1, 12);
  });
});

describe('oracle on shapes-cnn', () => {
  let model: OnnxModel;
  beforeAll(async () => {
    model = await loadModel(fixtureModelPath('shapes-cnn'));
  });
  afterAll(async () => model.dispose());

  it('a map built from the ground-truth box scores best on every localisation metric', async () => {
    const set = loadImageSamples('shapes-cnn');
    const N = 12;
    const boxes = set.boxes!.slice(0, N);
    const masks = new Uint8Array(N * 64 * 64);
    for (let i = 0; i < N; i++)
      masks.set(
        imageMask(set, i).map((v) => (v ? 1 : 0)),
        i * 64 * 64,
      );
    const images = Array.from({ length: N }, (_, i) => ({
      data: imagePixels(set, i),
      width: 64,
      height: 64,
      channels: 3 as const,
    }));
    const cam = await gradCam(model, imagesToTensor(images, model.inputSpec!));
    // The oracle: 1 + distance-to-edge inside the box (a single peak near its centre), 0 outside.
    const oracle = new Float32Array(N * 64 * 64);
    boxes.forEach(([x0, y0, x1, y1], i) => {
      for (let y = y0; y <= y1; y++)
        for (let x = x0; x <= x1; x++)
          oracle[i * 4096 + y * 64 + x] = 1 + Math.min(x - x0, x1 - x, y - y0, y1 - y) + 1e-3 * x;
    });
    const truth = { boxes, masks };
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const score = (data: Float32Array) => {
      const r = localisation({ data, dims: [N, 64, 64] }, truth);
      return [r.pointingGame, r.energyPointingGame, r.relevanceMass, r.relevanceRank].map(mean);
    };
    const best = score(oracle);
    expect(best.slice(0, 2)).toEqual([1, 1]);
    for (const other of [score(cam.map.data), score(lcgValues(N * 4096, 23, 0, 1))]) {
      for (let k = 0; k < 2; k++) expect(best[k]).toBeGreaterThanOrEqual(other[k]);
      for (let k = 2; k < 4; k++) expect(best[k]).toBeGreaterThan(other[k]);
    }
  });
});
