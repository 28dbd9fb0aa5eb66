import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OptionError, UnsupportedError } from '../../src/errors.js';
import type { OnnxModel } from '../../src/model.js';
import {
  deconvnet,
  gaussLegendre,
  guidedBackprop,
  guidedGradCam,
  inputXGradient,
  integratedGradients,
  INTEGRATION_METHODS,
  makeBaseline,
  noiseTunnel,
  quadrature,
  saliency,
} from '../../src/methods/attribution/index.js';
import {
  MAPS_UNREAD,
  reduceChannels,
  type AttributionOptions,
} from '../../src/methods/attribution/common.js';
import { gradCam } from '../../src/methods/cam/index.js';
import { imageGeometry } from '../../src/methods/image-layout.js';
import { upsample } from '../../src/image/upsample.js';
import type { Model, TensorData } from '../../src/types.js';
import { argmaxRows } from '../../src/methods/target.js';
import { createRandom } from '../../src/util/random.js';
import { expectClose, MLP, mlpHidden, mlpModel, RGB_CNN, rgbCnnModel } from './gradient-models.js';
import { lcgValues, linearImageModel, linearScore, type LinearImageModel } from './linear-models.js';

const S = RGB_CNN.size;
const P = S * S;
const N = 2;
const x: TensorData = { data: lcgValues(N * 3 * P, 9, -1.5, 1.5), dims: [N, 3, S, S] };

let cnn: OnnxModel;
let mlp: OnnxModel;
let linear: LinearImageModel;
beforeAll(async () => {
  cnn = await rgbCnnModel();
  mlp = await mlpModel();
  linear = await linearImageModel({ itemDims: [3, 4, 4], classes: 3, bias: [0.5, -0.25, 1] });
});
afterAll(async () => {
  await cnn.dispose();
  await mlp.dispose();
  await linear.model.dispose();
});

const linearX: TensorData = { data: lcgValues(2 * 48, 4, -2, 2), dims: [2, 3, 4, 4] };

describe('saliency and input × gradient', () => {
  it('saliency equals the VJP of the target, reduced by max |g| over channels (MATLAB style)', async () => {
    const r = await saliency(cnn, x, { target: [2, 0] });
    const vjp = await cnn.vjp({ output: 'logits', wrt: ['x'] });
    const seed = { data: Float32Array.from([0, 0, 1, 1, 0, 0]), dims: [2, 3] };
    const direct = (await vjp(x, seed)).grads[0];
    expectClose(r.attribution.data, direct.data, 1e-6);
    expect(r.map.dims).toEqual([N, 1, S, S]);
    for (let n = 0; n < N; n++)
      for (let p = 0; p < P; p++) {
        const m = Math.max(...[0, 1, 2].map((c) => Math.abs(direct.data[n * 3 * P + c * P + p])));
        expect(r.map.data[n * P + p]).toBeCloseTo(m, 6);
      }
    const signed = await saliency(cnn, x, { target: [2, 0], channelReduction: 'sum' });
    expect(signed.map.data[5]).toBeCloseTo(direct.data[5] + direct.data[P + 5] + direct.data[2 * P + 5], 6);
    // Given classes need no forward pass: the explained values come from the VJP's own output.
    expect(r.cost).toEqual({ forwardPasses: 0, vjpItems: N });
    const logits = (await cnn.run(x, ['logits'])).logits;
    expectClose(r.scores, [logits.data[2], logits.data[3]], 1e-5);
    // The predicted class is found by the VJP itself, seeded in its graph with the top class.
    const predicted = await saliency(cnn, x);
    expect(predicted.cost).toEqual({ forwardPasses: 0, vjpItems: N });
    const top = argmaxRows(logits);
    expect(predicted.classes).toEqual(top);
    expectClose(predicted.scores, [logits.data[top[0]], logits.data[3 + top[1]]], 1e-5);
    const topSeed = new Float32Array(2 * 3);
    top.forEach((c, n) => (topSeed[3 * n + c] = 1));
    const topGrads = (await vjp(x, { data: topSeed, dims: [2, 3] })).grads[0];
    expectClose(predicted.attribution.data, topGrads.data, 1e-6);
    await expect(cnn.topClassVjp({ output: 'feat', wrt: ['x'] })).rejects.toThrow(UnsupportedError);
    // Explicit seeds on the scores need no forward pass either.
    const seeded = await saliency(cnn, x, { target: { kind: 'seed', tensor: 'logits', seeds: seed } });
    expect(seeded.cost).toEqual({ forwardPasses: 0, vjpItems: N });
    expectClose(seeded.scores, r.scores, 1e-6);
    // A target on a layer whose dims the model does not declare still runs the batch first.
    const channel = await saliency(cnn, x, { target: { kind: 'channel', tensor: 'feat', channels: 1 } });
    expect(channel.cost).toEqual({ forwardPasses: N, vjpItems: N });
  });

  it('input × gradient on a linear model is each term of the score', async () => {
    const r = await inputXGradient(linear.model, linearX, { target: 1 });
    for (let n = 0; n < 2; n++) {
      const xi = linearX.data.subarray(n * 48, (n + 1) * 48);
      expectClose(
        r.attribution.data.subarray(n * 48, (n + 1) * 48),
        Array.from(xi, (v, i) => v * linear.weights[1][i]),
        1e-5,
      );
      const total = r.attribution.data.subarray(n * 48, (n + 1) * 48).reduce((a, b) => a + b, 0);
      expect(total).toBeCloseTo(linearScore(linear, 1, xi) - linear.bias[1], 4);
    }
  });
});

