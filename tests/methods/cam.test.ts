import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SingularValueDecomposition, Matrix } from 'ml-matrix';
import { UnsupportedError } from '../../src/errors.js';
import type { OnnxModel } from '../../src/model.js';
import {
  ablationCam,
  cam,
  CAM_METHODS,
  classActivationMap,
  eigenCam,
  gradCam,
  gradCamPlusPlus,
  hiResCam,
  layerCam,
  scoreCam,
  xGradCam,
} from '../../src/methods/cam/index.js';
import type { TensorData } from '../../src/types.js';
import {
  expectClose,
  RGB_CNN,
  rgbCnnDenseWeights,
  rgbCnnFeatures,
  rgbCnnLogits,
  rgbCnnModel,
} from './gradient-models.js';
import { lcgValues } from './linear-models.js';
import { loadModel } from '../../src/node/load.js';
import { encodeModel, floatTensor, makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';

const { size: S, filters: F, classes: K } = RGB_CNN;
const P = S * S;
const N = 2;
const x: TensorData = { data: lcgValues(N * 3 * P, 5, -1.5, 1.5), dims: [N, 3, S, S] };
const item = (n: number) => x.data.subarray(n * 3 * P, (n + 1) * 3 * P);
const features = [0, 1].map((n) => rgbCnnFeatures(item(n)));

function softmax(v: number[]): number[] {
  const m = Math.max(...v);
  const e = v.map((a) => Math.exp(a - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((a) => a / s);
}

/** Σ_c w_c A_c for image n (reference features). */
function weightedSum(n: number, w: (c: number, p: number) => number, relu: boolean): Float32Array {
  const out = new Float32Array(P);
  for (let p = 0; p < P; p++) {
    let s = 0;
    for (let c = 0; c < F; c++) s += w(c, p) * features[n][c * P + p];
    out[p] = relu ? Math.max(0, s) : s;
  }
  return out;
}

let gapModel: OnnxModel;
let denseModel: OnnxModel;
beforeAll(async () => {
  gapModel = await rgbCnnModel();
  denseModel = await rgbCnnModel({ gap: 'none' });
});
afterAll(async () => {
  await gapModel.dispose();
  await denseModel.dispose();
});

describe('CAM family on a GAP + linear network', () => {
  it('CAM reads the linear weights; Grad-CAM equals it divided by h·w', async () => {
    const target = 2;
    const c = await cam(gapModel, x, { target });
    const g = await gradCam(gapModel, x, { target, relu: false });
    expect(c.featureLayer).toBe('feat');
    expect(c.reductionLayer).toBe('logits');
    expect(c.featureMap.dims).toEqual([N, 1, S, S]);
    for (let n = 0; n < N; n++) {
      const expected = weightedSum(n, (ch) => RGB_CNN.fcW[target * F + ch], false);
      expectClose(c.featureMap.data.subarray(n * P, (n + 1) * P), expected, 1e-4, 'CAM');
      expectClose(
        g.featureMap.data.subarray(n * P, (n + 1) * P),
        expected.map((v) => v / P),
        1e-5,
        'Grad-CAM',
      );
    }
    expect(g.cost).toEqual({ forwardPasses: N, tailPasses: 0, vjpItems: N });
    expect(c.cost.vjpItems).toBe(0);
  });

  it('reads the head after ReduceMean too, and refuses networks without one', async () => {
    const reduceMean = await rgbCnnModel({ gap: 'ReduceMean' });
    try {
      const a = await cam(reduceMean, x, { target: 1 });
      const b = await cam(gapModel, x, { target: 1 });
      expectClose(a.featureMap.data, b.featureMap.data, 1e-5);
    } finally {
      await reduceMean.dispose();
    }
    await expect(cam(denseModel, x, { target: 0 })).rejects.toThrow(UnsupportedError);
    await expect(cam(denseModel, x, { target: 0 })).rejects.toThrow(/not global average pooling/);
    await expect(cam(gapModel, x, { target: 0, reductionLayer: 'prob' })).rejects.toThrow(
      /set reductionLayer to 'logits'/,
    );
  });

  it('explains the predicted class by default and several classes at once', async () => {
    const predicted = features.map((f) => {
      const logits = rgbCnnLogits(f);
      return logits.indexOf(Math.max(...logits));
    });
    const def = await gradCam(gapModel, x);
    expect(def.classes).toEqual(predicted);
    expectClose(
      def.scores,
      predicted.map((k, n) => rgbCnnLogits(features[n])[k]),
      1e-4,
    );

    const both = await gradCam(gapModel, x, { target: { kind: 'classes', classes: [0, 2] } });
    expect(both.map.dims).toEqual([N, 2, S, S]);
    expect(both.classes).toEqual([0, 2, 0, 2]);
    const only2 = await gradCam(gapModel, x, { target: 2 });
    for (let n = 0; n < N; n++) {
      expectClose(
        both.featureMap.data.subarray((n * 2 + 1) * P, (n * 2 + 2) * P),
        only2.featureMap.data.subarray(n * P, (n + 1) * P),
        1e-6,
      );
    }
    // MATLAB's reductionFcn: a linear reduction given by its seed.
    const viaFcn = await gradCam(gapModel, x, {
      reductionFcn: (value) => ({
        data: new Float32Array(value.data.length).map((_, i) => (i % K === 2 ? 1 : 0)),
        dims: value.dims,
      }),
    });
    expectClose(viaFcn.featureMap.data, only2.featureMap.data, 1e-6);
  });

  it('reads layer tensors in the layout the model declares (NCHW layers behind an NHWC input)', async () => {
    const nhwc = await rgbCnnModel({ nhwcInput: true });
    try {
      const xt = new Float32Array(x.data.length);
      for (let n = 0; n < N; n++)
        for (let c = 0; c < 3; c++)
          for (let p = 0; p < P; p++) xt[n * 3 * P + p * 3 + c] = x.data[n * 3 * P + c * P + p];
      const input = { data: xt, dims: [N, S, S, 3] };
      for (const run of [gradCam, cam, eigenCam]) {
        const a = await run(nhwc, input, { target: 1 });
        const b = await run(gapModel, x, { target: 1 });
        expectClose(a.featureMap.data, b.featureMap.data, 1e-5, run.name);
      }
    } finally {
      await nhwc.dispose();
    }
  });

  it('normalises to [0, 1] on request and up-samples to the input size', async () => {
    const r = await gradCam(gapModel, x, { target: 0, normalize: true });
    expect(r.map.dims).toEqual([N, 1, S, S]);
    for (let n = 0; n < N; n++) {
      const m = r.featureMap.data.subarray(n * P, (n + 1) * P);
      expect(Math.min(...m)).toBe(0);
      expect(Math.max(...m)).toBeCloseTo(1, 6);
    }
  });
});

describe('gradient CAM variants follow their definitions (per-pixel gradients)', () => {
  // Dense head: ∂logit_k/∂A_c(p) = W[k, c·P + p], known exactly.
  const W = rgbCnnDenseWeights();
  const target = 1;
  const grad = (c: number, p: number) => W[target * F * P + c * P + p];

  it('HiResCAM = ReLU(Σ G ⊙ A), LayerCAM = ReLU(Σ ReLU(G) ⊙ A)', async () => {
    const hires = await hiResCam(denseModel, x, { target });
    const layer = await layerCam(denseModel, x, { target });
    for (let n = 0; n < N; n++) {
      expectClose(
        hires.featureMap.data.subarray(n * P, (n + 1) * P),
        weightedSum(n, grad, true),
        1e-4,
        'HiResCAM',
      );
      expectClose(
        layer.featureMap.data.subarray(n * P, (n + 1) * P),
        weightedSum(n, (c, p) => Math.max(0, grad(c, p)), true),
        1e-4,
        'LayerCAM',
      );
    }
  });

  it('Grad-CAM (mean gradient), XGrad-CAM (activation-weighted gradient), Grad-CAM++ (α-weighted positive gradient)', async () => {
    const g = await gradCam(denseModel, x, { target });
    const xg = await xGradCam(denseModel, x, { target });
    const pp = await gradCamPlusPlus(denseModel, x, { target });
    for (let n = 0; n < N; n++) {
      const A = features[n];
      const mean = (c: number) =>
        Array.from({ length: P }, (_, p) => grad(c, p)).reduce((a, b) => a + b, 0) / P;
      const xw = (c: number) => {
        const sum = A.slice(c * P, (c + 1) * P).reduce((a, b) => a + b, 0);
        return sum === 0
          ? 0
          : Array.from({ length: P }, (_, p) => (A[c * P + p] / sum) * grad(c, p)).reduce((a, b) => a + b, 0);
      };
      const ppw = (c: number) => {
        const sum = A.slice(c * P, (c + 1) * P).reduce((a, b) => a + b, 0);
        let w = 0;
        for (let p = 0; p < P; p++) {
          const gg = grad(c, p);
          const alpha = (gg * gg) / (2 * gg * gg + sum * gg * gg * gg);
          if (gg > 0) w += alpha * gg;
        }
        return w;
      };
      expectClose(
        g.featureMap.data.subarray(n * P, (n + 1) * P),
        weightedSum(n, mean, true),
        1e-4,
        'Grad-CAM',
      );
      expectClose(
        xg.featureMap.data.subarray(n * P, (n + 1) * P),
        weightedSum(n, xw, true),
        1e-4,
        'XGrad-CAM',
      );
      expectClose(
        pp.featureMap.data.subarray(n * P, (n + 1) * P),
        weightedSum(n, ppw, true),
        1e-4,
        'Grad-CAM++',
      );
    }
  });
});

describe('gradient-free CAMs', () => {
  it('Eigen-CAM is the rank-1 SVD projection of the activations', async () => {
    const r = await eigenCam(gapModel, x);
    for (let n = 0; n < N; n++) {
      const A = features[n];
      const m = new Matrix(P, F);
      for (let p = 0; p < P; p++) for (let c = 0; c < F; c++) m.set(p, c, A[c * P + p]);
      const svd = new SingularValueDecomposition(m);
      const u = svd.leftSingularVectors.getColumn(0);
      const sigma = svd.diagonal[0];
      const sign = u.reduce((a, b) => a + b, 0) >= 0 ? 1 : -1;
      expectClose(
        r.featureMap.data.subarray(n * P, (n + 1) * P),
        u.map((v) => sign * sigma * v),
        1e-3,
        'Eigen-CAM',
      );
    }
    expect(r.cost.vjpItems).toBe(0);
  });

  it('Ablation-CAM weights are the relative score drop when a channel is zeroed', async () => {
    const target = 0;
    const r = await ablationCam(gapModel, x, { target, miniBatchSize: 5 });
    expect(r.cost.tailPasses).toBe(N * F);
    for (let n = 0; n < N; n++) {
      const A = features[n];
      const y = rgbCnnLogits(A)[target];
      const w = (c: number) => {
        const ablated = Float32Array.from(A);
        ablated.fill(0, c * P, (c + 1) * P);
        return (y - rgbCnnLogits(ablated)[target]) / Math.abs(y);
      };
      expectClose(
        r.channelWeights!.data.subarray(n * F, (n + 1) * F),
        Array.from({ length: F }, (_, c) => w(c)),
        1e-4,
      );
      expectClose(
        r.featureMap.data.subarray(n * P, (n + 1) * P),
        weightedSum(n, w, true),
        1e-4,
        'Ablation-CAM',
      );
    }
  });

  it('Score-CAM weights are the class probability on the channel-masked input minus the all-masked one', async () => {
    const target = 2;
    const r = await scoreCam(gapModel, x, { target, miniBatchSize: 4 });
    expect(r.cost.forwardPasses).toBe(N + N * F + 1);
    const base = softmax(rgbCnnLogits(rgbCnnFeatures(new Float32Array(3 * P))))[target];
    for (let n = 0; n < N; n++) {
      const A = features[n];
      // The feature layer has the input's size, so the up-sampled mask is the channel itself, min–max scaled.
      const w = (c: number) => {
        const ch = A.slice(c * P, (c + 1) * P);
        const lo = Math.min(...ch);
        const hi = Math.max(...ch);
        const masked = Float32Array.from(item(n), (v, i) =>
          hi > lo ? v * ((ch[i % P] - lo) / (hi - lo)) : 0,
        );
        return softmax(rgbCnnLogits(rgbCnnFeatures(masked)))[target] - base;
      };
      expectClose(
        r.channelWeights!.data.subarray(n * F, (n + 1) * F),
        Array.from({ length: F }, (_, c) => w(c)),
        1e-4,
      );
    }
  });

  it('every variant runs by name and shares the result shape', async () => {
    for (const method of CAM_METHODS) {
      const r = await classActivationMap(method, gapModel, x, { target: 1 });
      expect(r.method).toBe(method);
      expect(r.map.dims).toEqual([N, 1, S, S]);
      expect(r.map.data.every(Number.isFinite)).toBe(true);
    }
    await expect(classActivationMap('nope' as 'cam', gapModel, x)).rejects.toThrow(/unknown CAM method/);
  });
});

describe('gradients from the feature layer on the network tail', () => {
  it('equal the full VJP with respect to the layer, fed the activations instead of the input', async () => {
    const feat = (await gapModel.run(x, ['feat'])).feat;
    const seed = { data: Float32Array.from([0.5, -1, 2, 1, 0, -0.25]), dims: [N, K] };
    const full = await (await gapModel.vjp({ output: 'logits', wrt: ['feat'] }))(x, seed);
    const tail = await (await gapModel.tailVjp('feat', 'logits'))(feat, seed);
    expectClose(tail.grads[0].data, full.grads[0].data, 1e-6);
    expectClose(tail.output.data, full.output.data, 1e-6);
    expect(tail.grads[0].dims).toEqual(feat.dims);
  });

  it('are refused by name where the tail reads a tensor computed before the layer (a skip connection)', async () => {
    const proto = makeModel({
      nodes: [
        makeNode('Flatten', ['x'], ['flat'], { axis: 1 }, 'flatten'),
        makeNode('Relu', ['flat'], ['r'], {}, 'relu'),
        makeNode('Add', ['r', 'flat'], ['skip'], {}, 'skip'),
        makeNode('MatMul', ['skip', 'W'], ['y'], {}, 'mm'),
      ],
      inputs: [makeValueInfo('x', ['N', 1, 2, 2])],
      outputs: [makeValueInfo('y', ['N', 2])],
      initializers: [floatTensor('W', [4, 2], lcgValues(8, 3, -1, 1))],
    });
    const model = await loadModel(encodeModel(proto));
    try {
      const refused = model.tailVjp('r', 'y');
      await expect(refused).rejects.toThrow(UnsupportedError);
      await expect(refused).rejects.toMatchObject({ code: 'UNSUPPORTED_LAYER' });
    } finally {
      await model.dispose();
    }
  });
});
