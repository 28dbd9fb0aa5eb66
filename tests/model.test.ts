import { afterAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { LayerError, ModelError, OptionError, UnsupportedError } from '../src/errors.js';
import { OnnxModel, type OnnxModelOptions } from '../src/model.js';
import {
  encodeModel,
  floatTensor,
  makeModel,
  makeNode,
  makeValueInfo,
  type ModelProto,
} from '../src/onnx/proto.js';
import type { OnnxRuntime } from '../src/onnx/runtime.js';
import { nodeRuntime } from '../src/node/load.js';
import type { ProgressEvent, TensorData } from '../src/types.js';
import {
  CNN,
  cnnModel,
  intInputModel,
  referenceConvRelu,
  referenceLogits,
  seededValues,
  sequenceModel,
  skipModel,
  softmax,
  timeMajorModel,
} from './helpers/onnx-models.js';
import { countingRuntime } from './helpers/counting-runtime.js';

const opened: OnnxModel[] = [];
afterAll(async () => {
  for (const model of opened) await model.dispose();
});

async function open(
  model: ModelProto,
  options: OnnxModelOptions = {},
  runtime: OnnxRuntime = ort,
): Promise<OnnxModel> {
  const created = await OnnxModel.create(encodeModel(model), runtime, options);
  opened.push(created);
  return created;
}

function batchOf(count: number, seed = 7): TensorData {
  return { data: seededValues(count * CNN.size * CNN.size, seed), dims: [count, 1, CNN.size, CNN.size] };
}
function item(batch: TensorData, i: number): Float32Array {
  const size = CNN.size * CNN.size;
  return batch.data.slice(i * size, (i + 1) * size);
}
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++)
    expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(tolerance);
}