describe('guided backprop and deconvnet on a hand-computed two-layer net', () => {
  const items = 4;
  const input: TensorData = { data: lcgValues(items * 4, 17, -1, 1), dims: [items, 1, 2, 2] };
  /** dx for output k with the gradient at the ReLU replaced by `gate(h, incoming)`. */
  function handGradient(n: number, k: number, gate: (h: number, d: number) => number): number[] {
    const h = mlpHidden(input.data.subarray(n * 4, (n + 1) * 4));
    const dh = [0, 1, 2].map((j) => gate(h[j], MLP.w2[j * 2 + k]));
    return [0, 1, 2, 3].map((i) => dh.reduce((s, d, j) => s + MLP.w1[i * 3 + j] * d, 0));
  }

  it('matches the rules: guided passes positive gradients where the input was positive, deconvnet ReLUs the gradient', async () => {
    for (const k of [0, 1]) {
      const guided = await guidedBackprop(mlp, input, { target: k });
      const deconv = await deconvnet(mlp, input, { target: k });
      const plain = await saliency(mlp, input, { target: k });
      for (let n = 0; n < items; n++) {
        const at = (r: { attribution: TensorData }) => r.attribution.data.subarray(n * 4, (n + 1) * 4);
        expectClose(
          at(guided),
          handGradient(n, k, (h, d) => (h > 0 && d > 0 ? d : 0)),
          1e-5,
          'guided',
        );
        expectClose(
          at(deconv),
          handGradient(n, k, (_h, d) => Math.max(d, 0)),
          1e-5,
          'deconvnet',
        );
        expectClose(
          at(plain),
          handGradient(n, k, (h, d) => (h > 0 ? d : 0)),
          1e-5,
          'gradient',
        );
      }
      expect(guided.rule).toBe('guided');
      expect(deconv.rule).toBe('deconvnet');
    }
    // The cases are not trivial: some hidden unit is active with a negative incoming gradient.
    const h = mlpHidden(input.data.subarray(0, 4));
    expect(
      h.some((v, j) => v > 0 && MLP.w2[j * 2] < 0) || h.some((v, j) => v > 0 && MLP.w2[j * 2 + 1] < 0),
    ).toBe(true);
  });

  it('guided Grad-CAM is guided backprop times the bilinearly up-sampled Grad-CAM', async () => {
    const r = await guidedGradCam(cnn, x, { target: 1 });
    const gb = await guidedBackprop(cnn, x, { target: 1 });
    const gc = await gradCam(cnn, x, { target: 1, outputUpsampling: 'bilinear' });
    for (let n = 0; n < N; n++)
      for (let c = 0; c < 3; c++)
        for (let p = 0; p < P; p++) {
          const i = n * 3 * P + c * P + p;
          expect(r.attribution.data[i]).toBeCloseTo(gb.attribution.data[i] * gc.map.data[n * P + p], 6);
        }
    // The up-sampling itself is the image module's.
    const small = { data: gc.featureMap.data.slice(0, P), width: S, height: S };
    expectClose(gc.map.data.subarray(0, P), upsample(small, { width: S, height: S }, 'bilinear').data, 1e-6);
  });
});

