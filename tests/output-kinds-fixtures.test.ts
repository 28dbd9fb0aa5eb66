/**
 * The fixtures of output kinds and inputs beyond one-input classifiers, measured against their ground truth:
 * a one-channel sigmoid segmenter (and its float16 export), a CTC digit-string recogniser, a two-input model,
 * and an opset-9 export of the Fashion-MNIST CNN.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageMask, loadImageSamples } from '../src/data/samples.js';
import { EXPLAINERS } from '../src/explainers/index.js';
import { guidedGradCam, saliency } from '../src/methods/attribution/index.js';
import { gradCam } from '../src/methods/cam/index.js';
import { occlusionSensitivity } from '../src/methods/occlusion.js';
import { decodeGreedy } from '../src/methods/target.js';
import type { OnnxModel } from '../src/model.js';
import { loadModel } from '../src/node/load.js';
import type { InputSpec, TensorData } from '../src/types.js';

const root = path.resolve(import.meta.dirname, '..', 'fixtures');
const manifest = (name: string) =>
  JSON.parse(readFileSync(path.join(root, name, 'manifest.json'), 'utf8')) as {
    sha256: string;
    model: string;
    metric: { samples: number };
  };

/** x = (p * scale - mean[c]) / std[c], HWC bytes -> NCHW, for items [from, to). */
function normalise(pixels: Uint8Array, from: number, to: number, spec: InputSpec): TensorData {
  const { height: h, width: w, channels: c } = spec;
  const n = to - from;
  const data = new Float32Array(n * c * h * w);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) {
          const p = pixels[(((from + i) * h + y) * w + x) * c + ch];
          data[((i * c + ch) * h + y) * w + x] = (p * spec.scale - spec.mean[ch]) / spec.std[ch];
        }
  return { data, dims: [n, c, h, w] };
}

/** (row, col) of the largest value of map i of a [N, H, W] or [N, 1, H, W] stack. */
function peak(map: TensorData, i: number): [number, number] {
  const [h, w] = map.dims.slice(-2);
  let best = 0;
  for (let p = 1; p < h * w; p++) if (map.data[i * h * w + p] > map.data[i * h * w + best]) best = p;
  return [Math.floor(best / w), best % w];
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) [ma, mb] = [ma + a[i] / n, mb + b[i] / n];
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

it.each(['shapes-mask', 'digits-ctc', 'shapes-pair'])('%s: the manifest sha256 matches the model', (name) => {
  const m = manifest(name);
  const digest = createHash('sha256')
    .update(readFileSync(path.join(root, name, m.model)))
    .digest('hex');
  expect(digest).toBe(m.sha256);
});

