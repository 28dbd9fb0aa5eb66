import { describe, expect, it } from 'vitest';
import { fixtureModelPath, imagePixels, loadImageSamples } from '../../src/data/samples.js';
import { OptionError } from '../../src/errors.js';
import { pointingGame } from '../../src/eval/pointing-game.js';
import { imagesToTensor } from '../../src/image/normalize.js';
import { loadModel } from '../../src/node/load.js';
import { imageLime } from '../../src/methods/lime/image-lime.js';
import { fitWeightedRidge, fitWeightedTree, weightedR2 } from '../../src/methods/lime/surrogate.js';
import type { ProgressEvent } from '../../src/types.js';
import { createRandom } from '../../src/util/random.js';
import { lcgValues, linearImageModel, segmentWeights } from './linear-models.js';

describe('weighted surrogates', () => {
  it('ridge recovers an exact linear relation with weights; R² is the weighted one', () => {
    const n = 300;
    const k = 4;
    const random = createRandom(1);
    const features = new Float64Array(n * k).map(() => (random.next() < 0.5 ? 1 : 0));
    const weights = new Float64Array(n).map(() => 0.1 + random.next());
    const targets = new Float64Array(n).map((_, i) => 2 - features[i * k] + 3 * features[i * k + 2]);
    const fit = fitWeightedRidge({ features, samples: n, numFeatures: k, targets, weights }, 0);
    expect(Array.from(fit.importance).map((v) => +v.toFixed(6))).toEqual([-1, 0, 3, 0]);
    expect(fit.intercept).toBeCloseTo(2, 6);
    expect(fit.r2).toBeCloseTo(1, 9);
    // A weighted R² by hand: predictions off by a constant 1 where the spread is known.
    const y = Float64Array.from([0, 2]);
    expect(weightedR2(y, Float64Array.from([1, 1]), Float64Array.from([1, 3]))).toBeCloseTo(1 - 4 / 3, 9);
  });

  it('tree splits on the feature that drives the score', () => {
    const n = 400;
    const k = 5;
    const random = createRandom(2);
    const features = new Float64Array(n * k).map(() => (random.next() < 0.5 ? 1 : 0));
    const weights = new Float64Array(n).fill(1);
    const targets = new Float64Array(n).map((_, i) => 5 * features[i * k + 3] + 0.5 * features[i * k + 1]);
    const fit = fitWeightedTree({ features, samples: n, numFeatures: k, targets, weights });
    const order = Array.from(fit.importance.keys()).sort((a, b) => fit.importance[b] - fit.importance[a]);
    expect(order.slice(0, 2)).toEqual([3, 1]);
    expect(fit.r2).toBeGreaterThan(0.99);
  });
  it('tree: weighted leaves and MATLAB predictor importance on a hand-checked example', () => {
    // One binary feature; the zero-weight sample (target 10) must not move its leaf.
    const features = Float64Array.from([0, 0, 1, 1]);
    const targets = Float64Array.from([0, 10, 2, 2]);
    const weights = Float64Array.from([1, 0, 1, 1]);
    const fit = fitWeightedTree(
      { features, samples: 4, numFeatures: 1, targets, weights },
      { minParentSize: 2 },
    );
    expect(Array.from(fit.predictions)).toEqual([0, 0, 2, 2]);
    // Weighted mean 4/3; node error 16/9 + 2 * 4/9 = 8/3, children 0; risk drop (8/3) / total weight 3; one split.
    expect(fit.importance[0]).toBeCloseTo(8 / 9, 12);
    expect(fit.r2).toBe(1);
    // A continuous feature takes the sorted split search: a step at 0.3 is found between samples.
    const x = Float64Array.from([0.05, 0.9, 0.2, 0.31, 0.6, 0.1, 0.45, 0.29]);
    const step = Float64Array.from(x, (v) => (v > 0.3 ? 2 : 0));
    const tree = fitWeightedTree(
      { features: x, samples: 8, numFeatures: 1, targets: step, weights: new Float64Array(8).fill(1) },
      { minParentSize: 2 },
    );
    expect(Array.from(tree.predictions)).toEqual(Array.from(step));
  });
});

