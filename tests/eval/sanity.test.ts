/**
 * Sanity checks (Adebayo et al. 2018): the randomised copies of a model, and the separation the paper
 * found — gradient maps and Grad-CAM lose their structure when every learned layer is re-initialised,
 * guided backpropagation keeps much more of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureModelPath, imagePixels, loadImageSamples } from '../../src/data/samples.js';
import { explainerFunction } from '../../src/eval/explain-fn.js';
import { modelRandomization, randomLogit } from '../../src/eval/sanity.js';
import { EXPLAINERS } from '../../src/explainers/index.js';
import { imagesToTensor } from '../../src/image/normalize.js';
import { argmaxRows } from '../../src/methods/target.js';
import { OnnxModel } from '../../src/model.js';
import { loadModel, nodeRuntime } from '../../src/node/load.js';
import { findInitializer } from '../../src/onnx/graph.js';
import { decodeTensor, type ModelProto } from '../../src/onnx/proto.js';
import { learnedLayers, randomizeLayers } from '../../src/onnx/randomize.js';
import type { TensorData } from '../../src/types.js';

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

function values(proto: ModelProto, name: string): Float32Array {
  return decodeTensor(findInitializer(proto.graph!, name)!).data as Float32Array;
}

let model: OnnxModel;
let input: TensorData;
let classes: number[];
const N = 6;

beforeAll(async () => {
  model = await loadModel(fixtureModelPath('fashion-cnn'));
  const set = loadImageSamples('fashion-cnn');
  const images = Array.from({ length: N }, (_, i) => ({
    data: imagePixels(set, i),
    width: set.width,
    height: set.height,
    channels: 1 as const,
  }));
  input = imagesToTensor(images, model.inputSpec!);
  classes = argmaxRows((await model.predict(input)).scores);
});
afterAll(async () => model.dispose());

describe('model randomisation', () => {
  it('re-initialises learned layers from the top, the same way in every copy, and nothing else', () => {
    const layers = learnedLayers(model.proto);
    expect(layers.map((l) => l.opType)).toEqual(['Gemm', 'Conv', 'Conv', 'Conv', 'Conv']);
    const top = randomizeLayers(model.proto, [0], 3);
    const two = randomizeLayers(model.proto, [0, 1], 3);
    const again = randomizeLayers(model.proto, [0], 3);
    const other = randomizeLayers(model.proto, [0], 4);
    const fc = layers[0].parameters[0];
    const conv = layers[1].parameters[0];
    expect(values(top, fc)).toEqual(values(again, fc));
    expect(values(top, fc)).toEqual(values(two, fc));
    expect(values(top, fc)).not.toEqual(values(other, fc));
    expect(values(top, fc)).not.toEqual(values(model.proto, fc));
    expect(values(top, conv)).toEqual(values(model.proto, conv));
    expect(values(two, conv)).not.toEqual(values(model.proto, conv));
    // The BatchNormalization after a re-initialised conv returns to its fresh state.
    const [scale, shift, runMean, runVar] = layers[1].normalization!;
    expect([...values(two, scale)].every((v) => v === 1)).toBe(true);
    expect([...values(two, runVar)].every((v) => v === 1)).toBe(true);
    expect([...values(two, shift), ...values(two, runMean)].every((v) => v === 0)).toBe(true);
    expect(values(top, runVar)).toEqual(values(model.proto, runVar));
    // Scale is kept: the new weights have the trained weights' spread (within sampling error).
    const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    const trained = values(model.proto, conv);
    expect(Math.abs(rms(values(two, conv)) / rms(trained) - 1)).toBeLessThan(6 / Math.sqrt(trained.length));
  });

  it('after full cascading randomisation Grad-CAM and saliency are unlike their maps (Spearman < 0.3), guided backprop much less so', async () => {
    const source = { proto: model.proto, open: (p: ModelProto) => OnnxModel.create(p, nodeRuntime) };
    const similarity: Record<string, number[]> = {};
    for (const id of ['gradcam', 'saliency', 'guided-backprop']) {
      const explain = explainerFunction(EXPLAINERS.find((e) => e.id === id)!);
      const maps = await explain(model, input, classes);
      const r = await modelRandomization(source, input, { maps, classes }, explain, { seed: 0 });
      expect(r.steps.map((s) => s.randomized.length)).toEqual([1, 2, 3, 4, 5]);
      similarity[id] = r.steps.map((s) => mean(s.similarity.spearman));
    }
    const full = (id: string) => similarity[id][4];
    expect(full('gradcam')).toBeLessThan(0.3);
    expect(full('saliency')).toBeLessThan(0.3);
    expect(full('guided-backprop')).toBeGreaterThan(full('gradcam') + 0.15);
    expect(full('guided-backprop')).toBeGreaterThan(full('saliency') + 0.15);
    // With only the classifier re-initialised guided backprop barely changes; the class-sensitive maps do.
    expect(similarity['guided-backprop'][0]).toBeGreaterThan(0.7);
    expect(similarity.gradcam[0]).toBeLessThan(0.5);
  });

  it('random logit: Grad-CAM of another class looks unlike the explained class', async () => {
    const explain = explainerFunction(EXPLAINERS.find((e) => e.id === 'gradcam')!);
    const maps = await explain(model, input, classes);
    const r = await randomLogit(model, input, { maps, classes }, explain, { seed: 2 });
    expect(r.otherClasses.every((c, i) => c !== classes[i] && c >= 0 && c < 10)).toBe(true);
    const self = await randomLogit(model, input, { maps, classes }, async () => maps, { seed: 2 });
    expect(self.similarity.ssim.every((s) => Math.abs(s - 1) < 1e-9)).toBe(true);
    expect(mean(r.similarity.ssim)).toBeLessThan(0.6);
  });
});