describe('shapes-mask: a one-channel sigmoid segmenter', () => {
  const shapes = loadImageSamples('shapes-seg');
  const count = 24;
  let model: OnnxModel;
  let input: TensorData;
  beforeAll(async () => {
    model = await loadModel(path.join(root, 'shapes-mask', 'model.onnx'));
    input = normalise(shapes.pixels, 0, count, model.inputSpec!);
  });
  afterAll(() => model.dispose());

  /** Whether (row, col) is inside the box of the object of sample i (gradients peak on its edges). */
  const onObject = (i: number, [r, c]: [number, number]) => {
    const [x0, y0, x1, y1] = shapes.boxes![i];
    return r >= y0 && r <= y1 && c >= x0 && c <= x1;
  };

  it('is described as a dense map ending in a sigmoid; probabilities are the output itself', async () => {
    expect(model.mainOutput).toMatchObject({ kind: 'dense-map', activation: 'sigmoid', classes: 1 });
    expect(await model.reductionLayer()).toBe(model.mainOutput.logits);
    const all = normalise(shapes.pixels, 0, shapes.count, model.inputSpec!);
    const prediction = await model.predict(all, { miniBatchSize: 60 });
    expect(Array.from(prediction.probabilities.data.subarray(0, 50))).toEqual(
      Array.from(prediction.scores.data.subarray(0, 50)),
    );
    // Foreground IoU of (p > 1/2) over the sample set, as the manifest states it.
    let inter = 0;
    let union = 0;
    for (let i = 0; i < shapes.count; i++) {
      const truth = imageMask(shapes, i);
      for (let p = 0; p < 64 * 64; p++) {
        const a = prediction.probabilities.data[i * 4096 + p] > 0.5;
        const b = truth[p] > 0;
        inter += a && b ? 1 : 0;
        union += a || b ? 1 : 0;
      }
    }
    expect(Math.abs(inter / union - manifest('shapes-mask').metric.samples)).toBeLessThanOrEqual(0.01);
  });

  it('gradient and occlusion maps of the predicted foreground peak inside the object box in >= 90 % of images', async () => {
    const sal = await saliency(model, input);
    const cam = await gradCam(model, input);
    const occ = await occlusionSensitivity(model, input, { maskSize: 9, stride: 6 });
    expect(occ.descriptions?.[0]).toMatch(/class 0 \(foreground\), \d+ pixels/);
    const hits = { saliency: 0, gradcam: 0, occlusion: 0 };
    for (let i = 0; i < count; i++) {
      hits.saliency += onObject(i, peak(sal.map, i)) ? 1 : 0;
      hits.gradcam += onObject(i, peak(cam.map, i)) ? 1 : 0;
      hits.occlusion += onObject(i, peak(occ.map, i)) ? 1 : 0;
    }
    console.log(`shapes-mask peaks in the object's box (of ${count}):`, hits);
    for (const h of Object.values(hits)) expect(h / count).toBeGreaterThanOrEqual(0.9);
  });

  it('refuses LIME and Kernel SHAP by name rather than explaining one flattened pixel', async () => {
    const lime = EXPLAINERS.find((e) => e.id === 'lime')!;
    await expect(lime.run(model, input, { numSamples: 8 })).rejects.toThrow(
      /LIME explains class scores.*dense map/,
    );
  });

  it('its float16 export runs every gradient method, maps matching the float32 model (r >= 0.99)', async () => {
    const half = await loadModel(path.join(root, 'shapes-mask', 'model.fp16.onnx'));
    try {
      expect(half.notes.join(' ')).toMatch(/float16 model run in float32/);
      const four = { data: input.data.subarray(0, 4 * 3 * 64 * 64), dims: [4, 3, 64, 64] };
      const gradientMethods = EXPLAINERS.filter(
        (e) => !['lime', 'kernel-shap', 'occlusion', 'cam'].includes(e.id),
      );
      expect(gradientMethods.length).toBeGreaterThanOrEqual(15);
      for (const e of gradientMethods) {
        const options = { ...(e.reportOptions ?? {}), ...(e.seeded ? { seed: 1 } : {}) };
        const a = await e.run(model, four, options);
        const b = await e.run(half, four, options);
        const r = pearson(a.maps.data, b.maps.data);
        expect(r, e.id).toBeGreaterThanOrEqual(0.99);
      }
    } finally {
      await half.dispose();
    }
  });
});

describe('digits-ctc: a CTC recogniser of digit strings', () => {
  const dir = path.join(root, 'digits-ctc', 'samples');
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
    count: number;
    strings: number[][];
    spans: [number, number][][];
  };
  const pixels = new Uint8Array(gunzipSync(readFileSync(path.join(dir, 'pixels.u8.gz'))));
  let model: OnnxModel;
  let input: TensorData;
  beforeAll(async () => {
    model = await loadModel(path.join(root, 'digits-ctc', 'model.onnx'));
    input = normalise(pixels, 0, index.count, model.inputSpec!);
  });
  afterAll(() => model.dispose());

  it('is a sequence with CTC decoding; greedy decoding reads the drawn strings', async () => {
    expect(model.mainOutput).toMatchObject({ kind: 'sequence', decoding: 'ctc', blank: 0, classes: 11 });
    const { probabilities } = await model.predict(input);
    const [n, steps, k] = probabilities.dims;
    expect([n, steps, k]).toEqual([index.count, 32, 11]);
    let exact = 0;
    for (let i = 0; i < n; i++) {
      const path: number[] = [];
      for (let t = 0; t < steps; t++) {
        const row = probabilities.data.subarray((i * steps + t) * k, (i * steps + t + 1) * k);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
        path.push(row.indexOf(Math.max(...row)));
      }
      exact += decodeGreedy(path, 0, model.labels) === index.strings[i].join('') ? 1 : 0;
    }
    expect(exact / n).toBeCloseTo(manifest('digits-ctc').metric.samples, 2);
  });

  it('a time step + class target: gradient and occlusion maps peak in that digit’s columns for >= 90 %', async () => {
    const { scores } = await model.predict(input);
    const [n, steps, k] = scores.dims;
    // For each decoded digit: the first step of its run and its class; its ground truth = its pixel columns.
    const cases: { image: number; step: number; label: string; span: [number, number] }[] = [];
    for (let i = 0; i < n && cases.length < 60; i++) {
      let previous = 0;
      let digit = 0;
      for (let t = 0; t < steps; t++) {
        const row = Array.from(scores.data.subarray((i * steps + t) * k, (i * steps + t + 1) * k));
        const c = row.indexOf(Math.max(...row));
        if (c !== 0 && c !== previous) {
          cases.push({ image: i, step: t, label: model.labels![c], span: index.spans[i][digit] });
          digit++;
        }
        previous = c;
      }
    }
    const hits = { saliency: 0, occlusion: 0 };
    for (const c of cases) {
      const one = {
        data: input.data.subarray(c.image * 32 * 128, (c.image + 1) * 32 * 128),
        dims: [1, 1, 32, 128],
      };
      const target = { kind: 'step' as const, step: c.step, class: c.label };
      const sal = await saliency(model, one, { target });
      const occ = await occlusionSensitivity(model, one, { target, maskSize: [32, 6], stride: [32, 2] });
      const inSpan = (col: number) => col >= c.span[0] && col <= c.span[1];
      hits.saliency += inSpan(peak(sal.map, 0)[1]) ? 1 : 0;
      hits.occlusion += inSpan(peak(occ.map, 0)[1]) ? 1 : 0;
    }
    console.log(`digits-ctc peaks in the digit's columns (of ${cases.length}):`, hits);
    expect(cases.length).toBeGreaterThanOrEqual(40);
    for (const h of Object.values(hits)) expect(h / cases.length).toBeGreaterThanOrEqual(0.9);
  });

  it('a step out of range and a list of classes are refused by name', async () => {
    const one = { data: input.data.subarray(0, 32 * 128), dims: [1, 1, 32, 128] };
    await expect(saliency(model, one, { target: { kind: 'step', step: 32 } })).rejects.toThrow(
      /time step 32 is out of range 0\.\.31/,
    );
  });
});

