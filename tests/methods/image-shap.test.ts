/**
 * Kernel SHAP over image segments: exact on a model linear in its pixels (an additive game, whatever the
 * budget), efficiency on a real CNN, localisation on the shapes images, and reproducibility by seed.
 */
import { describe, expect, it } from 'vitest';
import { fixtureModelPath, imagePixels, loadImageSamples } from '../../src/data/samples.js';
import { OptionError } from '../../src/errors.js';
import { pointingGame } from '../../src/eval/pointing-game.js';
import { imagesToTensor } from '../../src/image/normalize.js';
import { loadModel } from '../../src/node/load.js';
import { imageShap } from '../../src/methods/shapley/index.js';
import type { ProgressEvent } from '../../src/types.js';
import { lcgValues, linearImageModel, segmentWeights } from './linear-models.js';

describe('imageShap', () => {
  it('gives each segment its exact share on a model linear in the pixels, for grid and superpixels', async () => {
    const [C, H, W] = [3, 24, 24];
    const m = await linearImageModel({ itemDims: [C, H, W], classes: 3, seed: 21 });
    const x = lcgValues(C * H * W, 5, 0, 1);
    for (const [segmentation, budget] of [
      ['grid', 64],
      ['superpixels', 300],
    ] as const) {
      const r = await imageShap(
        m.model,
        { data: x, dims: [1, C, H, W] },
        {
          segmentation,
          numFeatures: 16,
          score: 'logit',
          target: 1,
          maxNumSubsets: budget,
          outputUpsampling: 'nearest',
        },
      );
      const e = r.explanations[0];
      expect(e.exact).toBe(false);
      expect(e.numSubsets).toBe(budget);
      const truth = segmentWeights(
        m,
        1,
        x,
        e.featureMap.data,
        e.numFeatures,
        [C, H, W],
        'NCHW',
        'image-mean',
      );
      const scale = Math.max(...truth.map(Math.abs));
      for (let s = 0; s < e.numFeatures; s++)
        expect(Math.abs(e.shapleyValues[s] - truth[s])).toBeLessThan(1e-4 * scale);
      for (let p = 0; p < H * W; p += 29)
        expect(e.scoreMap.data[p]).toBe(e.shapleyValues[e.featureMap.data[p]]);
      expect(r.forwardPasses).toBe(1 + budget);
    }
  });

  it('on shapes-cnn: shares sum to score(image) − score(nothing shown), and the map points at the object', async () => {
    const model = await loadModel(fixtureModelPath('shapes-cnn'));
    try {
      const set = loadImageSamples('shapes-cnn');
      const count = 12;
      const x = imagesToTensor(
        Array.from({ length: count }, (_, i) => ({
          data: imagePixels(set, i),
          width: set.width,
          height: set.height,
          channels: set.channels as 1 | 3,
        })),
        model.inputSpec!,
      );
      const events: ProgressEvent[] = [];
      const r = await imageShap(model, x, { maxNumSubsets: 128, onProgress: (e) => events.push(e) });
      const maps = { data: new Float32Array(count * 64 * 64), dims: [count, 64, 64] };
      r.explanations.forEach((e, i) => {
        maps.data.set(e.scoreMap.data, i * 64 * 64);
        const sum = e.shapleyValues.reduce((a, b) => a + b, 0);
        expect(Math.abs(sum - (e.baseScore - e.emptyScore))).toBeLessThan(1e-5);
        expect(e.target).toBe(set.labels[i]);
      });
      expect(pointingGame(maps, set.boxes!.slice(0, count)).accuracy).toBeGreaterThanOrEqual(0.9);
      expect(events.at(-1)?.stage).toBe(`coalitions, image ${count}/${count}`);
      const again = await imageShap(
        model,
        { data: x.data.slice(0, 3 * 64 * 64), dims: [1, 3, 64, 64] },
        {
          maxNumSubsets: 128,
        },
      );
      expect(Array.from(again.explanations[0].shapleyValues)).toEqual(
        Array.from(r.explanations[0].shapleyValues),
      );
      await expect(imageShap(model, x, { maxNumSubsets: 10 })).rejects.toThrow(OptionError);
    } finally {
      await model.dispose();
    }
  });
});
