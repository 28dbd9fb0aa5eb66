/**
 * Exported explanation graphs, run by plain onnxruntime-node (no netlens code on the run side), return the
 * model's outputs unchanged and the same maps as netlens's methods.
 */
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXPLAINERS } from '../../src/explainers/index.js';
import {
  EXPLAINED_CLASS_OUTPUT,
  MAP_OUTPUT,
  explanationGraph,
  resampleMatrix,
} from '../../src/export/index.js';
import { upsample } from '../../src/image/upsample.js';
import { loadImagesForModel } from '../../src/image/index.js';
import type { OnnxModel } from '../../src/model.js';
import { loadModel } from '../../src/node/load.js';
import { encodeModel } from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import { maxAbs, maxAbsDiff, tieFreeInput } from '../helpers/map-compare.js';

const FIXTURES = {
  'shapes-cnn': ['0000-circle.png', '0001-square.png'],
  'fashion-cnn': ['0000-trouser.png', '0004-coat.png'],
};

const CASES: { method: string; options: Record<string, unknown> }[] = [
  { method: 'gradcam', options: {} },
  { method: 'hirescam', options: {} },
  { method: 'layercam', options: { outputUpsampling: 'bilinear' } },
  { method: 'saliency', options: {} },
  { method: 'guided-backprop', options: {} },
  { method: 'deconvnet', options: { channelReduction: 'sum' } },
  { method: 'input-x-gradient', options: {} },
  { method: 'integrated-gradients', options: { numSteps: 8, method: 'riemannMiddle' } },
];

async function runPlain(bytes: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('resampleMatrix', () => {
  it('applied to rows and columns equals netlens 2-D up-sampling', () => {
    const map = {
      data: Float32Array.from({ length: 5 * 7 }, (_, i) => Math.sin(i * 1.7) + (i % 3)),
      width: 7,
      height: 5,
    };
    const want = upsample(map, { width: 19, height: 13 }, 'bicubic').data;
    const mx = resampleMatrix(7, 19, 'bicubic');
    const my = resampleMatrix(5, 13, 'bicubic');
    const got = new Float32Array(13 * 19);
    for (let Y = 0; Y < 13; Y++)
      for (let X = 0; X < 19; X++) {
        let s = 0;
        for (let y = 0; y < 5; y++)
          for (let x = 0; x < 7; x++) s += my[y * 13 + Y] * map.data[y * 7 + x] * mx[x * 19 + X];
        got[Y * 19 + X] = s;
      }
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5 * maxAbs(want));
  });
});

for (const [fixture, images] of Object.entries(FIXTURES)) {
  describe(`explanation graphs of ${fixture}`, () => {
    let model: OnnxModel;
    let input: TensorData;
    let feeds: Record<string, ort.Tensor>;

    beforeAll(async () => {
      model = await loadModel(`fixtures/${fixture}/model.onnx`);
      const loaded = (
        await loadImagesForModel(
          images.map((i) => `fixtures/${fixture}/samples/images/${i}`),
          model.inputSpec!,
        )
      ).input;
      // Dithered and checked tie-free (the graphs carry integrated gradients' flat black baseline): the graph
      // and the library sum in different orders, which only matters within rounding of a ReLU / max-pool kink.
      input = (
        await tieFreeInput(
          model,
          loaded,
          CASES.map(({ method, options }) => ({
            explainer: EXPLAINERS.find((e) => e.id === method)!,
            options,
          })),
          { baselineKind: 'black' },
        )
      ).input;
      feeds = { [model.inputName]: new ort.Tensor('float32', input.data, input.dims) };
    });

    for (const { method, options } of CASES) {
      it(`${method}: plain ONNX Runtime returns the model outputs and netlens's map`, async () => {
        const bytes = encodeModel(await explanationGraph(model, method, options));
        const out = await runPlain(bytes, feeds);
        const original = await model.run(
          input,
          model.outputs.map((o) => o.name),
        );
        for (const o of model.outputs) {
          expect(maxAbsDiff(out[o.name].data as Float32Array, original[o.name].data)).toBeLessThan(1e-5);
        }
        const explainer = EXPLAINERS.find((e) => e.id === method)!;
        const reference = await explainer.run(model, input, options);
        const map = out[MAP_OUTPUT];
        expect(map.dims).toEqual(reference.maps.dims);
        expect(Array.from(out[EXPLAINED_CLASS_OUTPUT].data as BigInt64Array, Number)).toEqual(
          reference.classes,
        );
        const scale = maxAbs(reference.maps.data);
        expect(scale).toBeGreaterThan(0);
        expect(maxAbsDiff(map.data as Float32Array, reference.maps.data)).toBeLessThanOrEqual(1e-4 * scale);
      });
    }

    it('explains the class given as the target input', async () => {
      const bytes = encodeModel(await explanationGraph(model, 'gradcam', { targetInput: true }));
      const predicted = (await EXPLAINERS.find((e) => e.id === 'gradcam')!.run(model, input, {})).classes;
      // A class other than the predicted one for every image.
      const other = predicted.map((c) => ((c ?? 0) + 1) % model.labels!.length);
      const out = await runPlain(bytes, {
        ...feeds,
        target: new ort.Tensor('int64', BigInt64Array.from(other.map(BigInt)), [other.length]),
      });
      const reference = await EXPLAINERS.find((e) => e.id === 'gradcam')!.run(model, input, {
        target: other,
      });
      expect(Array.from(out[EXPLAINED_CLASS_OUTPUT].data as BigInt64Array, Number)).toEqual(other);
      const scale = maxAbs(reference.maps.data);
      expect(maxAbsDiff(out[MAP_OUTPUT].data as Float32Array, reference.maps.data)).toBeLessThanOrEqual(
        1e-4 * Math.max(scale, 1e-6),
      );
    });
  });
}