describe('shapes-pair: a model with two inputs', () => {
  const shapes = loadImageSamples('shapes-seg');
  const query = (name: string): TensorData => {
    const bytes = readFileSync(path.join(root, 'shapes-pair', `query-${name}.npy`));
    return {
      data: new Float32Array(bytes.buffer.slice(bytes.byteOffset + 128, bytes.byteOffset + 144)),
      dims: [1, 4],
    };
  };

  it('holds the other input fixed, says so, and differentiates it when asked', async () => {
    const spec = (await loadModel(path.join(root, 'shapes-pair', 'model.onnx'))).inputSpec!;
    const circles = Array.from(shapes.labels)
      .flatMap((l, i) => (l === 0 ? [i] : []))
      .slice(0, 12);
    const input = normalise(shapes.pixels, 0, shapes.count, spec);
    const pick = (idx: number[]): TensorData => {
      const size = 3 * 64 * 64;
      const data = new Float32Array(idx.length * size);
      idx.forEach((i, k) => data.set(input.data.subarray(i * size, (i + 1) * size), k * size));
      return { data, dims: [idx.length, 3, 64, 64] };
    };
    const batch = pick(circles);
    const bare = await loadModel(path.join(root, 'shapes-pair', 'model.onnx'));
    const asked = await loadModel(path.join(root, 'shapes-pair', 'model.onnx'), {
      inputs: { query: query('circle') },
    });
    const other = await loadModel(path.join(root, 'shapes-pair', 'model.onnx'), {
      inputs: { query: query('square') },
    });
    try {
      expect(bare.notes.join(' ')).toMatch(/input 'query' \[N, 4\] not given: fed zeros/);
      expect(asked.notes).toEqual([]);
      expect(asked.mainOutput).toMatchObject({ kind: 'class-scores', classes: 1 });
      const yes = (await asked.predict(batch)).probabilities.data;
      const no = (await other.predict(batch)).probabilities.data;
      for (let i = 0; i < circles.length; i++) {
        expect(yes[i]).toBeGreaterThan(0.5);
        expect(no[i]).toBeLessThan(0.5);
      }
      // The explained input is the image: a gradient map per image, with the query held.
      const cam = await gradCam(asked, batch);
      expect(cam.map.dims).toEqual([circles.length, 1, 64, 64]);
      // Differentiated when asked: the gradient with respect to the query matches a finite difference.
      const vjp = await asked.vjp({ output: 'present', wrt: ['query'] });
      const one = pick([circles[0]]);
      const q = query('circle');
      const { grads } = await vjp({ image: one, query: q }, { data: new Float32Array([1]), dims: [1, 1] });
      const h = 1e-2;
      const shifted = await loadModel(path.join(root, 'shapes-pair', 'model.onnx'), {
        inputs: { query: { data: Float32Array.from(q.data, (v, j) => v + (j === 0 ? h : 0)), dims: [1, 4] } },
      });
      const back = await loadModel(path.join(root, 'shapes-pair', 'model.onnx'), {
        inputs: { query: { data: Float32Array.from(q.data, (v, j) => v - (j === 0 ? h : 0)), dims: [1, 4] } },
      });
      const fd =
        ((await shifted.predict(one)).scores.data[0] - (await back.predict(one)).scores.data[0]) / (2 * h);
      expect(Math.abs(grads[0].data[0] - fd)).toBeLessThanOrEqual(1e-2 * Math.max(1, Math.abs(fd)));
      await shifted.dispose();
      await back.dispose();
    } finally {
      await Promise.all([bare.dispose(), asked.dispose(), other.dispose()]);
    }
  });
});

