/**
 * Layer options Keras defines but TF.js ignores or refuses (ReLU negative_slope/threshold, ELU alpha):
 * model.json files written by Keras carry them, so they are checked against Keras's documented formulas.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fromTfjsLayers } from '../../src/tfjs/index.js';
import type { TfjsModelJson } from '../../src/tfjs/index.js';
import { randomArray, runOnnx, saveToJson, seededRandom, tf, useWasmBackend } from './harness.js';

/** A one-layer model.json (input [n]) whose layer config gets `patch` merged in. */
async function singleLayerJson(
  layer: tf.layers.Layer,
  patch: Record<string, unknown>,
): Promise<TfjsModelJson> {
  const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [4, 5, 3] }), layer] });
  const { modelJson } = await saveToJson(model);
  const json = JSON.parse(JSON.stringify(modelJson)) as TfjsModelJson & {
    modelTopology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  };
  const target = json.modelTopology.config.layers.find((l) => l.class_name !== 'InputLayer');
  if (!target) throw new Error('no layer');
  Object.assign(target.config, patch);
  return json;
}

async function runElementwise(json: TfjsModelJson, x: Float32Array): Promise<Float32Array> {
  const onnx = fromTfjsLayers(json, new Uint8Array());
  const name = onnx.graph?.input?.[0].name ?? '';
  const out = Object.values(await runOnnx(onnx, { [name]: { data: x, dims: [1, 4, 5, 3] } }))[0];
  expect(out.dims).toEqual([1, 4, 5, 3]);
  return out.data;
}

describe('Keras options beyond TF.js', () => {
  beforeAll(useWasmBackend);
  const x = randomArray(60, seededRandom(7), -3, 3);

  // Keras docs: f(x) = max_value for x >= max_value; x for threshold <= x < max_value;
  // negative_slope · (x − threshold) otherwise.
  const keras = (v: number, maxValue: number | null, slope: number, threshold: number) =>
    maxValue !== null && v >= maxValue ? maxValue : v >= threshold ? v : slope * (v - threshold);

  for (const [maxValue, slope, threshold] of [
    [null, 0.1, 0],
    [null, 0.2, 0.5],
    [1.5, 0.1, 0.5],
    [2, 0, 0.7],
    [1, 0.3, 0],
  ] as const) {
    it(`ReLU max_value=${maxValue} negative_slope=${slope} threshold=${threshold}`, async () => {
      const json = await singleLayerJson(tf.layers.reLU({}), {
        max_value: maxValue,
        negative_slope: slope,
        threshold,
      });
      const got = await runElementwise(json, x);
      x.forEach((v, i) => expect(got[i]).toBeCloseTo(keras(v, maxValue, slope, threshold), 5));
    });
  }

  it('ELU alpha', async () => {
    const json = await singleLayerJson(tf.layers.elu({}), { alpha: 0.7 });
    const got = await runElementwise(json, x);
    x.forEach((v, i) => expect(got[i]).toBeCloseTo(v > 0 ? v : 0.7 * (Math.exp(v) - 1), 5));
  });

  it('LeakyReLU with the Keras 3 spelling negative_slope', async () => {
    const json = await singleLayerJson(tf.layers.leakyReLU({}), { alpha: undefined, negative_slope: 0.05 });
    const got = await runElementwise(json, x);
    x.forEach((v, i) => expect(got[i]).toBeCloseTo(v > 0 ? v : 0.05 * v, 5));
  });
});
