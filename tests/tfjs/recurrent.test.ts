/**
 * LSTM and GRU against TF.js (gate order, recurrent_activation, return_sequences, go_backwards), and GRU
 * with reset_after — which TF.js cannot run — against a direct implementation of Keras's GRU cell.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fromTfjsLayers } from '../../src/tfjs/index.js';
import type { TfjsModelJson } from '../../src/tfjs/index.js';
import {
  compareWithTfjs,
  maxAbsDiff,
  randomArray,
  randomizeWeights,
  runOnnx,
  saveToJson,
  seededRandom,
  tf,
  useWasmBackend,
} from './harness.js';

const T = 7;
const F = 3;

interface RnnCase {
  name: string;
  layers: () => tf.layers.Layer[];
}

const cases: RnnCase[] = [
  { name: 'LSTM, defaults (tanh, hard_sigmoid), last state', layers: () => [tf.layers.lstm({ units: 4 })] },
  {
    name: 'LSTM, sigmoid gates, return_sequences, go_backwards',
    layers: () => [
      tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid', returnSequences: true, goBackwards: true }),
    ],
  },
  {
    name: 'LSTM, go_backwards, last state, no bias',
    layers: () => [tf.layers.lstm({ units: 5, goBackwards: true, useBias: false })],
  },
  {
    name: 'LSTM, relu activation, return_sequences',
    layers: () => [tf.layers.lstm({ units: 3, activation: 'relu', returnSequences: true })],
  },
  { name: 'GRU, defaults, last state', layers: () => [tf.layers.gru({ units: 4 })] },
  {
    name: 'GRU, sigmoid gates, return_sequences, go_backwards',
    layers: () => [
      tf.layers.gru({ units: 3, recurrentActivation: 'sigmoid', returnSequences: true, goBackwards: true }),
    ],
  },
  {
    name: 'stacked LSTM → GRU → Dense',
    layers: () => [
      tf.layers.lstm({ units: 4, returnSequences: true }),
      tf.layers.gru({ units: 3, goBackwards: true }),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  },
];

describe('recurrent layers against TF.js', () => {
  beforeAll(useWasmBackend);

  cases.forEach((c, i) => {
    it(c.name, async () => {
      const model = tf.sequential();
      model.add(tf.layers.inputLayer({ inputShape: [T, F] }));
      c.layers().forEach((l) => model.add(l));
      randomizeWeights(model, 300 + i);
      const result = await compareWithTfjs(model, 300 + i, { inputRange: [-2, 2] });
      expect(result.onnxShape).toEqual(result.tfjsShape);
      expect(result.diff).toBeLessThan(1e-4);
    });
  });

  it('Embedding → LSTM sequence classifier', async () => {
    const model = tf.sequential();
    model.add(tf.layers.embedding({ inputDim: 20, outputDim: 5, inputLength: 9 }));
    model.add(tf.layers.lstm({ units: 6 }));
    model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
    randomizeWeights(model, 350);
    const result = await compareWithTfjs(model, 350, {
      makeInput: (n, random) => Float32Array.from({ length: n }, () => Math.floor(random() * 20)),
    });
    expect(result.diff).toBeLessThan(1e-4);
  });
});

/** Keras GRUCell with reset_after=True on one sequence; sigmoid gates, tanh candidate. */
function kerasGruResetAfter(
  x: Float32Array,
  kernel: Float32Array,
  recurrentKernel: Float32Array,
  bias: Float32Array,
  units: number,
  goBackwards: boolean,
): Float32Array[] {
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  let h = new Float32Array(units);
  const states: Float32Array[] = [];
  for (let step = 0; step < T; step++) {
    const t = goBackwards ? T - 1 - step : step;
    const mx = new Float64Array(3 * units);
    const mh = new Float64Array(3 * units);
    for (let j = 0; j < 3 * units; j++) {
      let sx = bias[j]; // input bias
      for (let f = 0; f < F; f++) sx += x[t * F + f] * kernel[f * 3 * units + j];
      let sh = bias[3 * units + j]; // recurrent bias
      for (let u = 0; u < units; u++) sh += h[u] * recurrentKernel[u * 3 * units + j];
      mx[j] = sx;
      mh[j] = sh;
    }
    const next = new Float32Array(units);
    for (let u = 0; u < units; u++) {
      const z = sigmoid(mx[u] + mh[u]);
      const r = sigmoid(mx[units + u] + mh[units + u]);
      const hh = Math.tanh(mx[2 * units + u] + r * mh[2 * units + u]);
      next[u] = z * h[u] + (1 - z) * hh;
    }
    h = next;
    states.push(h);
  }
  return states;
}

describe('GRU reset_after (Keras ≥ 2.3 default; TF.js cannot run it)', () => {
  beforeAll(useWasmBackend);

  for (const goBackwards of [false, true]) {
    it(`matches the Keras cell equations, go_backwards=${goBackwards}`, async () => {
      const units = 4;
      const model = tf.sequential();
      model.add(tf.layers.inputLayer({ inputShape: [T, F] }));
      model.add(tf.layers.gru({ units, recurrentActivation: 'sigmoid', returnSequences: true, goBackwards }));
      const { modelJson } = await saveToJson(model);
      // Rewrite the saved model as Keras writes a reset_after GRU: flag set, bias [2, 3U].
      const json = JSON.parse(JSON.stringify(modelJson)) as TfjsModelJson & {
        modelTopology: { config: { layers: { config: Record<string, unknown> }[] } };
      };
      const gruLayer = json.modelTopology.config.layers.find((l) => 'units' in l.config);
      if (!gruLayer) throw new Error('no GRU layer in the saved topology');
      gruLayer.config.reset_after = true;
      const specs = json.weightsManifest?.[0].weights ?? [];
      const biasSpec = specs.find((s) => s.name.endsWith('/bias'));
      if (!biasSpec) throw new Error('no GRU bias');
      biasSpec.shape = [2, 3 * units];
      const random = seededRandom(401);
      const values = specs.map((s) =>
        randomArray(
          s.shape.reduce((a, b) => a * b, 1),
          random,
          -0.6,
          0.6,
        ),
      );
      const weightData = new Uint8Array(values.reduce((n, v) => n + v.byteLength, 0));
      let offset = 0;
      for (const v of values) {
        weightData.set(new Uint8Array(v.buffer), offset);
        offset += v.byteLength;
      }
      const byName = (suffix: string) => values[specs.findIndex((s) => s.name.endsWith(suffix))];

      const onnx = fromTfjsLayers(json, weightData);
      const x = randomArray(2 * T * F, random, -2, 2);
      const out = Object.values(
        await runOnnx(onnx, { [onnx.graph?.input?.[0].name ?? '']: { data: x, dims: [2, T, F] } }),
      )[0];
      expect(out.dims).toEqual([2, T, units]);
      for (let b = 0; b < 2; b++) {
        const states = kerasGruResetAfter(
          x.subarray(b * T * F, (b + 1) * T * F),
          byName('/kernel'),
          byName('/recurrent_kernel'),
          byName('/bias'),
          units,
          goBackwards,
        );
        const expected = new Float32Array(T * units);
        states.forEach((s, t) => expected.set(s, t * units));
        expect(maxAbsDiff(out.data.subarray(b * T * units, (b + 1) * T * units), expected)).toBeLessThan(
          1e-5,
        );
      }
    });
  }
});
