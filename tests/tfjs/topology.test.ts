/**
 * Topologies: functional multi-branch graphs, shared layers, nested models (a Model or Sequential used as
 * a layer, also applied twice), multiple inputs/outputs; tensor naming and layouts; typed errors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelError, UnsupportedError } from '../../src/errors.js';
import { metadataProps, type ModelProto } from '../../src/onnx/proto.js';
import { fromTfjsLayers } from '../../src/tfjs/index.js';
import type { TfjsModelJson } from '../../src/tfjs/index.js';
import {
  compareWithTfjs,
  convert,
  maxAbsDiff,
  randomArray,
  randomizeWeights,
  runOnnx,
  saveToJson,
  seededRandom,
  tf,
  useWasmBackend,
  toNchw,
  withOutputs,
} from './harness.js';

const tensorNames = (onnx: ModelProto) => new Set((onnx.graph?.node ?? []).flatMap((n) => n.output ?? []));
const opCount = (onnx: ModelProto, opType: string) =>
  (onnx.graph?.node ?? []).filter((n) => n.opType === opType).length;

describe('topologies against TF.js', () => {
  beforeAll(useWasmBackend);

  it('multi-branch functional model (inception-style concat + residual add)', async () => {
    const input = tf.input({ shape: [9, 8, 3], name: 'image' });
    const stem = tf.layers
      .conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' })
      .apply(input);
    const a = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'branch_a' }).apply(stem);
    const b = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'branch_b' }).apply(stem);
    const c = tf.layers
      .maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'branch_c' })
      .apply(stem);
    const c1 = tf.layers.conv2d({ filters: 1, kernelSize: 1, name: 'branch_c_proj' }).apply(c);
    const mixed = tf.layers.concatenate({ name: 'mixed' }).apply([a, b, c1] as tf.SymbolicTensor[]);
    const residual = tf.layers.add({ name: 'residual' }).apply([mixed, stem] as tf.SymbolicTensor[]);
    const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(residual);
    const out = tf.layers
      .dense({ units: 4, activation: 'softmax', name: 'scores' })
      .apply(pooled) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    randomizeWeights(model, 1);
    const result = await compareWithTfjs(model, 1);
    expect(result.diff).toBeLessThan(1e-4);
    // Every Keras layer is a tensor of the graph, named after the layer.
    const names = tensorNames(result.onnx);
    for (const layer of [
      'stem',
      'branch_a',
      'branch_b',
      'branch_c',
      'branch_c_proj',
      'mixed',
      'residual',
      'gap',
      'scores',
    ]) {
      expect(names.has(layer)).toBe(true);
    }
    // One transpose after the input, none back: the whole image part runs in NCHW.
    expect(opCount(result.onnx, 'Transpose')).toBe(1);
    expect(metadataProps(result.onnx)['netlens.task']).toBe('classification');
    expect(metadataProps(result.onnx)['netlens.source']).toBe('tfjs-layers');
  });

  it('named 4-D layer tensors are NCHW and equal the Keras layer outputs', async () => {
    const input = tf.input({ shape: [7, 6, 3], name: 'x' });
    const conv = tf.layers
      .conv2d({ filters: 4, kernelSize: 2, strides: 2, padding: 'same', name: 'Conv_1' })
      .apply(input);
    const relu = tf.layers.reLU({ maxValue: 6, name: 'Conv_1_relu' }).apply(conv) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ units: 2, name: 'logits' })
      .apply(tf.layers.flatten({ name: 'flat' }).apply(relu)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    randomizeWeights(model, 2);
    const onnx = await convert(model);
    const x = randomArray(2 * 7 * 6 * 3, seededRandom(3));
    const got = await runOnnx(withOutputs(onnx, ['Conv_1', 'Conv_1_relu']), {
      x: { data: x, dims: [2, 7, 6, 3] },
    });
    const probe = tf.model({ inputs: input, outputs: [conv as tf.SymbolicTensor, relu] });
    const [convRef, reluRef] = probe.predict(tf.tensor(x, [2, 7, 6, 3])) as tf.Tensor[];
    expect(got.Conv_1.dims).toEqual([2, 4, 4, 3]);
    expect(
      maxAbsDiff(got.Conv_1.data, toNchw((await convRef.data()) as Float32Array, convRef.shape)),
    ).toBeLessThan(1e-5);
    expect(
      maxAbsDiff(got.Conv_1_relu.data, toNchw((await reluRef.data()) as Float32Array, reluRef.shape)),
    ).toBeLessThan(1e-5);
  });

  it('shared layer applied twice: later application is suffixed, weights stored once (and Subtract)', async () => {
    const left = tf.input({ shape: [5], name: 'left' });
    const right = tf.input({ shape: [5], name: 'right' });
    const shared = tf.layers.dense({ units: 3, activation: 'tanh', name: 'shared' });
    const a = shared.apply(left) as tf.SymbolicTensor;
    const b = shared.apply(right) as tf.SymbolicTensor;
    // TF.js has no Subtract layer: save an Add and turn it into the Keras Subtract in model.json.
    const merged = tf.layers.add({ name: 'diff' }).apply([a, b]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [left, right], outputs: merged });
    randomizeWeights(model, 4);
    const { modelJson, weightData } = await saveToJson(model);
    const json = JSON.parse(JSON.stringify(modelJson)) as TfjsModelJson & {
      modelTopology: { config: { layers: { class_name: string; name: string }[] } };
    };
    const diffLayer = json.modelTopology.config.layers.find((l) => l.name === 'diff');
    if (!diffLayer) throw new Error('no diff layer');
    diffLayer.class_name = 'Subtract';
    const onnx = fromTfjsLayers(json, weightData);
    const random = seededRandom(5);
    const l = randomArray(10, random);
    const r = randomArray(10, random);
    const got = await runOnnx(onnx, { left: { data: l, dims: [2, 5] }, right: { data: r, dims: [2, 5] } });
    const probe = tf.model({ inputs: [left, right], outputs: [a, b] });
    const [ra, rb] = probe.predict([tf.tensor(l, [2, 5]), tf.tensor(r, [2, 5])]) as tf.Tensor[];
    const expected = (await ra.sub(rb).data()) as Float32Array;
    expect(maxAbsDiff(got.diff.data, expected)).toBeLessThan(1e-5);
    const names = tensorNames(onnx);
    expect(names.has('shared')).toBe(true);
    expect(names.has('shared__1')).toBe(true);
    expect(onnx.graph?.initializer?.filter((t) => t.name?.startsWith('shared')).length).toBe(2); // kernel + bias
  });

  it('nested Sequential inside a functional model, applied twice', async () => {
    const tower = tf.sequential({
      name: 'tower',
      layers: [
        tf.layers.conv2d({
          inputShape: [6, 6, 2],
          filters: 3,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          name: 'tower_conv',
        }),
        tf.layers.globalMaxPooling2d({ name: 'tower_pool' }),
      ],
    });
    const a = tf.input({ shape: [6, 6, 2], name: 'a' });
    const b = tf.input({ shape: [6, 6, 2], name: 'b' });
    const merged = tf.layers
      .concatenate({ name: 'both' })
      .apply([tower.apply(a), tower.apply(b)] as tf.SymbolicTensor[]);
    const out = tf.layers.dense({ units: 2, name: 'head' }).apply(merged) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [a, b], outputs: out });
    randomizeWeights(model, 5);
    const result = await compareWithTfjs(model, 5);
    expect(result.diff).toBeLessThan(1e-4);
    const names = tensorNames(result.onnx);
    for (const name of ['tower', 'tower__1', 'tower_conv', 'tower_conv__1', 'head'])
      expect(names.has(name)).toBe(true);
  });

  it('functional model nested in a Sequential (transfer-learning shape)', async () => {
    const baseIn = tf.input({ shape: [8, 8, 3], name: 'base_input' });
    const c1 = tf.layers
      .conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'base_conv' })
      .apply(baseIn);
    const bn = tf.layers.batchNormalization({ name: 'base_bn' }).apply(c1);
    const base = tf.model({ inputs: baseIn, outputs: bn as tf.SymbolicTensor, name: 'base' });
    const model = tf.sequential({
      layers: [
        base,
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }),
      ],
    });
    randomizeWeights(model, 6);
    const result = await compareWithTfjs(model, 6);
    expect(result.diff).toBeLessThan(1e-4);
    expect(tensorNames(result.onnx).has('base_conv')).toBe(true);
  });

  it('two outputs, one of them a 4-D map exposed in NHWC; dynamic batch', async () => {
    const input = tf.input({ shape: [6, 5, 2], name: 'img' });
    const feat = tf.layers
      .conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'seg' })
      .apply(input) as tf.SymbolicTensor;
    const cls = tf.layers
      .dense({ units: 2, name: 'cls' })
      .apply(tf.layers.globalAveragePooling2d({}).apply(feat)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [cls, feat] });
    randomizeWeights(model, 7);
    const onnx = await convert(model);
    const outputs = onnx.graph?.output?.map((o) => o.name);
    expect(outputs).toEqual(['cls', 'seg_nhwc']);
    const x = randomArray(3 * 6 * 5 * 2, seededRandom(8));
    const got = await runOnnx(onnx, { img: { data: x, dims: [3, 6, 5, 2] } });
    const [clsRef, segRef] = model.predict(tf.tensor(x, [3, 6, 5, 2])) as tf.Tensor[];
    expect(got.seg_nhwc.dims).toEqual([3, 6, 5, 3]);
    expect(maxAbsDiff(got.cls.data, (await clsRef.data()) as Float32Array)).toBeLessThan(1e-4);
    expect(maxAbsDiff(got.seg_nhwc.data, (await segRef.data()) as Float32Array)).toBeLessThan(1e-4);
  });

  it('squeeze-and-excitation: Reshape to 1×1×C, Dense, Multiply with the NCHW map', async () => {
    const input = tf.input({ shape: [6, 6, 4], name: 'x' });
    const f = tf.layers
      .conv2d({ filters: 4, kernelSize: 3, padding: 'same' })
      .apply(input) as tf.SymbolicTensor;
    let s = tf.layers.globalAveragePooling2d({}).apply(f) as tf.SymbolicTensor;
    s = tf.layers.reshape({ targetShape: [1, 1, 4] }).apply(s) as tf.SymbolicTensor;
    s = tf.layers.dense({ units: 2, activation: 'relu' }).apply(s) as tf.SymbolicTensor;
    s = tf.layers.dense({ units: 4, activation: 'sigmoid' }).apply(s) as tf.SymbolicTensor;
    const scaled = tf.layers.multiply({}).apply([f, s]) as tf.SymbolicTensor;
    const avg = tf.layers.average({}).apply([scaled, f]) as tf.SymbolicTensor;
    const max = tf.layers.maximum({}).apply([avg, f]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.flatten({}).apply(max) as tf.SymbolicTensor });
    randomizeWeights(model, 9);
    const result = await compareWithTfjs(model, 9);
    expect(result.diff).toBeLessThan(1e-4);
  });
});

describe('typed errors', () => {
  beforeAll(useWasmBackend);

  async function savedJson(): Promise<{
    json: TfjsModelJson & {
      modelTopology: { config: { layers: { class_name: string; config: { name: string } }[] } };
    };
    weightData: Uint8Array;
  }> {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [3], units: 2, name: 'fc' }),
        tf.layers.dense({ units: 1, name: 'out' }),
      ],
    });
    const { modelJson, weightData } = await saveToJson(model);
    return { json: JSON.parse(JSON.stringify(modelJson)), weightData };
  }

  it('an unsupported layer names its class and layer', async () => {
    const { json, weightData } = await savedJson();
    json.modelTopology.config.layers[1].class_name = 'Conv3D';
    let error: unknown;
    try {
      fromTfjsLayers(json, weightData);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as UnsupportedError).code).toBe('UNSUPPORTED_LAYER');
    expect((error as Error).message).toMatch(/Conv3D/);
    expect((error as Error).message).toMatch(/'out'/);
  });

  it('an unsupported fused activation is named', async () => {
    const { json, weightData } = await savedJson();
    Object.assign(json.modelTopology.config.layers[1].config, { activation: 'crelu' });
    expect(() => fromTfjsLayers(json, weightData)).toThrow(/activation 'crelu' of layer 'out'/);
  });

  it('missing or mis-shaped weights are ModelErrors', async () => {
    const { json, weightData } = await savedJson();
    expect(() => fromTfjsLayers(json, weightData.subarray(0, 12))).toThrow(ModelError);
    const specs = json.weightsManifest?.[0].weights ?? [];
    specs[0].name = 'something_else/kernel';
    expect(() => fromTfjsLayers(json, weightData)).toThrow(/weight 'kernel' of layer 'fc' not found/);
  });

  it('graph models and non-models are refused', () => {
    expect(() => fromTfjsLayers({ format: 'graph-model', modelTopology: {} }, new Uint8Array())).toThrow(
      UnsupportedError,
    );
    expect(() => fromTfjsLayers({ hello: 1 }, new Uint8Array())).toThrow(ModelError);
  });
});