describe('integrated gradients', () => {
  it('quadrature rules integrate polynomials as their order promises', () => {
    const cubicIntegral = 1 / 4; // ∫ x³
    for (const n of [2, 5, 16]) {
      const { points, weights } = gaussLegendre(n);
      expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      // Exact up to degree 2n − 1.
      const degree = 2 * n - 1;
      const sum = points.reduce((s, p, i) => s + weights[i] * p ** degree, 0);
      expect(sum).toBeCloseTo(1 / (degree + 1), 12);
    }
    const mid = quadrature('riemannMiddle', 100);
    expect(mid.points.reduce((s, p, i) => s + mid.weights[i] * p ** 3, 0)).toBeCloseTo(cubicIntegral, 4);
    const trap = quadrature('riemannTrapezoid', 3);
    expect(trap.points).toEqual([0, 0.5, 1]);
    expect(trap.weights).toEqual([0.25, 0.5, 0.25]);
    expect(quadrature('riemannLeft', 4).points).toEqual([0, 0.25, 0.5, 0.75]);
    expect(quadrature('riemannRight', 4).points).toEqual([0.25, 0.5, 0.75, 1]);
    expect(() => quadrature('riemannTrapezoid', 1)).toThrow(OptionError);
  });

  it('is exact on a linear model for every rule: (x − x′) ⊙ w, completeness delta 0', async () => {
    const baseline = { data: lcgValues(48, 8, -1, 1), dims: [1, 3, 4, 4] };
    for (const method of INTEGRATION_METHODS) {
      const r = await integratedGradients(linear.model, linearX, {
        target: 2,
        baseline,
        method,
        numSteps: 3,
      });
      for (let n = 0; n < 2; n++) {
        const expected = Array.from(
          { length: 48 },
          (_, i) => (linearX.data[n * 48 + i] - baseline.data[i]) * linear.weights[2][i],
        );
        expectClose(r.attribution.data.subarray(n * 48, (n + 1) * 48), expected, 1e-5, method);
        expect(Math.abs(r.delta[n])).toBeLessThan(1e-4);
        expect(r.baselineScores[n]).toBeCloseTo(linearScore(linear, 2, baseline.data), 4);
      }
    }
  });

  it('meets completeness within 1 % at 64 Gauss–Legendre steps on a ReLU network, and converges', async () => {
    const r = await integratedGradients(cnn, x, { baseline: 'black', numSteps: 64, miniBatchSize: 50 });
    expect(r.cost.vjpItems).toBe(N * 64);
    for (let n = 0; n < N; n++) {
      const gap = r.scores[n] - r.baselineScores[n];
      expect(Math.abs(gap)).toBeGreaterThan(0.05);
      expect(Math.abs(r.delta[n])).toBeLessThanOrEqual(0.01 * Math.abs(gap));
    }
    const coarse = await integratedGradients(cnn, x, {
      baseline: 'black',
      numSteps: 2,
      method: 'riemannLeft',
    });
    const fine = await integratedGradients(cnn, x, {
      baseline: 'black',
      numSteps: 64,
      method: 'riemannLeft',
    });
    expect(Math.abs(fine.delta[0]) + Math.abs(fine.delta[1])).toBeLessThan(
      Math.abs(coarse.delta[0]) + Math.abs(coarse.delta[1]),
    );
  });

  it('with tolerance: exact on a linear model without refining, and its options are checked', async () => {
    const baseline = { data: lcgValues(48, 9, -1, 1), dims: [1, 3, 4, 4] };
    const r = await integratedGradients(linear.model, linearX, {
      target: 2,
      baseline,
      numSteps: 8,
      tolerance: 1e-3,
    });
    expect(r.integration).toBe('adaptiveGaussLegendre');
    expect(r.stepsUsed).toEqual([8, 8]);
    expect(r.converged).toEqual([true, true]);
    for (const d of r.delta) expect(Math.abs(d)).toBeLessThan(1e-4);
    await expect(
      integratedGradients(linear.model, linearX, { tolerance: 0.01, method: 'riemannLeft' }),
    ).rejects.toThrow(/cannot be adaptive/);
    await expect(integratedGradients(linear.model, linearX, { maxSteps: 100 })).rejects.toThrow(
      /only with tolerance/,
    );
    await expect(
      integratedGradients(linear.model, linearX, { tolerance: 0.01, numSteps: 64, maxSteps: 32 }),
    ).rejects.toThrow(OptionError);
  });

  it('builds black, white, blurred and seeded uniform baselines through the input spec', () => {
    const geo = imageGeometry(x, cnn.inputSpec);
    // Pixel 0 → (0 − 0.5) / 0.25 = −2, pixel 255 → +2.
    expect(new Set(makeBaseline('black', x, geo, cnn.inputSpec).data)).toEqual(new Set([-2]));
    expect(new Set(makeBaseline('white', x, geo, cnn.inputSpec).data)).toEqual(new Set([2]));
    const flat = { data: new Float32Array(x.data.length).fill(0.7), dims: x.dims };
    expectClose(makeBaseline('blurred', flat, geo, cnn.inputSpec).data, flat.data, 1e-6);
    const blurred = makeBaseline('blurred', x, geo, cnn.inputSpec, { blurSigma: 2 });
    const variance = (d: ArrayLike<number>) => {
      const m = Array.from(d).reduce((a, b) => a + b, 0) / d.length;
      return Array.from(d).reduce((a, b) => a + (b - m) ** 2, 0) / d.length;
    };
    expect(variance(blurred.data)).toBeLessThan(0.5 * variance(x.data));
    const u1 = makeBaseline('uniform', x, geo, cnn.inputSpec, { seed: 4 });
    const u2 = makeBaseline('uniform', x, geo, cnn.inputSpec, { seed: 4 });
    const u3 = makeBaseline('uniform', x, geo, cnn.inputSpec, { seed: 5 });
    expect(Buffer.from(u1.data.buffer).equals(Buffer.from(u2.data.buffer))).toBe(true);
    expect(Buffer.from(u1.data.buffer).equals(Buffer.from(u3.data.buffer))).toBe(false);
    expect(u1.data.every((v) => v >= -2 && v <= 2)).toBe(true);
    expect(() => makeBaseline('black', linearX, imageGeometry(linearX), undefined)).toThrow(/input spec/);
    expect(() => makeBaseline({ data: new Float32Array(3), dims: [1, 3] }, x, geo, cnn.inputSpec)).toThrow(
      OptionError,
    );
  });
});

