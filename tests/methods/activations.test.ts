import { describe, expect, it } from 'vitest';
import { OnnxModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/load.js';
import { activations, channelStats } from '../../src/methods/activations.js';
import { activationPictures } from '../../src/methods/activation-figure.js';
import { upsample } from '../../src/image/upsample.js';
import { colorize } from '../../src/render/overlay.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { CNN, cnnModel, referenceConvRelu, seededValues } from '../helpers/onnx-models.js';

const spec = {
  height: 4,
  width: 4,
  channels: 1,
  layout: 'NCHW' as const,
  channelOrder: 'GRAY' as const,
  scale: 1 / 255,
  mean: [0.5],
  std: [0.25],
};

async function model(): Promise<OnnxModel> {
  return OnnxModel.create(encodeModel(cnnModel()), nodeRuntime, { inputSpec: spec });
}

describe('activations', () => {
  const batch = { data: seededValues(2 * 16, 5), dims: [2, 1, 4, 4] };

  it('returns the layer values in MATLAB OutputAs layouts', async () => {
    const m = await model();
    const ch = await activations(m, batch, { layer: 'relu1' });
    expect(ch.dims).toEqual([2, CNN.filters, 4, 4]);
    for (let i = 0; i < 2; i++) {
      const ref = referenceConvRelu(batch.data.subarray(i * 16, (i + 1) * 16));
      const got = ch.data.subarray(i * 32, (i + 1) * 32);
      ref.forEach((v, k) => expect(got[k]).toBeCloseTo(v, 5));
    }
    const rows = await activations(m, batch, { layer: 'relu1', outputAs: 'rows' });
    expect(rows.dims).toEqual([2, 32]);
    expect(Array.from(rows.data)).toEqual(Array.from(ch.data));
    const cols = await activations(m, batch, { layer: 'relu1', outputAs: 'columns' });
    expect(cols.dims).toEqual([32, 2]);
    for (let f = 0; f < 32; f++) {
      expect(cols.data[f * 2 + 1]).toBe(rows.data[32 + f]);
      expect(cols.data[f * 2]).toBe(rows.data[f]);
    }
    await expect(activations(m, batch, { layer: 'relu1', outputAs: 'bogus' as 'rows' })).rejects.toThrow(
      /outputAs/,
    );
    await expect(activations(m, batch, { layer: 'relu' })).rejects.toThrow(/relu1/);
  });

  it('defaults to the feature layer and finds the strongest channel', async () => {
    const m = await model();
    const acts = await activations(m, batch);
    expect(acts.layer).toBe('relu1');
    const stats = channelStats(acts, 1);
    const item = acts.data.subarray(32, 64);
    const maxes = [0, 1].map((c) => Math.max(...item.subarray(c * 16, (c + 1) * 16)));
    expect(stats.max[0]).toBeCloseTo(maxes[0], 6);
    expect(stats.strongest).toBe(maxes[0] >= maxes[1] ? 0 : 1);
    const means = [0, 1].map((c) => item.subarray(c * 16, (c + 1) * 16).reduce((a, b) => a + b, 0) / 16);
    expect(stats.mean[1]).toBeCloseTo(means[1], 6);
    expect(() => channelStats(acts, 2)).toThrow(/out of range/);
  });

  it('draws a montage with one tile per channel and the strongest channel at input size', async () => {
    const m = await model();
    const first = { data: batch.data.subarray(0, 16), dims: [1, 1, 4, 4] };
    const acts = await activations(m, first, { layer: 'relu1' });
    const pics = activationPictures(acts, first, spec, { minTileSize: 16 });
    // two 16-px tiles with 2-px borders, side by side (near-square grid of 2 → 1 row of 2 or 2 rows of 1)
    expect(pics.montage.width * pics.montage.height).toBeGreaterThanOrEqual(2 * 16 * 16);
    expect(pics.strongest.width).toBeGreaterThanOrEqual(160);
    expect(pics.strongestChannel).toBe(channelStats(acts).strongest);
    expect(pics.channels).toEqual([0, 1]);
    const one = activationPictures(acts, first, spec, { minTileSize: 16, maxChannels: 1 });
    expect(one.channels).toEqual([channelStats(acts).strongest]);
    expect(one.montage.width * one.montage.height).toBeLessThan(pics.montage.width * pics.montage.height);
  });

  it('shows the strongest channel itself when its number is beyond the shown subset (channel 90 of 100)', () => {
    // 100 channels of 6×6; channel 90 holds the largest value, in a pattern no other channel has.
    const channels = 100;
    const strongest = 90;
    const plane = 36;
    const data = new Float32Array(channels * plane);
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < plane; p++) {
        const [y, x] = [Math.floor(p / 6), p % 6];
        data[c * plane + p] = c === strongest ? 10 + x * 3 + y * y : 0.01 * (c + 1) * (6 - y);
      }
    }
    const acts = { data, dims: [1, channels, 6, 6] };
    const input = { data: seededValues(16, 3), dims: [1, 1, 4, 4] };
    const pics = activationPictures(acts, input, spec, { maxChannels: 64 });
    expect(pics.strongestChannel).toBe(strongest);
    expect(pics.channels).toContain(strongest);
    const expected = colorize(
      upsample(
        { data: data.slice(strongest * plane, (strongest + 1) * plane), width: 6, height: 6 },
        { width: pics.strongest.width, height: pics.strongest.height },
        'bilinear',
      ),
      { colormap: 'gray', scaling: 'minmax' },
    );
    expect(pics.strongest.width).toBe(expected.width);
    expect(Buffer.from(pics.strongest.data).equals(Buffer.from(expected.data))).toBe(true);
  });
});
