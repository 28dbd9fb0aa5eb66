/**
 * Faithfulness metrics: closed forms on a linear model with its exact attribution, and the controls on
 * shapes-cnn (a random map and the inverted Grad-CAM map must score worse than Grad-CAM).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureModelPath, imagePixels, loadImageSamples } from '../../src/data/samples.js';
import type { MapBatch } from '../../src/eval/context.js';
import { deletionCurves, insertionCurves, pixelsAtStep } from '../../src/eval/deletion.js';
import { faithfulnessCorrelation } from '../../src/eval/faithfulness-correlation.js';
import { infidelity } from '../../src/eval/infidelity.js';
import { road } from '../../src/eval/road.js';
import { imagesToTensor } from '../../src/image/normalize.js';
import { gradCam } from '../../src/methods/cam/index.js';
import type { OnnxModel } from '../../src/model.js';
import { loadModel } from '../../src/node/load.js';
import type { TensorData } from '../../src/types.js';
import { lcgValues, linearImageModel, type LinearImageModel } from '../methods/linear-models.js';

const H = 6;
const W = 7;
const P = H * W;

/** One grey H×W image with distinct values, and the linear model's exact attribution against the mean. */
function linearCase(m: LinearImageModel, seed: number) {
  const x = lcgValues(P, seed, -1, 1);
  const mean = x.reduce((a, b) => a + b, 0) / P;
  const w = m.weights[0];
  const phi = Float32Array.from(x, (v, p) => w[p] * (v - mean));
  return { x, mean, phi };
}

/** Trapezoid over the rounded steps, from the attribution alone: f(x) − Σ of the top k attributions. */
function closedFormDeletion(start: number, phi: Float32Array, steps: number, sign: 1 | -1): number {
  const sorted = Array.from(phi).sort((a, b) => b - a);
  const curve: number[] = [];
  for (let k = 0; k <= steps; k++) {
    const top = sorted.slice(0, pixelsAtStep(k, steps, P)).reduce((a, b) => a + b, 0);
    curve.push(start - sign * top);
  }
  let area = 0;
  for (let k = 1; k <= steps; k++) area += (curve[k - 1] + curve[k]) / 2;
  return area / steps;
}

describe('faithfulness on a linear model with its exact attribution', () => {
  let m: LinearImageModel;
  beforeAll(async () => {
    m = await linearImageModel({ itemDims: [1, H, W], classes: 2, bias: [0.3, -0.2], seed: 11 });
  });
  afterAll(async () => m.model.dispose());

  it('deletion and insertion AUC equal the closed form f(x) ∓ Σ of the top-k attributions', async () => {
    const { x, mean, phi } = linearCase(m, 5);
    const input: TensorData = { data: x, dims: [1, 1, H, W] };
    const fx = m.bias[0] + x.reduce((s, v, p) => s + m.weights[0][p] * v, 0);
    const fBaseline = m.bias[0] + mean * m.weights[0].reduce((a, b) => a + b, 0);
    const batch = { maps: { data: phi, dims: [1, H, W] }, classes: [0] };
    for (const steps of [7, 42]) {
      const options = { steps, replacement: 'mean' as const, score: 'logit' as const };
      const del = await deletionCurves(m.model, input, batch, options);
      const ins = await insertionCurves(m.model, input, batch, options);
      const scale = Math.abs(fx) + phi.reduce((a, b) => a + Math.abs(b), 0);
      expect(Math.abs(del.auc[0] - closedFormDeletion(fx, phi, steps, 1))).toBeLessThan(1e-5 * scale);
      expect(Math.abs(ins.auc[0] - closedFormDeletion(fBaseline, phi, steps, -1))).toBeLessThan(1e-5 * scale);
      expect(del.curves[0][0]).toBeCloseTo(fx, 4);
      expect(del.curves[0][steps]).toBeCloseTo(fBaseline, 4);
    }
  });

  it('faithfulness correlation is 1 and infidelity 0 for the exact attribution, not for a shuffled one', async () => {
    const { x, phi } = linearCase(m, 9);
    const input: TensorData = { data: x, dims: [1, 1, H, W] };
    const exact: MapBatch = { maps: { data: phi, dims: [1, H, W] }, classes: [0] };
    const shuffled = { maps: { data: lcgValues(P, 3), dims: [1, H, W] }, classes: [0] };
    const fc = (b: MapBatch) =>
      faithfulnessCorrelation(m.model, input, b, {
        replacement: 'mean',
        score: 'logit',
        numSamples: 24,
        subsetSize: 6,
      });
    expect((await fc(exact))[0]).toBeGreaterThan(1 - 1e-5);
    expect((await fc(shuffled))[0]).toBeLessThan(0.9);
    // Noise moves every channel of a pixel together: the exact attribution is the per-pixel weight.
    const grad = { maps: { data: Float32Array.from(m.weights[0]), dims: [1, H, W] }, classes: [0] };
    const inf = (b: MapBatch) => infidelity(m.model, input, b, { score: 'logit', numSamples: 24, seed: 4 });
    expect((await inf(grad))[0]).toBeLessThan(1e-6);
    expect((await inf(shuffled))[0]).toBeGreaterThan(0.5);
  });
});

describe('controls on shapes-cnn', () => {
  let model: OnnxModel;
  let input: TensorData;
  const N = 6;
  beforeAll(async () => {
    model = await loadModel(fixtureModelPath('shapes-cnn'));
    const set = loadImageSamples('shapes-cnn');
    const images = Array.from({ length: N }, (_, i) => ({
      data: imagePixels(set, i),
      width: set.width,
      height: set.height,
      channels: 3 as const,
    }));
    input = imagesToTensor(images, model.inputSpec!);
  });
  afterAll(async () => model.dispose());

  it('a random map and the inverted Grad-CAM map score worse than Grad-CAM on deletion, insertion and ROAD', async () => {
    const cam = await gradCam(model, input, { relu: false });
    const classes = cam.classes as number[];
    const maps = { data: cam.map.data, dims: [N, 64, 64] };
    const random = { data: lcgValues(N * 64 * 64, 17), dims: maps.dims };
    const inverted = { data: maps.data.map((v) => -v), dims: maps.dims };
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const score = async (m: TensorData) => {
      const batch = { maps: m, classes };
      const r = await road(model, input, batch, { fractions: [0.2, 0.4, 0.6, 0.8] });
      return {
        deletion: mean((await deletionCurves(model, input, batch, { steps: 16 })).auc),
        insertion: mean((await insertionCurves(model, input, batch, { steps: 16 })).auc),
        morf: mean(r.morfAuc),
        lerf: mean(r.lerfAuc),
      };
    };
    const g = await score(maps);
    for (const control of [await score(random), await score(inverted)]) {
      expect(control.deletion).toBeGreaterThan(g.deletion);
      expect(control.insertion).toBeLessThan(g.insertion);
      expect(control.morf).toBeGreaterThan(g.morf);
      expect(control.lerf).toBeLessThan(g.lerf);
    }
  });
});