describe('noise tunnel', () => {
  it('on a linear model: SmoothGrad is the gradient, SmoothGrad² its square, VarGrad zero', async () => {
    const run = (type: 'smoothGrad' | 'smoothGradSquared' | 'varGrad') =>
      noiseTunnel(saliency, linear.model, linearX, {
        type,
        numSamples: 5,
        noiseLevel: 0.2,
        seed: 1,
        target: 0,
      });
    const w = linear.weights[0];
    const sg = await run('smoothGrad');
    const sq = await run('smoothGradSquared');
    const vg = await run('varGrad');
    for (let n = 0; n < 2; n++) {
      expectClose(sg.attribution.data.subarray(n * 48, (n + 1) * 48), w, 1e-5);
      expectClose(
        sq.attribution.data.subarray(n * 48, (n + 1) * 48),
        w.map((v) => v * v),
        1e-5,
      );
      expectClose(vg.attribution.data.subarray(n * 48, (n + 1) * 48), new Float32Array(48), 1e-5);
    }
    expect(sg.cost.vjpItems).toBe(10);
    expect(sg.method).toBe('saliency+smoothGrad');
  });

  it("keeps the clean images' predicted class for every noisy copy and is reproducible by seed", async () => {
    const clean = await saliency(cnn, x);
    const a = await noiseTunnel(saliency, cnn, x, { numSamples: 4, noiseLevel: 0.3, seed: 7 });
    const b = await noiseTunnel(saliency, cnn, x, { numSamples: 4, noiseLevel: 0.3, seed: 7 });
    const c = await noiseTunnel(saliency, cnn, x, { numSamples: 4, noiseLevel: 0.3, seed: 8 });
    expect(a.classes).toEqual(clean.classes);
    expect(Buffer.from(a.attribution.data.buffer).equals(Buffer.from(b.attribution.data.buffer))).toBe(true);
    expect(Buffer.from(a.attribution.data.buffer).equals(Buffer.from(c.attribution.data.buffer))).toBe(false);
    // Any attribution runs inside the tunnel, integrated gradients included.
    const ig = await noiseTunnel(integratedGradients, cnn, x, {
      numSamples: 2,
      seed: 3,
      numSteps: 8,
      baseline: 'black',
    });
    expect(ig.map.dims).toEqual([N, 1, S, S]);
    await expect(noiseTunnel(saliency, cnn, x, { type: 'varGrad', numSamples: 1 })).rejects.toThrow(
      /numSamples >= 2/,
    );
  });

  it('makes the copies image by image, at most miniBatchSize at a time, with the noise of all copies at once', async () => {
    const samples = 7;
    const calls: number[] = [];
    const spy = async (m: Model, images: TensorData, options: AttributionOptions) => {
      calls.push(images.dims[0]);
      return saliency(m, images, options);
    };
    const progress: { done: number; total: number }[] = [];
    const tunnel = await noiseTunnel(spy, cnn, x, {
      type: 'varGrad',
      numSamples: samples,
      noiseLevel: 0.2,
      seed: 12,
      miniBatchSize: 3,
      onProgress: ({ done, total }) => progress.push({ done, total }),
    });
    expect(calls).toEqual([3, 3, 1, 3, 3, 1]);
    expect(progress[progress.length - 1]).toEqual({ done: N * samples, total: N * samples });
    expect(progress.every((p, i) => i === 0 || p.done >= progress[i - 1].done)).toBe(true);
    // The reference: every image's copies made at once from the same generator, one saliency run, VarGrad by hand.
    const clean = await saliency(cnn, x);
    const size = 3 * P;
    const random = createRandom(12);
    const noisy = new Float32Array(N * samples * size);
    for (let n = 0; n < N; n++) {
      const image = x.data.subarray(n * size, (n + 1) * size);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of image) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
      const block = noisy.subarray(n * samples * size, (n + 1) * samples * size);
      for (let c = 0; c < samples; c++) block.set(image, c * size);
      random.addNormal(block, 0, 0.2 * (hi - lo));
    }
    const classes = clean.classes.flatMap((c) => new Array<number>(samples).fill(c as number));
    const grads = (await saliency(cnn, { data: noisy, dims: [N * samples, 3, S, S] }, { target: classes }))
      .attribution.data;
    const expected = new Float32Array(N * size);
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < size; i++) {
        let sum = 0;
        let squares = 0;
        for (let c = 0; c < samples; c++) {
          const g = grads[(n * samples + c) * size + i];
          sum += g;
          squares += g * g;
        }
        const mean = sum / samples;
        expected[n * size + i] = ((squares / samples - mean * mean) * samples) / (samples - 1);
      }
    }
    expectClose(tunnel.attribution.data, expected, 1e-6);
    expect(tunnel.classes).toEqual(clean.classes);
    expect(tunnel.cost.vjpItems).toBe(N * samples);
  });

  it("reduces its own attribution to the map and asks the wrapped method for none of the copies' maps", async () => {
    const seen: { mapsUnread: boolean; map: TensorData }[] = [];
    const spy = async (m: Model, images: TensorData, options: AttributionOptions) => {
      const inner = await saliency(m, images, options);
      seen.push({
        mapsUnread: (options as { [MAPS_UNREAD]?: boolean })[MAPS_UNREAD] === true,
        map: inner.map,
      });
      return inner;
    };
    const sg = await noiseTunnel(spy, cnn, x, { numSamples: 3, seed: 5, channelReduction: 'sumAbs' });
    // One group of copies per image (3 copies are fewer than miniBatchSize).
    expect(seen).toHaveLength(N);
    expect(seen.every((s) => s.mapsUnread && s.map.data.length === 0)).toBe(true);
    const geo = imageGeometry(x, cnn.inputSpec);
    const expected = reduceChannels(sg.attribution, geo, 1, 'sumAbs');
    expect(sg.map.dims).toEqual(expected.dims);
    expect(Array.from(sg.map.data)).toEqual(Array.from(expected.data));
    // Called directly, the method makes its map.
    expect((await saliency(cnn, x)).map.data.length).toBe(N * S * S);
  });
});