describe('shapes-pair: maps of the queried shape', () => {
  const shapes = loadImageSamples('shapes-seg');
  const names = ['circle', 'square', 'triangle', 'cross'];

  it('gradient and occlusion maps peak inside the queried object for >= 90 % of samples', async () => {
    const count = 96;
    const file = path.join(root, 'shapes-pair', 'model.onnx');
    const hits = { gradcam: 0, guidedGradCam: 0, occlusion: 0, saliency: 0 };
    const size = 3 * 64 * 64;
    for (let c = 0; c < names.length; c++) {
      const query = new Float32Array(4);
      query[c] = 1;
      const model = await loadModel(file, { inputs: { query: { data: query, dims: [1, 4] } } });
      try {
        const all = normalise(shapes.pixels, 0, count, model.inputSpec!);
        const items = Array.from({ length: count }, (_, i) => i).filter((i) => shapes.labels[i] === c);
        const data = new Float32Array(items.length * size);
        items.forEach((i, k) => data.set(all.data.subarray(i * size, (i + 1) * size), k * size));
        const input = { data, dims: [items.length, 3, 64, 64] };
        const maps = {
          gradcam: (await gradCam(model, input)).map,
          guidedGradCam: (await guidedGradCam(model, input)).map,
          occlusion: (await occlusionSensitivity(model, input, { maskSize: 9, stride: 6 })).map,
          saliency: (await saliency(model, input)).map,
        };
        items.forEach((i, k) => {
          const [x0, y0, x1, y1] = shapes.boxes![i];
          for (const [method, map] of Object.entries(maps)) {
            const [r, col] = peak(map, k);
            if (r >= y0 && r <= y1 && col >= x0 && col <= x1) hits[method as keyof typeof hits]++;
          }
        });
      } finally {
        await model.dispose();
      }
    }
    console.log(`shapes-pair peaks in the queried object's box (of ${count}):`, hits);
    expect(hits.gradcam / count).toBeGreaterThanOrEqual(0.9);
    expect(hits.guidedGradCam / count).toBeGreaterThanOrEqual(0.9);
    expect(hits.occlusion / count).toBeGreaterThanOrEqual(0.9);
  });
});

describe('fashion-cnn exported at opset 9', () => {
  it('is upgraded in memory with a note, and every method runs with the maps of the opset-17 model', async () => {
    const old = await loadModel(path.join(root, 'fashion-cnn', 'model.opset9.onnx'));
    const current = await loadModel(path.join(root, 'fashion-cnn', 'model.onnx'));
    try {
      expect(old.notes.join(' ')).toMatch(/opset 9 model upgraded in memory to opset 11/);
      const set = loadImageSamples('fashion-cnn');
      const input = normalise(set.pixels, 0, 2, old.inputSpec!);
      for (const e of EXPLAINERS) {
        const options = { ...(e.reportOptions ?? {}), ...(e.seeded ? { seed: 3 } : {}) };
        if (e.id === 'cam') {
          // CAM needs GAP → one linear layer right after the feature layer, in both exports alike.
          const a = await e.run(current, input, options).catch((err: Error) => err.message);
          const b = await e.run(old, input, options).catch((err: Error) => err.message);
          expect(typeof a === 'string' ? a : 'ran').toBe(typeof b === 'string' ? b : 'ran');
          continue;
        }
        const a = await e.run(current, input, options);
        const b = await e.run(old, input, options);
        expect(pearson(a.maps.data, b.maps.data), e.id).toBeGreaterThanOrEqual(0.99);
      }
    } finally {
      await Promise.all([old.dispose(), current.dispose()]);
    }
  });
});