describe('imageLime', () => {
  it('recovers the segment weights of a model linear in its superpixels (R² > 0.99)', async () => {
    const [C, H, W] = [3, 24, 24];
    const m = await linearImageModel({ itemDims: [C, H, W], classes: 3, seed: 17 });
    // Smooth colour regions so that superpixels are meaningful.
    const x = new Float32Array(C * H * W);
    const blocks = lcgValues(16 * 3, 8, 0, 1);
    // Texture inside each block so that no segment is flat (a flat segment has weight 0).
    const texture = lcgValues(C * H * W, 13, -0.1, 0.1);
    for (let c = 0; c < C; c++)
      for (let y = 0; y < H; y++)
        for (let xx = 0; xx < W; xx++) {
          const i = c * H * W + y * W + xx;
          x[i] = blocks[(Math.floor(y / 6) * 4 + Math.floor(xx / 6)) * 3 + c] + texture[i];
        }
    const result = await imageLime(
      m.model,
      { data: x, dims: [1, C, H, W] },
      {
        numFeatures: 16,
        model: 'linear',
        score: 'logit',
        target: 2,
        seed: 4,
      },
    );
    const e = result.explanations[0];
    expect(e.numFeatures).toBeGreaterThanOrEqual(11);
    expect(e.numFeatures).toBeLessThanOrEqual(21);
    expect(e.fit.r2).toBeGreaterThan(0.99);
    const truth = segmentWeights(m, 2, x, e.featureMap.data, e.numFeatures, [C, H, W], 'NCHW', 'image-mean');
    const scale = Math.max(...truth.map(Math.abs));
    for (let s = 0; s < e.numFeatures; s++)
      expect(Math.abs(e.featureImportance[s] - truth[s])).toBeLessThan(0.02 * scale);
    // The score map paints each pixel with its segment's importance.
    for (let p = 0; p < H * W; p += 37)
      expect(e.scoreMap.data[p]).toBe(e.featureImportance[e.featureMap.data[p]]);
    const best = truth.indexOf(Math.max(...truth));
    expect(e.topFeatures[0]).toBe(best);
    expect(result.forwardPasses).toBe(2048);
  });

  it('recovers exact weights on a grid (NHWC) and on a user label matrix with no ridge penalty', async () => {
    const [C, H, W] = [3, 12, 16];
    const m = await linearImageModel({ itemDims: [H, W, C], classes: 2, seed: 3 });
    const x = lcgValues(C * H * W, 12, 0, 1);
    const input = { data: x, dims: [1, H, W, C] };
    const grid = await imageLime(m.model, input, {
      segmentation: 'grid',
      replacement: 'segment-mean',
      numFeatures: 12,
      numSamples: 256,
      ridgeLambda: 0,
      model: 'linear',
      score: 'logit',
      target: 0,
      outputUpsampling: 'none',
    });
    const g = grid.explanations[0];
    expect(g.scoreMap.dims).toEqual([3, 4]);
    const truth = segmentWeights(
      m,
      0,
      x,
      g.featureMap.data,
      g.numFeatures,
      [C, H, W],
      'NHWC',
      'segment-mean',
    );
    truth.forEach((t, s) => expect(g.featureImportance[s]).toBeCloseTo(t, 3));
    expect(g.fit.r2).toBeGreaterThan(0.999999);

    // Left half labelled 7, right half 3.
    const labels = Array.from({ length: H * W }, (_, p) => (p % W < W / 2 ? 7 : 3));
    const user = await imageLime(m.model, input, {
      segmentation: { data: labels, dims: [H, W] },
      numSamples: 64,
      ridgeLambda: 0,
      model: 'linear',
      score: 'logit',
      target: 1,
    });
    const u = user.explanations[0];
    expect(u.labelValues).toEqual([3, 7]);
    const userTruth = segmentWeights(m, 1, x, u.featureMap.data, 2, [C, H, W], 'NHWC', 'image-mean');
    userTruth.forEach((t, s) => expect(u.featureImportance[s]).toBeCloseTo(t, 3));
  });

  it('gives identical bytes for the same seed and reports increasing progress', async () => {
    const m = await linearImageModel({ itemDims: [3, 16, 16], classes: 4, seed: 9, softmax: true });
    const input = { data: lcgValues(2 * 3 * 16 * 16, 31, 0, 1), dims: [2, 3, 16, 16] };
    const events: ProgressEvent[] = [];
    const options = { numFeatures: 20, numSamples: 300, miniBatchSize: 64 };
    const a = await imageLime(m.model, input, { ...options, seed: 11, onProgress: (e) => events.push(e) });
    const b = await imageLime(m.model, input, { ...options, seed: 11 });
    const c = await imageLime(m.model, input, { ...options, seed: 12 });
    const bytes = (r: typeof a) =>
      Buffer.concat(
        r.explanations.flatMap((e) => [
          Buffer.from(e.scoreMap.data.buffer),
          Buffer.from(e.featureImportance.buffer),
          Buffer.from(e.featureMap.data.buffer),
        ]),
      );
    expect(bytes(a).equals(bytes(b))).toBe(true);
    expect(bytes(a).equals(bytes(c))).toBe(false);
    expect(a.explanations).toHaveLength(2);
    const done = events.map((e) => e.done);
    expect(done).toEqual([...done].sort((x, y) => x - y));
    expect(new Set(done).size).toBe(done.length);
    expect(events.at(-1)).toMatchObject({ done: 2 * 300, total: 2 * 300 });
  });

  it('fits a tree surrogate whose top feature is the segment that moves the score', async () => {
    const [H, W] = [12, 12];
    // Only the top-left grid cell (rows 0-3, cols 0-3 of a 3x3 grid) carries weight.
    const m = await linearImageModel({
      itemDims: [1, H, W],
      classes: 2,
      weights: (k, i) => (k === 0 && Math.floor(i / W) < 4 && i % W < 4 ? 1 : 0),
    });
    const x = lcgValues(H * W, 2, 0, 1);
    const r = await imageLime(
      m.model,
      { data: x, dims: [1, 1, H, W] },
      {
        segmentation: 'grid',
        numFeatures: 9,
        numSamples: 400,
        model: 'tree',
        score: 'logit',
        target: 0,
        replacement: 0,
      },
    );
    const e = r.explanations[0];
    expect(e.fit.model).toBe('tree');
    expect(e.topFeatures[0]).toBe(0);
    expect(e.fit.r2).toBeGreaterThan(0.99);
  });

  it('rejects bad options with typed errors', async () => {
    const m = await linearImageModel({ itemDims: [1, 8, 8], classes: 2 });
    const input = { data: lcgValues(64, 1, 0, 1), dims: [1, 1, 8, 8] };
    await expect(imageLime(m.model, input, { numSamples: 0 })).rejects.toThrow(OptionError);
    await expect(imageLime(m.model, input, { model: 'forest' as 'tree' })).rejects.toThrow(/tree, linear/);
    await expect(imageLime(m.model, input, { segmentation: { data: [1, 2], dims: [1, 2] } })).rejects.toThrow(
      /8x8/,
    );
    await expect(imageLime(m.model, input, { seed: 0.5 })).rejects.toThrow(OptionError);
  });

  it('points at the object on shapes-cnn (pointing game on 10 test images, 256 samples each)', async () => {
    const model = await loadModel(fixtureModelPath('shapes-cnn'));
    const set = loadImageSamples('shapes-cnn');
    const count = 10;
    const images = Array.from({ length: count }, (_, i) => ({
      data: imagePixels(set, i),
      width: set.width,
      height: set.height,
      channels: 3 as const,
    }));
    const input = imagesToTensor(images, model.inputSpec!);
    const result = await imageLime(model, input, {
      numSamples: 256,
      target: Array.from(set.labels.subarray(0, count)),
    });
    const size = set.height * set.width;
    const maps = new Float32Array(count * size);
    result.explanations.forEach((e, i) => maps.set(e.scoreMap.data, i * size));
    const game = pointingGame(
      { data: maps, dims: [count, set.height, set.width] },
      set.boxes!.slice(0, count),
    );
    expect(game.accuracy).toBeGreaterThanOrEqual(0.8);
    await model.dispose();
  });
});
