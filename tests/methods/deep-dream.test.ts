import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import type { OnnxModel } from '../../src/model.js';
import { classMaximization, deepDream } from '../../src/methods/dream/index.js';
import type { ProgressEvent } from '../../src/types.js';
import { RGB_CNN, rgbCnnFeatures, rgbCnnLogits, rgbCnnModel } from './gradient-models.js';

const S = RGB_CNN.size;
let cnn: OnnxModel;
beforeAll(async () => {
  cnn = await rgbCnnModel();
});
afterAll(async () => {
  await cnn.dispose();
});

/** Mean of the chosen channels of relu(conv(x)) for one item, from the reference implementation. */
function channelMean(item: Float32Array, channels: number[]): number {
  const f = rgbCnnFeatures(item);
  const P = S * S;
  let s = 0;
  for (const c of channels) for (let p = 0; p < P; p++) s += f[c * P + p];
  return s / (channels.length * P);
}

describe('deepDream', () => {
  it('raises the mean activation of the chosen channels octave by octave and returns input-size images', async () => {
    const events: ProgressEvent[] = [];
    const groups = [[0], [1, 2], [5]];
    const r = await deepDream(cnn, 'feat', [0, [1, 2], 5], { seed: 3, onProgress: (e) => events.push(e) });
    expect(r.image.dims).toEqual([3, 3, S, S]);
    expect(r.pictures!.map((p) => [p.width, p.height, p.channels])).toEqual([
      [S, S, 3],
      [S, S, 3],
      [S, S, 3],
    ]);
    expect(r.octaveSizes).toEqual([
      [4, 4],
      [6, 6],
      [8, 8],
    ]);
    expect(r.objective).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      // The reported objective is the real one: check the end value against the reference network.
      const item = r.image.data.subarray(i * 3 * S * S, (i + 1) * 3 * S * S);
      const last = r.objective[2][i][r.objective[2][i].length - 1];
      expect(last).toBeCloseTo(channelMean(item, groups[i]), 4);
      for (let o = 0; o < 3; o++) {
        const trace = r.objective[o][i];
        expect(trace).toHaveLength(11);
        const gain = trace[trace.length - 1] - trace[0];
        expect(gain).toBeGreaterThan(0);
        // Monotone within noise: no step loses more than 5 % of the octave's gain.
        for (let t = 1; t < trace.length; t++) expect(trace[t] - trace[t - 1]).toBeGreaterThan(-0.05 * gain);
        if (o > 0) expect(trace[0]).toBeCloseTo(r.objective[o - 1][i][10], 5);
      }
    }
    // Values stay within the pixel range of the spec: (0..255)/255 − 0.5) / 0.25 = [−2, 2].
    expect(r.image.data.every((v) => v >= -2 - 1e-6 && v <= 2 + 1e-6)).toBe(true);
    expect(events).toHaveLength(30);
    expect(events[29]).toEqual({ done: 30, total: 30, stage: 'octave 3/3' });
  });

  it('is reproducible by seed and starts from a given image', async () => {
    const a = await deepDream(cnn, 'feat', [1], { seed: 5, numIterations: 3, pyramidLevels: 2 });
    const b = await deepDream(cnn, 'feat', [1], { seed: 5, numIterations: 3, pyramidLevels: 2 });
    const c = await deepDream(cnn, 'feat', [1], { seed: 6, numIterations: 3, pyramidLevels: 2 });
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(b.image.data.buffer))).toBe(true);
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(c.image.data.buffer))).toBe(false);
    const start = { data: new Float32Array(3 * S * S).fill(0.25), dims: [1, 3, S, S] };
    const d = await deepDream(cnn, 'feat', 2, { initialImage: start, numIterations: 1, pyramidLevels: 1 });
    expect(d.objective[0][0][0]).toBeCloseTo(channelMean(start.data, [2]), 5);
    await expect(deepDream(cnn, 'feat', [], {})).rejects.toThrow(OptionError);
    await expect(deepDream(cnn, 'feat', [1], { pyramidScale: 0.5 })).rejects.toThrow(/pyramidScale/);
    await expect(deepDream(cnn, 'feat', [9], {})).rejects.toThrow(/out of range/);
    await expect(deepDream(cnn, 'nope', [0], {})).rejects.toThrow(/unknown layer/);
  });
});

describe('classMaximization', () => {
  it('raises the class score with jitter, blur and decay, reproducibly', async () => {
    const r = await classMaximization(cnn, ['red', 2], { seed: 2, numIterations: 30 });
    expect(r.classes).toEqual([0, 2]);
    expect(r.image.dims).toEqual([2, 3, S, S]);
    for (let i = 0; i < 2; i++) {
      const trace = r.objective[i];
      expect(trace).toHaveLength(31);
      expect(trace[30]).toBeGreaterThan(trace[0] + 0.3);
      const item = r.image.data.subarray(i * 3 * S * S, (i + 1) * 3 * S * S);
      expect(trace[30]).toBeCloseTo(rgbCnnLogits(rgbCnnFeatures(item))[r.classes[i]], 4);
    }
    const again = await classMaximization(cnn, ['red', 2], { seed: 2, numIterations: 30 });
    expect(Buffer.from(again.image.data.buffer).equals(Buffer.from(r.image.data.buffer))).toBe(true);
    await expect(classMaximization(cnn, 'purple')).rejects.toThrow(/unknown class/);
  });
});
