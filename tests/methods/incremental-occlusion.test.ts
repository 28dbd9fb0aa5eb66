import { describe, expect, it } from 'vitest';
import { fixtureModelPath, imagePixels, loadImageSamples } from '../../src/data/samples.js';
import { UnsupportedError } from '../../src/errors.js';
import { imagesToTensor } from '../../src/image/normalize.js';
import { occlusionSensitivity, type OcclusionOptions } from '../../src/methods/occlusion.js';
import { OnnxModel } from '../../src/model.js';
import { loadModel, nodeRuntime } from '../../src/node/load.js';
import { encodeModel, floatTensor, makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';
import type { Model, TensorData } from '../../src/types.js';
import { mobileLikeModel } from '../helpers/local-graphs.js';
import { seededValues } from '../helpers/onnx-models.js';

/**
 * The two paths apply the same float32 ops to the same operands; only the order in which a convolution sums its
 * products may differ (the runtime blocks a crop differently from the full map). A sum of K products in float32
 * is off by at most K·u·Σ|terms| (u = 2^-24); through `layers` such sums, with the terms bounded by `scale`,
 * the scores differ by at most layers·K·u·scale.
 */
function accumulationTolerance(layers: number, fanIn: number, scale: number): number {
  return layers * fanIn * 2 ** -24 * scale;
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function maxDiff(a: TensorData, b: TensorData): number {
  expect(a.dims).toEqual(b.dims);
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs(a.data[i] - b.data[i]));
  return d;
}

async function bothPaths(model: Model, x: TensorData, options: OcclusionOptions) {
  const full = await occlusionSensitivity(model, x, {
    ...options,
    inference: 'full',
    outputUpsampling: 'none',
  });
  const incremental = await occlusionSensitivity(model, x, {
    ...options,
    inference: 'incremental',
    outputUpsampling: 'none',
  });
  expect(full.inference.path).toBe('full');
  expect(incremental.inference.path).toBe('incremental');
  expect(incremental.forwardPasses).toBe(full.forwardPasses);
  expect(incremental.baseScores.length).toBe(full.baseScores.length);
  return { full, incremental };
}

describe('incremental occlusion', () => {
  const [H, W] = [37, 29];
  const open = () => OnnxModel.create(encodeModel(mobileLikeModel({ height: H, width: W })), nodeRuntime);
  const x: TensorData = {
    data: Float32Array.from(seededValues(2 * 3 * H * W, 9), (v) => 2 * v),
    dims: [2, 3, H, W],
  };
  // Fan-in of the widest accumulation (16 channels x 3 x 3), five convolution layers before the head.
  const tolerance = (scale: number) => accumulationTolerance(6, 16 * 9, scale);

  it.each([
    { maskSize: [7, 5], stride: [5, 4], maskClipping: 'on' },
    { maskSize: 9, stride: 7, maskClipping: 'off' },
    { maskSize: [3, 11], stride: [6, 3], maskClipping: 'on', maskValue: 0.5 },
  ] as OcclusionOptions[])(
    'equals the full path on a MobileNet-like graph (stride-2 depthwise, corners and edges): %j',
    async (options) => {
      const model = await open();
      const { full, incremental } = await bothPaths(model, x, { ...options, score: 'logit' });
      const scale = 1 + maxAbs(Float32Array.from(full.baseScores));
      expect(maxAbs(full.map.data as Float32Array)).toBeGreaterThan(1e-3); // the masks do move the scores
      expect(maxDiff(incremental.map, full.map)).toBeLessThanOrEqual(tolerance(scale));
      expect(incremental.baseScores).toEqual(full.baseScores.map((s) => expect.closeTo(s, 5)));
      await model.dispose();
    },
  );

  it('equals the full path whichever cut the chain ends at', async () => {
    const model = await open();
    const cuts = (await model.localPrefix())!.cuts.map((c) => c.layer);
    expect(cuts.length).toBeGreaterThan(3);
    const options: OcclusionOptions = { maskSize: [6, 7], stride: [4, 5], score: 'logit' };
    const full = await occlusionSensitivity(model, x, {
      ...options,
      inference: 'full',
      outputUpsampling: 'none',
    });
    const scale = 1 + maxAbs(Float32Array.from(full.baseScores));
    for (const layer of cuts) {
      const incremental = await occlusionSensitivity(model, x, {
        ...options,
        prefixLayer: layer,
        outputUpsampling: 'none',
      });
      expect(incremental.inference.layers?.at(-1)).toBe(layer);
      expect(maxDiff(incremental.map, full.map), layer).toBeLessThanOrEqual(tolerance(scale));
    }
    await model.dispose();
  });

  it('reuses a plan only for the same masks: alternating geometries on one model stay equal to the full path', async () => {
    const model = await open();
    const geometries: OcclusionOptions[] = [
      { maskSize: 9, stride: 7, maskClipping: 'off', score: 'logit' },
      { maskSize: [5, 8], stride: [3, 6], maskClipping: 'on', score: 'logit' },
    ];
    const fulls = await Promise.all(
      geometries.map((g) =>
        occlusionSensitivity(model, x, { ...g, inference: 'full', outputUpsampling: 'none' }),
      ),
    );
    for (const round of [0, 1]) {
      for (const [i, g] of geometries.entries()) {
        const incremental = await occlusionSensitivity(model, x, {
          ...g,
          inference: 'incremental',
          outputUpsampling: 'none',
        });
        const scale = 1 + maxAbs(Float32Array.from(fulls[i].baseScores));
        expect(maxDiff(incremental.map, fulls[i].map), `round ${round}, ${i}`).toBeLessThanOrEqual(
          tolerance(scale),
        );
      }
    }
    await model.dispose();
  });

  it('equals the full path on the shapes-cnn fixture (probabilities, stride 7 on 64 pixels)', async () => {
    const model = await loadModel(fixtureModelPath('shapes-cnn'));
    const set = loadImageSamples('shapes-cnn');
    const images = [0, 1, 2].map((i) => ({
      data: imagePixels(set, i),
      width: set.width,
      height: set.height,
      channels: 3 as const,
    }));
    const input = imagesToTensor(images, model.inputSpec!);
    const { full, incremental } = await bothPaths(model, input, { maskSize: 13, stride: 7 });
    expect(maxAbs(full.map.data as Float32Array)).toBeGreaterThan(1e-2);
    // Four 3x3 convolutions of up to 64 channels; probabilities move less than the logits.
    expect(maxDiff(incremental.map, full.map)).toBeLessThanOrEqual(accumulationTolerance(4, 64 * 9, 1));
    await model.dispose();
  });

  it("says which path ran: 'auto' takes the incremental path only where it is estimated to pay", async () => {
    // 224 x 224: the prefix is most of the work and a 28-pixel mask changes a small part of it.
    const big = await OnnxModel.create(
      encodeModel(mobileLikeModel({ height: 224, width: 224 })),
      nodeRuntime,
    );
    const image: TensorData = { data: seededValues(3 * 224 * 224, 8), dims: [1, 3, 224, 224] };
    const options: OcclusionOptions = { maskSize: 28, stride: 28, score: 'logit', outputUpsampling: 'none' };
    const auto = await occlusionSensitivity(big, image, options);
    expect(auto.inference.path).toBe('incremental');
    expect(auto.inference.costRatio).toBeLessThan(0.8);
    expect(auto.inference.reason).toMatch(/crops/);
    const full = await occlusionSensitivity(big, image, { ...options, inference: 'full' });
    const scale = 1 + maxAbs(Float32Array.from(full.baseScores));
    expect(maxDiff(auto.map, full.map)).toBeLessThanOrEqual(tolerance(scale));
    await big.dispose();
    // 37 x 29: a runtime call per piece costs more than the little it saves.
    const small = await open();
    const result = await occlusionSensitivity(small, x, { maskSize: 5, stride: 4 });
    expect(result.inference.path).toBe('full');
    expect(result.inference.reason).toMatch(/too large at every cut \(best estimate: \d+ % of a full pass/);
    const forced = await occlusionSensitivity(small, x, { maskSize: 5, stride: 4, inference: 'incremental' });
    expect(forced.inference.costRatio).toBeGreaterThanOrEqual(0.8);
    await small.dispose();
  });

  it('runs full passes, saying why, where no local prefix exists; incremental then throws', async () => {
    const flat = makeModel({
      nodes: [
        makeNode('Flatten', ['x'], ['flat'], { axis: 1 }),
        makeNode('Gemm', ['flat', 'W', 'B'], ['logits'], { transB: 1 }),
      ],
      inputs: [makeValueInfo('x', ['N', 3, 8, 8])],
      outputs: [makeValueInfo('logits', ['N', 2])],
      initializers: [floatTensor('W', [2, 192], seededValues(384, 3)), floatTensor('B', [2], [0, 0])],
    });
    const model = await OnnxModel.create(encodeModel(flat), nodeRuntime);
    const input: TensorData = { data: seededValues(192, 4), dims: [1, 3, 8, 8] };
    const result = await occlusionSensitivity(model, input, { maskSize: 3, stride: 2, layout: 'NCHW' });
    expect(result.inference).toEqual({
      path: 'full',
      reason: expect.stringMatching(/mixes space at Flatten/),
    });
    await expect(
      occlusionSensitivity(model, input, {
        maskSize: 3,
        stride: 2,
        layout: 'NCHW',
        inference: 'incremental',
      }),
    ).rejects.toThrow(UnsupportedError);
    await model.dispose();
  });
});