describe('OnnxModel: description', () => {
  it('reports inputs, outputs, labels and metadata', async () => {
    const model = await open(
      cnnModel({ metadata: { 'netlens.labels': JSON.stringify(CNN.labels), author: 'tests' } }),
    );
    expect(model.inputs).toEqual([{ name: 'x', elemType: 'float32', shape: ['N', 1, 4, 4] }]);
    expect(model.outputs).toEqual([{ name: 'prob', elemType: 'float32', shape: ['N', 3] }]);
    expect(model.inputName).toBe('x');
    expect(model.outputName).toBe('prob');
    expect(model.labels).toEqual(CNN.labels);
    expect(model.metadata).toEqual({ 'netlens.labels': JSON.stringify(CNN.labels), author: 'tests' });
    expect(model.inputSpec).toBeUndefined();
  });

  it('lists layers in topological order with probed shapes, skipping integer and constant tensors', async () => {
    const model = await open(cnnModel({ flatten: 'shape-chain', reverseNodes: true }));
    const layers = await model.layers();
    expect(layers.map((l) => [l.name, l.opType, l.shape])).toEqual([
      ['conv1', 'Conv', [1, 2, 4, 4]],
      ['relu1', 'Relu', [1, 2, 4, 4]],
      ['gap', 'GlobalAveragePool', [1, 2, 1, 1]],
      ['flat', 'Reshape', [1, 2]],
      ['logits', 'Gemm', [1, 3]],
      ['prob', 'Softmax', [1, 3]],
    ]);
    expect(layers.map((l) => l.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(layers[1].nodeName).toBe('Relu_1');
  });

  it('finds the feature layer and the reduction layer', async () => {
    const withSoftmax = await open(cnnModel());
    expect(await withSoftmax.featureLayer()).toBe('relu1');
    expect(await withSoftmax.reductionLayer()).toBe('logits');
    const logitsOnly = await open(cnnModel({ softmax: false }));
    expect(await logitsOnly.reductionLayer()).toBe('logits');
    const noSpatial = await open(skipModel());
    expect(await noSpatial.featureLayer()).toBe('e');
  });

  it('reads layer tensors in the layout the model declares when looking for the feature layer', async () => {
    // NHWC input transposed to NCHW layers (as TF.js imports are): conv [N, 4, 6, 6], then a row mean
    // [N, 4, 6, 1] that only looks spatial when read as NHWC.
    const graph = (metadata: Record<string, string>) =>
      makeModel({
        nodes: [
          makeNode('Transpose', ['x'], ['t'], { perm: [0, 3, 1, 2] }),
          makeNode('Conv', ['t', 'w', 'b'], ['conv'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }),
          makeNode('ReduceMean', ['conv'], ['rows'], { axes: [3], keepdims: 1 }),
          makeNode('Flatten', ['rows'], ['flat'], { axis: 1 }),
          makeNode('Gemm', ['flat', 'fc', 'fcb'], ['logits'], { transB: 1 }),
        ],
        inputs: [makeValueInfo('x', ['N', 6, 6, 3])],
        outputs: [makeValueInfo('logits', ['N', 2])],
        initializers: [
          floatTensor('w', [4, 3, 3, 3], seededValues(108, 1)),
          floatTensor('b', [4], seededValues(4, 2)),
          floatTensor('fc', [2, 24], seededValues(48, 3)),
          floatTensor('fcb', [2], seededValues(2, 4)),
        ],
        metadata: {
          'netlens.input': JSON.stringify({ layout: 'NHWC', channels: 3, height: 6, width: 6 }),
          ...metadata,
        },
      });
    expect(await (await open(graph({ 'netlens.layerLayout': 'NCHW' }))).featureLayer()).toBe('conv');
    expect(await (await open(graph({}))).featureLayer()).toBe('rows');
  });

  it('tells probabilities from logits, also through an Identity after the Softmax', async () => {
    expect((await open(cnnModel())).outputKind).toBe('probabilities');
    expect((await open(cnnModel({ identityAfterSoftmax: true }))).outputKind).toBe('probabilities');
    expect((await open(cnnModel({ identityAfterSoftmax: true }))).outputName).toBe('prob_out');
    expect((await open(cnnModel({ softmax: false }))).outputKind).toBe('logits');
  });

  it('marks batch-dependent dims with -1 in the probed tensor shapes', async () => {
    const model = await open(cnnModel({ flatten: 'shape-chain' }));
    const shapes = await model.tensorShapes();
    expect(shapes.x).toEqual([-1, 1, 4, 4]);
    expect(shapes.relu1).toEqual([-1, 2, 4, 4]);
    expect(shapes.flat).toEqual([-1, 2]);
    expect(shapes['conv.W']).toEqual([2, 1, 3, 3]);
    expect(shapes.gap_shape).toEqual([4]);
    expect(shapes.zero).toEqual([]);
  });
});

describe('OnnxModel: running', () => {
  it('predicts the values of an independent reference, with probabilities', async () => {
    const batch = batchOf(5);
    const logitsModel = await open(cnnModel({ softmax: false }));
    const probModel = await open(cnnModel());
    const fromLogits = await logitsModel.predict(batch);
    const fromProbs = await probModel.predict(batch);
    expect(fromLogits.scores.dims).toEqual([5, 3]);
    for (let i = 0; i < 5; i++) {
      const logits = referenceLogits(item(batch, i));
      expectClose(fromLogits.scores.data.slice(i * 3, i * 3 + 3), logits);
      expectClose(fromLogits.probabilities.data.slice(i * 3, i * 3 + 3), softmax(logits));
      expectClose(fromProbs.scores.data.slice(i * 3, i * 3 + 3), softmax(logits));
    }
    expect(Array.from(fromProbs.probabilities.data)).toEqual(Array.from(fromProbs.scores.data));
  });

  it('gives identical results with miniBatchSize 1 and 128, and reports progress per mini-batch', async () => {
    const model = await open(cnnModel());
    const batch = batchOf(7, 3);
    const events: ProgressEvent[] = [];
    const small = await model.predict(batch, { miniBatchSize: 1, onProgress: (e) => events.push(e) });
    const large = await model.predict(batch, { miniBatchSize: 128 });
    expect(Array.from(small.scores.data)).toEqual(Array.from(large.scores.data));
    expect(events.map((e) => e.done)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(events.every((e) => e.total === 7)).toBe(true);
    const acts3 = await model.activations(batch, ['relu1', 'gap'], { miniBatchSize: 3 });
    const actsAll = await model.activations(batch, ['relu1', 'gap']);
    expect(Array.from(acts3.relu1.data)).toEqual(Array.from(actsAll.relu1.data));
    expect(acts3.gap.dims).toEqual([7, 2, 1, 1]);
  });

  it('uses the model option miniBatchSize as the default and rejects bad values', async () => {
    const model = await open(cnnModel(), { miniBatchSize: 2 });
    const events: ProgressEvent[] = [];
    await model.predict(batchOf(5), { onProgress: (e) => events.push(e) });
    expect(events.map((e) => e.done)).toEqual([2, 4, 5]);
    await expect(model.predict(batchOf(2), { miniBatchSize: 0 })).rejects.toThrow(OptionError);
  });

  it('runs a fixed-batch model (exported with batch 1) over a larger batch', async () => {
    const fixed = await open(cnnModel({ batch: 1 }));
    const symbolic = await open(cnnModel());
    const batch = batchOf(3, 9);
    expect(Array.from((await fixed.predict(batch)).scores.data)).toEqual(
      Array.from((await symbolic.predict(batch)).scores.data),
    );
    expect((await fixed.layers())[0].shape).toEqual([1, 2, 4, 4]);
  });

  it('returns activations equal to relu(conv(x)) computed by hand', async () => {
    const model = await open(cnnModel());
    const batch = batchOf(2, 5);
    const acts = await model.activations(batch, ['relu1']);
    expect(acts.relu1.dims).toEqual([2, 2, 4, 4]);
    for (let i = 0; i < 2; i++) {
      expectClose(acts.relu1.data.slice(i * 32, (i + 1) * 32), referenceConvRelu(item(batch, i)));
    }
  });

  it('hands out results that later runs leave alone (onnxruntime-node outputs are not copied)', async () => {
    const model = await open(cnnModel(), {}, nodeRuntime);
    const first = await model.activations(batchOf(2, 5), ['relu1']);
    const kept = Array.from(first.relu1.data);
    for (let i = 0; i < 3; i++) {
      const later = await model.activations(batchOf(2, 11 + i), ['relu1']);
      expect(later.relu1.data.buffer).not.toBe(first.relu1.data.buffer);
    }
    expect(Array.from(first.relu1.data)).toEqual(kept);
  });

  it('caches one session per output set, whatever the order', async () => {
    const { runtime, created } = countingRuntime();
    const model = await open(cnnModel(), {}, runtime);
    const afterOpen = created();
    const batch = batchOf(2);
    await model.predict(batch);
    await model.predict(batch);
    expect(created()).toBe(afterOpen); // the main session opened at load is reused
    await model.run(batch, ['relu1', 'gap']);
    const afterFirstSet = created();
    expect(afterFirstSet).toBe(afterOpen + 1);
    await model.run(batch, ['gap', 'relu1']);
    await model.run(batch, ['gap', 'relu1', 'gap']);
    expect(created()).toBe(afterFirstSet);
    await model.run(batch, ['gap']);
    expect(created()).toBe(afterFirstSet + 1);
  });

  it('passes the thread count and optimisation level to every session', async () => {
    const seen: unknown[] = [];
    const runtime: OnnxRuntime = {
      InferenceSession: {
        create: (bytes, options) => {
          seen.push(options);
          return ort.InferenceSession.create(bytes, options);
        },
      },
      Tensor: ort.Tensor,
    };
    const model = await open(cnnModel(), { threads: 1, graphOptimizationLevel: 'basic' }, runtime);
    await model.activations(batchOf(1), ['relu1']);
    expect(seen).toHaveLength(2); // main, activations (shapes come from static inference, no probe run)
    for (const options of seen) {
      expect(options).toMatchObject({ intraOpNumThreads: 1, graphOptimizationLevel: 'basic' });
    }
  });

  it('refuses unknown layers listing the closest names', async () => {
    const model = await open(cnnModel());
    await expect(model.checkLayer('relu_1')).rejects.toThrow(LayerError);
    await expect(model.checkLayer('relu_1')).rejects.toThrow(/closest: relu1/);
    await expect(model.activations(batchOf(1), ['gapp'])).rejects.toMatchObject({ code: 'UNKNOWN_LAYER' });
    await expect(model.run(batchOf(1), ['logit'])).rejects.toMatchObject({ code: 'UNKNOWN_TENSOR' });
    await expect(model.run(batchOf(1), ['logit'])).rejects.toThrow(/logits/);
    expect((await model.checkLayer('gap')).shape).toEqual([1, 2, 1, 1]);
  });

  it('refuses a shape-computation tensor as a layer, saying why', async () => {
    const model = await open(cnnModel({ flatten: 'shape-chain' }));
    await expect(model.checkLayer('gap_shape')).rejects.toThrow(/not a float tensor/);
  });

  it('rejects batches whose dims do not fit the input, naming expected and found', async () => {
    const model = await open(cnnModel());
    const wrong = { data: new Float32Array(2 * 3 * 4 * 4), dims: [2, 3, 4, 4] };
    await expect(model.predict(wrong)).rejects.toThrow(OptionError);
    await expect(model.predict(wrong)).rejects.toThrow(
      "input 'x' expects dims [N, 1, 4, 4], got [2, 3, 4, 4]",
    );
    await expect(model.predict({ data: new Float32Array(16), dims: [1, 16] })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(model.predict({ data: new Float32Array(15), dims: [1, 1, 4, 4] })).rejects.toThrow(
      /15 values/,
    );
  });

  it('refuses a model without a float input', async () => {
    await expect(OnnxModel.create(encodeModel(intInputModel()), ort)).rejects.toThrow(UnsupportedError);
    await expect(OnnxModel.create(encodeModel(intInputModel()), ort)).rejects.toMatchObject({
      code: 'UNSUPPORTED_MODEL',
      message: expect.stringContaining('ids: int64'),
    });
  });
});

describe('OnnxModel: labels and input spec', () => {
  it('takes labels from options over metadata and checks their count', async () => {
    const metadata = { 'netlens.labels': JSON.stringify(CNN.labels) };
    expect((await open(cnnModel({ metadata }), { labels: ['p', 'q', 'r'] })).labels).toEqual(['p', 'q', 'r']);
    await expect(OnnxModel.create(encodeModel(cnnModel()), ort, { labels: ['p', 'q'] })).rejects.toThrow(
      /2 labels given but output 'prob' has 3 classes/,
    );
    const broken = cnnModel({ metadata: { 'netlens.labels': '["a", ' } });
    await expect(OnnxModel.create(encodeModel(broken), ort)).rejects.toThrow(ModelError);
  });

  it('merges the input spec from metadata with option overrides, geometry from the input shape', async () => {
    const metadata = { 'netlens.input': JSON.stringify({ scale: 1, mean: [0.5], std: [0.25] }) };
    const model = await open(cnnModel({ metadata }), { inputSpec: { std: [2] } });
    expect(model.inputSpec).toEqual({
      height: 4,
      width: 4,
      channels: 1,
      layout: 'NCHW',
      channelOrder: 'GRAY',
      scale: 1,
      mean: [0.5],
      std: [2],
    });
    await expect(
      OnnxModel.create(encodeModel(cnnModel()), ort, { inputSpec: { height: 5 } }),
    ).rejects.toThrow(/height is 5 but the model input \(NCHW\) has 4/);
    await expect(
      OnnxModel.create(encodeModel(cnnModel()), ort, { inputSpec: { mean: [1, 2] } }),
    ).rejects.toThrow(/mean has 2 values for 1 channels/);
  });
});

describe('OnnxModel: non-image inputs', () => {
  const sequenceInput = { kind: 'sequence', layout: 'NTC', channels: 3, minLength: 4, maxLength: 6 };

  it('keeps a sequence description as given, with no image spec', async () => {
    const model = await open(sequenceModel({ 'netlens.input': JSON.stringify(sequenceInput) }));
    expect(model.inputSpec).toBeUndefined();
    expect(model.inputDescription).toEqual(sequenceInput);
  });

  it('probes a symbolic time axis with the described length, or exampleDims', async () => {
    const described = await open(sequenceModel({ 'netlens.input': JSON.stringify(sequenceInput) }));
    expect((await described.checkLayer('h')).shape).toEqual([1, 6, 2]);
    const explicit = await open(sequenceModel(), { exampleDims: [9, 3] });
    expect((await explicit.checkLayer('h')).shape).toEqual([1, 9, 2]);
    const undescribed = await open(sequenceModel());
    await expect(undescribed.layers()).rejects.toThrow(
      /symbolic dim 'T' at axis 1; give the exampleDims option/,
    );
    // Running needs no probe: any length goes.
    const x = { data: seededValues(2 * 5 * 3, 4), dims: [2, 5, 3] };
    expect((await undescribed.predict(x)).scores.dims).toEqual([2, 2]);
  });
});

describe('OnnxModel: tensors batched along another axis', () => {
  const n = 5;
  const t = 4;
  const x = { data: seededValues(n * t * 3, 51), dims: [n, t, 3] };
  /** mixed[t, n, c] = relu(x[n, t, c] + 0.5), by hand. */
  function expectedMixed(): Float32Array {
    const out = new Float32Array(t * n * 3);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < t; j++) {
        for (let c = 0; c < 3; c++) out[(j * n + i) * 3 + c] = Math.max(0, x.data[(i * t + j) * 3 + c] + 0.5);
      }
    }
    return out;
  }

  it('joins mini-batches along the batch axis of a time-major tensor', async () => {
    const model = await open(timeMajorModel());
    const whole = await model.run(x, ['mixed']);
    expect(whole.mixed.dims).toEqual([t, n, 3]);
    expectClose(whole.mixed.data, expectedMixed(), 1e-6);
    const parts = await model.run(x, ['mixed', 'y'], { miniBatchSize: 2 });
    expect(parts.mixed.dims).toEqual([t, n, 3]);
    expect(Array.from(parts.mixed.data)).toEqual(Array.from(whole.mixed.data));
  });

  it('runs from a time-major layer in mini-batches', async () => {
    const model = await open(timeMajorModel(), { exampleDims: [t, 3] });
    const mixed = (await model.activations(x, ['mixed'])).mixed;
    const tail = await model.forwardFrom('mixed', mixed, { miniBatchSize: 2 });
    expectClose(tail.data, (await model.predict(x)).scores.data, 1e-6);
  });

  it('does not list tensors made from the input shape only as layers', async () => {
    const model = await open(timeMajorModel(), { exampleDims: [t, 3] });
    expect((await model.layers()).map((l) => l.name)).toEqual(['tm', 'shifted', 'mixed', 'back', 'y']);
  });
});

describe('OnnxModel: running from a layer', () => {
  it('forwardFrom(L, activations(x, L)) equals predict(x) for every layer', async () => {
    const model = await open(cnnModel({ flatten: 'shape-chain' }));
    const batch = batchOf(3, 13);
    const expected = (await model.predict(batch)).scores;
    for (const layer of ['conv1', 'relu1', 'gap', 'flat', 'logits']) {
      const acts = (await model.activations(batch, [layer]))[layer];
      const tail = await model.forwardFrom(layer, acts, { miniBatchSize: 2 });
      expect(tail.dims).toEqual(expected.dims);
      expectClose(tail.data, expected.data, 1e-6);
    }
    const logits = await model.forwardFrom('relu1', (await model.activations(batch, ['relu1'])).relu1, {
      output: 'logits',
    });
    expect(logits.dims).toEqual([3, 3]);
  });

  it('returns the activations themselves when the layer is the output', async () => {
    const model = await open(cnnModel());
    const probs = (await model.predict(batchOf(2))).scores;
    const same = await model.forwardFrom('prob', probs);
    expect(Array.from(same.data)).toEqual(Array.from(probs.data));
    expect(same.data).not.toBe(probs.data);
  });

  it('explains that a layer inside a skip connection cannot be run from', async () => {
    const model = await open(skipModel());
    const x = { data: seededValues(2 * 2 * 9, 1), dims: [2, 2, 3, 3] };
    const b = (await model.activations(x, ['b'])).b;
    await expect(model.forwardFrom('b', b)).rejects.toThrow(UnsupportedError);
    await expect(model.forwardFrom('b', b)).rejects.toThrow(/reads 'a'.*skip connection/);
    const d = (await model.activations(x, ['d'])).d;
    expectClose((await model.forwardFrom('d', d)).data, (await model.predict(x)).scores.data, 1e-6);
  });

  it('rejects activations of the wrong shape', async () => {
    const model = await open(cnnModel());
    await expect(
      model.forwardFrom('relu1', { data: new Float32Array(16), dims: [1, 1, 4, 4] }),
    ).rejects.toThrow("layer 'relu1' expects dims [N, 2, 4, 4], got [1, 1, 4, 4]");
  });
});

describe('OnnxModel: vjp requests', () => {
  it('validates tensor names and rules before building anything', async () => {
    const model = await open(cnnModel());
    await expect(model.vjp({ output: 'logit', wrt: ['x'] })).rejects.toThrow(/closest: logits/);
    await expect(model.vjp({ output: 'logits', wrt: ['x', 'relu'] })).rejects.toMatchObject({
      code: 'UNKNOWN_TENSOR',
    });
    await expect(model.vjp({ output: 'logits', wrt: [] })).rejects.toThrow(OptionError);
    await expect(model.vjp({ output: 'logits', wrt: ['x'], rule: 'lrp' as never })).rejects.toThrow(
      /rule must be/,
    );
  });

  it('refuses requests from plain JavaScript with missing fields as typed errors', async () => {
    const model = await open(cnnModel());
    await expect(model.vjp({} as never)).rejects.toMatchObject({ code: 'UNKNOWN_TENSOR' });
    await expect(model.vjp({ output: 'logits' } as never)).rejects.toThrow(OptionError);
    await expect(model.vjp({ output: 'logits', wrt: [7] } as never)).rejects.toThrow(LayerError);
    await expect(model.checkLayer(undefined as never)).rejects.toThrow(LayerError);
  });
});

describe('the output to explain (outputName)', () => {
  /** cnnModel's logits as a second output scaled by 2, after its probabilities. */
  function twoOutputModel(): ModelProto {
    const model = cnnModel({ softmax: true });
    const graph = model.graph!;
    graph.node!.push(makeNode('Mul', ['logits', 'two'], ['double'], {}, 'Mul_double'));
    graph.initializer!.push(floatTensor('two', [], Float32Array.from([2])));
    graph.output!.push(makeValueInfo('double', ['N', CNN.classes]));
    return model;
  }

  it('puts the named output first: predictions, the output description and gradients follow it', async () => {
    const byDefault = await open(twoOutputModel());
    expect(byDefault.outputName).toBe('prob');
    const model = await open(twoOutputModel(), { outputName: 'double' });
    expect(model.outputName).toBe('double');
    expect(model.mainOutput.name).toBe('double');
    expect(model.outputs.map((o) => o.name)).toEqual(['double', 'prob']);
    const x = batchOf(2);
    const scores = (await model.predict(x)).scores;
    for (let n = 0; n < 2; n++) {
      const reference = referenceLogits(x.data.subarray(n * 16, (n + 1) * 16));
      for (let k = 0; k < CNN.classes; k++) {
        expect(scores.data[n * CNN.classes + k]).toBeCloseTo(2 * reference[k], 4);
      }
    }
    const single = await open(cnnModel({ softmax: false }));
    const seed = { data: Float32Array.from([0, 1, 0, 0, 0, 1]), dims: [2, 3] };
    const doubled = (await (await model.vjp({ output: 'double', wrt: ['x'] }))(x, seed)).grads[0];
    const plain = (await (await single.vjp({ output: 'logits', wrt: ['x'] }))(x, seed)).grads[0];
    plain.data.forEach((g, i) => expect(doubled.data[i]).toBeCloseTo(2 * g, 5));
  });

  it('refuses a name that is not an output, listing the outputs', async () => {
    await expect(open(twoOutputModel(), { outputName: 'logit' })).rejects.toThrow(
      /no output named 'logit' \(outputs: prob, double\)/,
    );
  });
});
