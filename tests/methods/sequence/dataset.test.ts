/**
 * Data set methods on sequence sets: activations with MATLAB's OutputAs choices (last step, mean over time,
 * every step) on the time-major LSTM output, and t-SNE of the LSTM's last-step activations (MATLAB's choice)
 * against the raw inputs (resampled to one length), compared by 10-NN label agreement.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSequenceSamples, type SequenceSampleSet } from '../../../src/data/samples.js';
import { datasetActivations } from '../../../src/methods/dataset/activations.js';
import { compareRawAndLayer } from '../../../src/methods/dataset/embedding.js';
import { sequenceSource } from '../../../src/methods/dataset/source.js';
import { resampleSequence } from '../../../src/methods/sequence/raw-rows.js';
import { loadModel } from '../../../src/node/load.js';
import type { OnnxModel } from '../../../src/model.js';

let model: OnnxModel;
let set: SequenceSampleSet;
const Y = '/lstm/LSTM_output_0';
const YH = '/lstm/LSTM_output_1';

beforeAll(async () => {
  model = await loadModel('fixtures/sequence-lstm/model.onnx');
  set = loadSequenceSamples('sequence-lstm');
});

describe('sequence data sets', () => {
  it("reduction 'last' is the final hidden state, 'mean' the time average, 'flatten' needs one length", async () => {
    const indices = [0, 1, 2, 5];
    const source = sequenceSource(
      indices.map((i) => set.sequences[i]),
      12,
    );
    const last = await datasetActivations(model, source, { layer: Y, reduction: 'last' });
    const final = await datasetActivations(model, source, { layer: YH, reduction: 'flatten' });
    expect([last.n, last.features]).toEqual([4, 48]);
    last.data.forEach((v, k) => expect(v).toBeCloseTo(final.data[k], 5));
    const mean = await datasetActivations(model, source, { layer: Y, reduction: 'mean' });
    const one = (await model.activations({ data: set.sequences[2], dims: [1, set.lengths[2], 12] }, [Y]))[Y];
    for (let h = 0; h < 48; h++) {
      let sum = 0;
      for (let t = 0; t < set.lengths[2]; t++) sum += one.data[t * 48 + h];
      expect(mean.data[2 * 48 + h]).toBeCloseTo(sum / set.lengths[2], 5);
    }
    await expect(datasetActivations(model, source, { layer: Y, reduction: 'flatten' })).rejects.toThrow(
      /lengths/,
    );
  });

  it('resampling keeps the end points and interpolates linearly', () => {
    const values = Float32Array.from([0, 10, 2, 20, 4, 40]); // 3 steps x 2 channels
    expect(Array.from(resampleSequence(values, 3, 2, 5))).toEqual([0, 10, 1, 15, 2, 20, 3, 30, 4, 40]);
  });

  it('t-SNE of the last-step activations separates the classes better than t-SNE of the raw inputs', async () => {
    const count = 120;
    const source = sequenceSource(set.sequences.slice(0, count), 12, { labels: set.labels.slice(0, count) });
    const result = await compareRawAndLayer(model, source, {
      layer: Y,
      reduction: 'last',
      projection: { method: 'tsne', seed: 1, perplexity: 20 },
    });
    expect(result.raw.agreement10).toBeLessThan(0.6);
    expect(result.layer.agreement10).toBeGreaterThan(0.8);
  });
});

describe('sequence thumbnails', () => {
  it('draws each channel as a line: every column of a two-step ramp holds the line colour', async () => {
    const source = sequenceSource([Float32Array.from([0, 1])], 1);
    const picture = await source.picture!(0);
    expect([picture.width, picture.height, picture.channels]).toEqual([96, 48, 3]);
    for (let x = 0; x < picture.width; x++) {
      let coloured = 0;
      for (let y = 0; y < picture.height; y++) if (picture.data[(y * 96 + x) * 3] !== 255) coloured++;
      expect(coloured, `column ${x}`).toBeGreaterThan(0);
    }
    // Low values at the bottom left, high at the top right.
    expect(picture.data[(46 * 96 + 0) * 3]).not.toBe(255);
    expect(picture.data[(1 * 96 + 95) * 3]).not.toBe(255);
  });
});
