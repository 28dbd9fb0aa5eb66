import { describe, expect, it } from 'vitest';
import { fixtureModelPath, imagePixels, loadImageSamples } from '../../src/data/samples.js';
import { NetlensError, OptionError, TargetError } from '../../src/errors.js';
import { pointingGame } from '../../src/eval/pointing-game.js';
import { imagesToTensor } from '../../src/image/normalize.js';
import { loadModel } from '../../src/node/load.js';
import { autoMaskSize, autoStride, occlusionSensitivity } from '../../src/methods/occlusion.js';
import type { ProgressEvent, TensorData } from '../../src/types.js';
import { lcgValues, linearImageModel, linearScore, softmax, type LinearImageModel } from './linear-models.js';

/** Pixel index of (c, y, x) in one flattened item. */
function indexOf(
  layout: 'NCHW' | 'NHWC',
  C: number,
  H: number,
  W: number,
  c: number,
  y: number,
  x: number,
): number {
  return layout === 'NCHW' ? (c * H + y) * W + x : (y * W + x) * C + c;
}

/**
 * The documented definition, written out pixel by pixel: with clipping 'on' mask centres sit at
 * 0, s, 2s, ... and a mask of size m covers [centre - floor((m-1)/2), +m) cut to the image.
 */
function clippedRanges(length: number, m: number, s: number): [number, number][] {
  const out: [number, number][] = [];
  for (let centre = 0; centre < length; centre += s) {
    const start = centre - Math.floor((m - 1) / 2);
    out.push([Math.max(0, start), Math.min(length, start + m)]);
  }
  return out;
}

function occluded(
  item: Float32Array,
  layout: 'NCHW' | 'NHWC',
  [C, H, W]: [number, number, number],
  rows: [number, number],
  cols: [number, number],
  values: number[],
): Float32Array {
  const out = Float32Array.from(item);
  for (let c = 0; c < C; c++)
    for (let y = rows[0]; y < rows[1]; y++)
      for (let x = cols[0]; x < cols[1]; x++) out[indexOf(layout, C, H, W, c, y, x)] = values[c];
  return out;
}

function item(batch: TensorData, b: number): Float32Array {
  const size = batch.data.length / batch.dims[0];
  return batch.data.slice(b * size, (b + 1) * size);
}

