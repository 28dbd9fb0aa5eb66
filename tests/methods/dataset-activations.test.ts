/**
 * Dataset activations: streamed rows equal the layer computed in one shot and reduced by hand (on a tiny CNN
 * against a loop-by-loop reference, on fashion-cnn, and on the time-major LSTM output of sequence-lstm), the
 * mini-batch size changes nothing and bounds what is read and run at once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSequenceSamples, sequenceTensor } from '../../src/data/samples.js';
import { datasetActivations, datasetInputs } from '../../src/methods/dataset/activations.js';
import { sampleSetSource } from '../../src/methods/dataset/node-sources.js';
import { batchSource, sequenceSource, type DatasetSource } from '../../src/methods/dataset/source.js';
import { OnnxModel } from '../../src/model.js';
import { loadModel, nodeRuntime } from '../../src/node/load.js';
import { encodeModel } from '../../src/onnx/proto.js';
import type { Model, TensorData } from '../../src/types.js';
import { CNN, cnnModel, referenceConvRelu, seededValues } from '../helpers/onnx-models.js';

const FASHION = 'fixtures/fashion-cnn/model.onnx';
const FEATURE_LAYER = '/features/features.1/features.1.6/MaxPool_output_0';

/** Mean and max of each run of `size` values. */
function pool(values: Float32Array, size: number): { mean: number[]; max: number[] } {
  const mean: number[] = [];
  const max: number[] = [];
  for (let r = 0; r < values.length / size; r++) {
    const run = Array.from(values.subarray(r * size, (r + 1) * size));
    mean.push(run.reduce((a, b) => a + b, 0) / size);
    max.push(Math.max(...run));
  }
  return { mean, max };
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

/** A source that records the largest group it was asked to read. */
function recording(source: DatasetSource): { source: DatasetSource; largestRead: () => number } {
  let largest = 0;
  return {
    source: {
      ...source,
      itemDims: (i) => source.itemDims(i),
      read: async (items) => {
        largest = Math.max(largest, items.length);
        return source.read(items);
      },
    },
    largestRead: () => largest,
  };
}

/** A model that records the largest batch it was asked to run. */
function runRecorder(model: Model): { model: Model; largestRun: () => number } {
  let largest = 0;
  const proxy = Object.create(model) as Model;
  proxy.run = async (batch: TensorData, names: string[], options) => {
    largest = Math.max(largest, batch.dims[0]);
    return model.run(batch, names, options);
  };
  return { model: proxy, largestRun: () => largest };
}

describe('dataset activations on a tiny CNN with a hand-written reference', () => {
  it('flatten, mean and max rows equal the loop-by-loop conv+relu reduced by hand', async () => {
    const model = await OnnxModel.create(encodeModel(cnnModel()), nodeRuntime);
    const n = 11;
    const batch = { data: seededValues(n * 16, 3), dims: [n, 1, 4, 4] };
    const source = batchSource(batch);
    const flat = await datasetActivations(model, source, { layer: 'relu1', miniBatchSize: 4 });
    const mean = await datasetActivations(model, source, {
      layer: 'relu1',
      reduction: 'mean',
      miniBatchSize: 4,
    });
    const max = await datasetActivations(model, source, {
      layer: 'relu1',
      reduction: 'max',
      miniBatchSize: 4,
    });
    expect([flat.n, flat.features, mean.features, max.features]).toEqual([n, 32, CNN.filters, CNN.filters]);
    expect(mean.layout).toMatchObject({ batchAxis: 0, reducedAxes: [2, 3] });
    const reference = new Float32Array(n * 32);
    for (let i = 0; i < n; i++)
      reference.set(referenceConvRelu(batch.data.subarray(i * 16, (i + 1) * 16)), i * 32);
    expectClose(flat.data, reference, 1e-5);
    const pooled = pool(reference, 16);
    expectClose(mean.data, pooled.mean, 1e-5);
    expectClose(max.data, pooled.max, 1e-5);
    await model.dispose();
  });

  it('refuses an empty data set, an unknown layer and an unknown reduction with typed errors', async () => {
    const model = await OnnxModel.create(encodeModel(cnnModel()), nodeRuntime);
    const source = batchSource({ data: seededValues(32, 1), dims: [2, 1, 4, 4] });
    await expect(datasetActivations(model, source, { layer: 'nope' })).rejects.toMatchObject({
      code: 'UNKNOWN_LAYER',
    });
    await expect(
      datasetActivations(model, source, { layer: 'relu1', reduction: 'median' as never }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    expect(() => batchSource({ data: new Float32Array(0), dims: [0, 1, 4, 4] })).toThrow(/at least one item/);
    await model.dispose();
  });
});

describe('dataset activations on fashion-cnn', () => {
  let model: Model;
  let source: DatasetSource;
  const count = 45;
  beforeAll(async () => {
    model = await loadModel(FASHION);
    source = sampleSetSource('fashion-cnn', model.inputSpec, { limit: count });
  });

  it('streamed rows equal model.activations on the whole batch, reduced by hand', async () => {
    const whole = (await model.activations(await source.read([...Array(count).keys()]), [FEATURE_LAYER]))[
      FEATURE_LAYER
    ];
    expect(whole.dims).toEqual([count, 64, 7, 7]);
    const pooled = pool(whole.data, 49);
    const options = { layer: FEATURE_LAYER, miniBatchSize: 16 };
    const flat = await datasetActivations(model, source, options);
    expect([flat.n, flat.features]).toEqual([count, 64 * 49]);
    expectClose(flat.data, whole.data, 1e-5);
    expectClose(
      (await datasetActivations(model, source, { ...options, reduction: 'mean' })).data,
      pooled.mean,
      1e-5,
    );
    expectClose(
      (await datasetActivations(model, source, { ...options, reduction: 'max' })).data,
      pooled.max,
      1e-5,
    );
  });

  it('gives the same rows for mini-batches of 1, 7 and 128, never reading or running more at once', async () => {
    const results: Float32Array[] = [];
    for (const miniBatchSize of [1, 7, 128]) {
      const reads = recording(source);
      const runs = runRecorder(model);
      const events: number[] = [];
      const r = await datasetActivations(runs.model, reads.source, {
        layer: FEATURE_LAYER,
        reduction: 'mean',
        miniBatchSize,
        onProgress: (e) => events.push(e.done),
      });
      expect(reads.largestRead()).toBe(Math.min(miniBatchSize, count));
      expect(runs.largestRun()).toBeLessThanOrEqual(Math.max(miniBatchSize, 2)); // 2: the layout probe
      expect(events[events.length - 1]).toBe(count);
      expect(events.length).toBe(Math.ceil(count / miniBatchSize));
      results.push(r.data);
    }
    expect(Array.from(results[1])).toEqual(Array.from(results[0]));
    expect(Array.from(results[2])).toEqual(Array.from(results[0]));
    // Rows land at their item's position, whatever the grouping.
    expect(results[0].length).toBe(count * 64);
  });

  it('datasetInputs gives the normalised pixels as rows, with the labels', async () => {
    const inputs = await datasetInputs(source, { miniBatchSize: 10 });
    const direct = await source.read([...Array(count).keys()]);
    expect([inputs.n, inputs.features]).toEqual([count, 784]);
    expect(Array.from(inputs.data)).toEqual(Array.from(direct.data));
    expect(Array.from(inputs.labels ?? [])).toEqual(Array.from(source.labels ?? []));
  });
});

describe('dataset activations over time on sequence-lstm', () => {
  it('the time-major LSTM output, averaged / maximised over time per sequence, matches one-shot runs', async () => {
    const model = await loadModel('fixtures/sequence-lstm/model.onnx');
    const set = loadSequenceSamples('sequence-lstm');
    const count = 12;
    const source = sequenceSource(set.sequences.slice(0, count), set.channels, {
      labels: set.labels.subarray(0, count),
    });
    const layer = '/lstm/LSTM_output_0';
    const mean = await datasetActivations(model, source, { layer, reduction: 'mean', miniBatchSize: 5 });
    const max = await datasetActivations(model, source, { layer, reduction: 'max', miniBatchSize: 5 });
    expect(mean.layout.batchAxis).toBe(2);
    expect(mean.layout.reducedAxes).toEqual([0]);
    expect([mean.n, mean.features]).toEqual([count, 48]);
    for (let i = 0; i < count; i++) {
      const one = (await model.activations(sequenceTensor(set, i), [layer]))[layer];
      const steps = set.lengths[i];
      expect(one.dims).toEqual([steps, 1, 1, 48]);
      const wantMean = new Array<number>(48).fill(0);
      const wantMax = new Array<number>(48).fill(-Infinity);
      for (let t = 0; t < steps; t++) {
        for (let h = 0; h < 48; h++) {
          wantMean[h] += one.data[t * 48 + h] / steps;
          wantMax[h] = Math.max(wantMax[h], one.data[t * 48 + h]);
        }
      }
      expectClose(mean.data.subarray(i * 48, (i + 1) * 48), wantMean, 1e-5);
      expectClose(max.data.subarray(i * 48, (i + 1) * 48), wantMax, 1e-6);
    }
    // Flattening sequences of different lengths cannot give one row size.
    expect(new Set(set.lengths.slice(0, count)).size).toBeGreaterThan(1);
    await expect(datasetActivations(model, source, { layer, reduction: 'flatten' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await model.dispose();
  });
});