describe('occlusionSensitivity', () => {
  it("follows MATLAB's 'auto' rule: mask round(20%), stride ceil(10%) of the input size", async () => {
    expect([autoMaskSize(224), autoStride(224)]).toEqual([45, 23]);
    expect([autoMaskSize(28), autoStride(28)]).toEqual([6, 3]);

    const small = await linearImageModel({ itemDims: [1, 28, 28], classes: 2 });
    const x = { data: lcgValues(28 * 28, 3, 0, 1), dims: [1, 1, 28, 28] };
    const r28 = await occlusionSensitivity(small.model, x, { outputUpsampling: 'none', score: 'logit' });
    expect(r28.maskSize).toEqual([6, 6]);
    expect(r28.stride).toEqual([3, 3]);
    expect(r28.rowCenters).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    expect(r28.map.dims).toEqual([1, 10, 10]);

    const big = await linearImageModel({ itemDims: [3, 224, 224], classes: 2, seed: 5 });
    const x224 = { data: lcgValues(3 * 224 * 224, 4, 0, 1), dims: [1, 3, 224, 224] };
    const r224 = await occlusionSensitivity(big.model, x224, { outputUpsampling: 'none', score: 'logit' });
    expect(r224.maskSize).toEqual([45, 45]);
    expect(r224.stride).toEqual([23, 23]);
    expect(r224.colCenters).toEqual([0, 23, 46, 69, 92, 115, 138, 161, 184, 207]);
    expect(r224.forwardPasses).toBe(100 + 1);
    // Spot-check one border and one interior position against the analytic change.
    const base = linearScore(big, r224.targets[0], x224.data);
    const means = [0, 1, 2].map((c) => {
      let s = 0;
      for (let p = 0; p < 224 * 224; p++) s += x224.data[c * 224 * 224 + p];
      return s / (224 * 224);
    });
    for (const [r, c] of [
      [0, 0],
      [4, 7],
    ]) {
      const rows = clippedRanges(224, 45, 23)[r];
      const cols = clippedRanges(224, 45, 23)[c];
      const masked = occluded(x224.data, 'NCHW', [3, 224, 224], rows, cols, means);
      const expected = base - linearScore(big, r224.targets[0], masked);
      expect(r224.map.data[r * 10 + c]).toBeCloseTo(expected, 2);
    }
  });

  it("clips masks at the borders ('on') and keeps only whole masks ('off')", async () => {
    // Score = sum of all pixels, image of ones, mask value 0: the change is the number of pixels covered.
    const m = await linearImageModel({ itemDims: [1, 10, 10], classes: 1, weights: () => 1 });
    const x = { data: new Float32Array(100).fill(1), dims: [1, 1, 10, 10] };
    const common = {
      maskSize: 5,
      stride: 3,
      maskValue: 0,
      outputUpsampling: 'none' as const,
      score: 'logit' as const,
    };
    const on = await occlusionSensitivity(m.model, x, { ...common, maskClipping: 'on' });
    // Centres 0, 3, 6, 9 cover rows [0,3), [1,6), [4,9), [7,10): 3, 5, 5, 3 pixels.
    const side = [3, 5, 5, 3];
    expect(on.map.dims).toEqual([1, 4, 4]);
    expect(Array.from(on.map.data)).toEqual(side.flatMap((a) => side.map((b) => a * b)));
    const off = await occlusionSensitivity(m.model, x, { ...common, maskClipping: 'off' });
    // Starts 0 and 3 fit (3 + 5 <= 10), 6 does not: 2 x 2 whole masks of 25 pixels.
    expect(off.map.dims).toEqual([1, 2, 2]);
    expect(Array.from(off.map.data)).toEqual([25, 25, 25, 25]);
    expect(off.rowCenters).toEqual([2, 5]);
  });

  for (const layout of ['NCHW', 'NHWC'] as const) {
    it(`equals the analytic score change of a linear model (${layout}, logits and probabilities)`, async () => {
      const [C, H, W] = [3, 12, 9];
      const itemDims = layout === 'NCHW' ? [C, H, W] : [H, W, C];
      const m = await linearImageModel({ itemDims, classes: 4, seed: 11, bias: [0.1, -0.2, 0.3, 0] });
      const batch = { data: lcgValues(2 * C * H * W, 21, 0, 1), dims: [2, ...itemDims] };
      const maskSize: [number, number] = [4, 3];
      const stride: [number, number] = [3, 2];
      const maskValue = [0.5, -1, 2];
      const options = {
        maskSize,
        stride,
        maskValue,
        outputUpsampling: 'none' as const,
        target: [1, 'class3'],
      };
      const labelled = await linearImageModel({
        itemDims,
        classes: 4,
        seed: 11,
        bias: [0.1, -0.2, 0.3, 0],
        labels: ['class0', 'class1', 'class2', 'CLASS3'],
      });
      const logit = await occlusionSensitivity(labelled.model, batch, { ...options, score: 'logit' });
      const prob = await occlusionSensitivity(labelled.model, batch, { ...options, miniBatchSize: 7 });
      expect(logit.targets).toEqual([1, 3]);
      const rowRanges = clippedRanges(H, maskSize[0], stride[0]);
      const colRanges = clippedRanges(W, maskSize[1], stride[1]);
      expect(logit.map.dims).toEqual([2, rowRanges.length, colRanges.length]);
      const scores = (mm: LinearImageModel, v: Float32Array) =>
        [0, 1, 2, 3].map((k) => linearScore(mm, k, v));
      let i = 0;
      for (let b = 0; b < 2; b++) {
        const x = item(batch, b);
        const t = logit.targets[b];
        const baseLogits = scores(m, x);
        for (const rows of rowRanges) {
          for (const cols of colRanges) {
            const masked = occluded(x, layout, [C, H, W], rows, cols, maskValue);
            const maskedLogits = scores(m, masked);
            expect(logit.map.data[i]).toBeCloseTo(baseLogits[t] - maskedLogits[t], 4);
            expect(prob.map.data[i]).toBeCloseTo(softmax(baseLogits)[t] - softmax(maskedLogits)[t], 5);
            i++;
          }
        }
      }
    });
  }

  it("measures the pre-softmax score with score 'logit' on a model that ends in Softmax", async () => {
    const m = await linearImageModel({ itemDims: [1, 6, 6], classes: 3, seed: 4, softmax: true });
    const x = lcgValues(36, 6, 0, 1);
    const r = await occlusionSensitivity(
      m.model,
      { data: x, dims: [1, 1, 6, 6] },
      {
        maskSize: 3,
        stride: 3,
        maskValue: 0,
        maskClipping: 'off',
        outputUpsampling: 'none',
        score: 'logit',
        target: 2,
      },
    );
    const masked = occluded(x, 'NCHW', [1, 6, 6], [3, 6], [0, 3], [0]);
    expect(r.map.data[2]).toBeCloseTo(linearScore(m, 2, x) - linearScore(m, 2, masked), 5);
  });

  it("uses each image's channel means for maskValue 'auto'", async () => {
    const m = await linearImageModel({ itemDims: [2, 6, 6], classes: 1, weights: () => 1 });
    const data = new Float32Array(72);
    for (let p = 0; p < 36; p++) {
      data[p] = p % 2; // channel 0: mean 0.5
      data[36 + p] = 3; // channel 1: mean 3
    }
    const r = await occlusionSensitivity(
      m.model,
      { data, dims: [1, 2, 6, 6] },
      { maskSize: 6, stride: 6, score: 'logit', maskClipping: 'off', outputUpsampling: 'none' },
    );
    expect(r.maskValues).toEqual([[0.5, 3]]);
    // Replacing every pixel by its channel mean keeps the sum: no change.
    expect(r.map.data[0]).toBeCloseTo(0, 4);
  });

  it('up-samples through the mask centres and reports increasing progress', async () => {
    const m = await linearImageModel({ itemDims: [1, 20, 16], classes: 3, seed: 2 });
    const x = { data: lcgValues(320, 9, 0, 1), dims: [1, 1, 20, 16] };
    const events: ProgressEvent[] = [];
    const options = {
      maskSize: [5, 4] as [number, number],
      stride: [4, 3] as [number, number],
      miniBatchSize: 6,
    };
    const grid = await occlusionSensitivity(m.model, x, { ...options, outputUpsampling: 'none' });
    const nearest = await occlusionSensitivity(m.model, x, { ...options, outputUpsampling: 'nearest' });
    const bicubic = await occlusionSensitivity(m.model, x, {
      ...options,
      outputUpsampling: 'bicubic',
      onProgress: (e) => events.push(e),
    });
    expect(nearest.map.dims).toEqual([1, 20, 16]);
    const [rows, cols] = [grid.map.dims[1], grid.map.dims[2]];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const at = grid.rowCenters[r] * 16 + grid.colCenters[c];
        expect(nearest.map.data[at]).toBeCloseTo(grid.map.data[r * cols + c], 6);
        expect(bicubic.map.data[at]).toBeCloseTo(grid.map.data[r * cols + c], 6);
      }
    }
    // Nearest: every pixel takes the value of the closest centre (centres 0, 4, 8, ...; 0, 3, 6, ...).
    for (let y = 0; y < 20; y++) {
      for (let xx = 0; xx < 16; xx++) {
        const r = Math.min(rows - 1, Math.round(y / 4));
        const c = Math.min(cols - 1, Math.round(xx / 3));
        expect(nearest.map.data[y * 16 + xx]).toBe(grid.map.data[r * cols + c]);
      }
    }
    const total = 1 + rows * cols; // the unmasked image rides in the first mini-batch
    expect(events.length).toBe(Math.ceil(total / 6));
    expect(events.map((e) => e.done)).toEqual([...events.map((e) => e.done)].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e.done)).size).toBe(events.length);
    expect(events.at(-1)).toMatchObject({ done: total, total });
  });

  it('rejects bad options and targets with typed errors', async () => {
    const m = await linearImageModel({ itemDims: [1, 8, 8], classes: 3, labels: ['cat', 'dog', 'bird'] });
    const x = { data: lcgValues(64, 1, 0, 1), dims: [1, 1, 8, 8] };
    await expect(occlusionSensitivity(m.model, x, { target: 3 })).rejects.toThrow(/0\.\.2/);
    await expect(occlusionSensitivity(m.model, x, { target: 'dgo' })).rejects.toThrow(TargetError);
    await expect(occlusionSensitivity(m.model, x, { target: 'dgo' })).rejects.toThrow(/"dog"/);
    await expect(occlusionSensitivity(m.model, x, { maskSize: 9, maskClipping: 'off' })).rejects.toThrow(
      OptionError,
    );
    await expect(occlusionSensitivity(m.model, x, { stride: 0 })).rejects.toThrow(OptionError);
    await expect(occlusionSensitivity(m.model, x, { maskValue: [1, 2] })).rejects.toThrow(NetlensError);
  });

  it('points at the object on shapes-cnn: pointing game >= 85% on 40 test images (auto mask, stride 10)', async () => {
    const model = await loadModel(fixtureModelPath('shapes-cnn'));
    const set = loadImageSamples('shapes-cnn');
    const count = 40;
    const spec = model.inputSpec;
    expect(spec).toBeDefined();
    const images = Array.from({ length: count }, (_, i) => ({
      data: imagePixels(set, i),
      width: set.width,
      height: set.height,
      channels: 3 as const,
    }));
    const input = imagesToTensor(images, spec!);
    const result = await occlusionSensitivity(model, input, {
      target: Array.from(set.labels.subarray(0, count)),
      stride: 10,
    });
    expect(result.map.dims).toEqual([count, set.height, set.width]);
    const game = pointingGame(result.map, set.boxes!.slice(0, count));
    expect(game.accuracy).toBeGreaterThanOrEqual(0.85);
    await model.dispose();
  });
});
