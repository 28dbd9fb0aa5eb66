import { describe, expect, it } from 'vitest';
import { Emitter, NodeContext } from '../../src/autodiff/context.js';
import { GraphIndex } from '../../src/autodiff/graph.js';
import { resizeRules } from '../../src/autodiff/rules/resize.js';
import { UnsupportedError } from '../../src/errors.js';
import {
  floatTensor,
  int64Tensor,
  makeModel,
  makeNode,
  makeValueInfo,
  type AttrMap,
  type ModelProto,
  type TensorProto,
} from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import { expectVjpMatchesFd, randomTensor, runFeeds, runVjp, session, toOrt, uniform } from './harness.js';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): { value: number; scale: number } => {
  let value = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    value += a[i] * b[i];
    scale += Math.abs(a[i] * b[i]);
  }
  return { value, scale };
};

/**
 * Resize is linear, so its VJP is exact iff ⟨VJP(dY), x⟩ = ⟨dY, Resize(x)⟩ for random x and dY (the
 * dot-product test of an adjoint). Returns the output dims, to check the case resized something.
 */
async function expectAdjoint(model: ModelProto, x: TensorData, seed: number): Promise<number[]> {
  const forward = await session(model);
  const y = (await runFeeds(forward, { x })).y;
  await forward.release();
  const dY = randomTensor(uniform(seed), y.dims);
  const run = await runVjp(model, { x }, dY, { shapes: { x: x.dims, y: y.dims } });
  const lhs = dot(run.grads[0].data, x.data);
  const rhs = dot(dY.data, y.data);
  expect(
    Math.abs(lhs.value - rhs.value),
    `⟨VJP, x⟩ = ${lhs.value}, ⟨dY, y⟩ = ${rhs.value}`,
  ).toBeLessThanOrEqual(2e-6 * (lhs.scale + rhs.scale));
  return y.dims;
}

interface Config {
  attrs: AttrMap;
  scales?: number[];
  sizes?: number[];
  roi?: number[];
}

/** y = Resize(x) for a fixed-size x, with scales or sizes (and roi) as initializers. */
function resizeModel(x: number[], c: Config, opset: number): ModelProto {
  const weights: TensorProto[] = [];
  const inputs = ['x'];
  const optional = (name: string, t: TensorProto | undefined): void => {
    if (t) {
      weights.push(t);
      inputs.push(name);
    } else if (opset >= 13) inputs.push('');
    else {
      weights.push(floatTensor(name, [0], []));
      inputs.push(name);
    }
  };
  optional('roi', c.roi ? floatTensor('roi', [c.roi.length], c.roi) : undefined);
  optional('scales', c.scales ? floatTensor('scales', [c.scales.length], c.scales) : undefined);
  if (c.sizes) {
    weights.push(int64Tensor('sizes', [c.sizes.length], c.sizes));
    inputs.push('sizes');
  }
  return makeModel({
    nodes: [makeNode('Resize', inputs, ['y'], c.attrs, 'the_resize')],
    inputs: [makeValueInfo('x', x)],
    outputs: [makeValueInfo('y', undefined)],
    initializers: weights,
    opset,
  });
}

const X = [2, 2, 5, 7];
const SCALE_SETS: Pick<Config, 'scales' | 'sizes'>[] = [
  { scales: [1, 1, 2, 3] },
  { scales: [1, 1, 0.6, 0.5] },
  { scales: [1, 1, 1.5, 1.7] },
  { sizes: [2, 2, 8, 4] },
  { sizes: [2, 2, 3, 11] },
];
const MODES: AttrMap[] = [
  ...['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'].map((nearest_mode) => ({
    mode: 'nearest',
    nearest_mode,
  })),
  { mode: 'linear' },
  { mode: 'cubic' },
  { mode: 'cubic', cubic_coeff_a: { value: -0.5, kind: 'float' }, exclude_outside: 1 },
];
const COORDINATES = [
  'half_pixel',
  'asymmetric',
  'align_corners',
  'pytorch_half_pixel',
  'tf_half_pixel_for_nn',
  'tf_crop_and_resize',
  'half_pixel_symmetric',
];

/**
 * Many Resize nodes side by side, node k reading its own input x<k> and writing y<k>, all flattened into one
 * output y: one VJP gives every node's gradient, so each configuration gets its own adjoint check.
 */
function sideBySide(configs: Config[], opset: number): ModelProto {
  const parts = configs.map((c, k) => {
    const one = resizeModel(X, c, opset).graph!;
    const rename = (n: string): string => (n ? `${n}${k}` : n);
    const node = one.node![0];
    node.input = node.input!.map(rename);
    node.output = [rename('y')];
    node.name = `resize${k}`;
    for (const t of one.initializer ?? []) t.name = rename(t.name!);
    return { node, initializers: one.initializer ?? [] };
  });
  return makeModel({
    nodes: [
      ...parts.map((p) => p.node),
      ...configs.map((_, k) => makeNode('Reshape', [`y${k}`, 'row'], [`flat${k}`])),
      makeNode(
        'Concat',
        configs.map((_, k) => `flat${k}`),
        ['y'],
        { axis: 1 },
      ),
    ],
    inputs: configs.map((_, k) => makeValueInfo(`x${k}`, X)),
    outputs: [makeValueInfo('y', undefined), ...configs.map((_, k) => makeValueInfo(`y${k}`, undefined))],
    initializers: [...parts.flatMap((p) => p.initializers), int64Tensor('row', [2], [1, -1])],
    opset,
  });
}

describe('Resize rule: adjoint identity over every mode, coordinate mode and scale set', () => {
  for (const coordinate of COORDINATES) {
    it(coordinate, async () => {
      // half_pixel_symmetric exists from opset 19; tf_half_pixel_for_nn was dropped after opset 11.
      const opset =
        coordinate === 'half_pixel_symmetric' ? 19 : coordinate === 'tf_half_pixel_for_nn' ? 11 : 13;
      const configs: Config[] = MODES.flatMap((mode) =>
        SCALE_SETS.map((set) => ({
          ...set,
          // extrapolation_value stays 0: with another value the op is affine and the identity does not hold.
          attrs: { ...mode, coordinate_transformation_mode: coordinate },
          roi: coordinate === 'tf_crop_and_resize' ? [0, 0, 0.1, -0.2, 1, 1, 0.8, 1.1] : undefined,
        })),
      );
      const model = sideBySide(configs, opset);
      const feeds = Object.fromEntries(configs.map((_, k) => [`x${k}`, randomTensor(uniform(k), X)]));
      const forward = await session(model);
      const outputs = await runFeeds(forward, feeds);
      await forward.release();
      const dY = randomTensor(uniform(99), outputs.y.dims);
      const run = await runVjp(model, feeds, dY, { output: 'y', wrt: configs.map((_, k) => `x${k}`) });
      let offset = 0;
      configs.forEach((c, k) => {
        const y = outputs[`y${k}`];
        expect(y.dims.slice(2), JSON.stringify(c)).not.toEqual(X.slice(2));
        const lhs = dot(run.grads[k].data, feeds[`x${k}`].data);
        const rhs = dot(dY.data.subarray(offset, offset + y.data.length), y.data);
        offset += y.data.length;
        expect(
          Math.abs(lhs.value - rhs.value),
          `${JSON.stringify(c)}: ⟨VJP, x⟩ ${lhs.value}, ⟨dY, y⟩ ${rhs.value}`,
        ).toBeLessThanOrEqual(2e-6 * (lhs.scale + rhs.scale));
      });
      expect(offset).toBe(dY.data.length);
    });
  }

  it('opset 11 (roi and scales always present) and opset 18 antialiased linear and cubic downsampling', async () => {
    const x = randomTensor(uniform(7), X);
    await expectAdjoint(resizeModel(X, { attrs: { mode: 'linear' }, scales: [1, 1, 2, 1.5] }, 11), x, 1);
    await expectAdjoint(resizeModel(X, { attrs: { mode: 'nearest' }, sizes: [2, 2, 4, 9] }, 11), x, 2);
    for (const mode of ['linear', 'cubic']) {
      const c = { attrs: { mode, antialias: 1 }, scales: [1, 1, 0.5, 0.4] };
      await expectAdjoint(resizeModel(X, c, 18), x, 3);
    }
  });
});

/** Resize on x ['N', ...rest] for the FD tests, the batch left alone. */
function batchedResize(rest: number[], c: Config & { scales?: number[] }, opset: number): ModelProto {
  const model = resizeModel([1, ...rest], c, opset);
  model.graph!.input = [makeValueInfo('x', ['N', ...rest])];
  return model;
}

describe('Resize rule vs finite differences', () => {
  const cases: { name: string; x: number[]; c: Config; opset: number }[] = [
    {
      name: 'nearest ×2, asymmetric floor (block sums)',
      x: [2, 3, 4],
      c: {
        attrs: { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
        scales: [1, 1, 2, 2],
      },
      opset: 11,
    },
    {
      name: 'nearest ×2, half_pixel (block sums)',
      x: [2, 3, 4],
      c: { attrs: {}, scales: [1, 1, 2, 2] },
      opset: 13,
    },
    {
      name: 'nearest ×3, tf_half_pixel_for_nn round_prefer_ceil',
      x: [1, 2, 3],
      c: {
        attrs: { coordinate_transformation_mode: 'tf_half_pixel_for_nn', nearest_mode: 'round_prefer_ceil' },
        scales: [1, 1, 3, 3],
      },
      opset: 11,
    },
    {
      name: 'nearest ×2, asymmetric round_prefer_ceil (no block pattern)',
      x: [2, 3, 4],
      c: {
        attrs: { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'round_prefer_ceil' },
        scales: [1, 1, 2, 2],
      },
      opset: 13,
    },
    { name: 'nearest ×1.5', x: [1, 4, 4], c: { attrs: {}, scales: [1, 1, 1.5, 1.5] }, opset: 21 },
    {
      name: 'linear ×2, half_pixel',
      x: [2, 3, 4],
      c: { attrs: { mode: 'linear' }, scales: [1, 1, 2, 2] },
      opset: 11,
    },
    {
      name: 'linear 0.5, pytorch_half_pixel',
      x: [1, 6, 4],
      c: {
        attrs: { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' },
        scales: [1, 1, 0.5, 0.5],
      },
      opset: 13,
    },
    {
      name: 'linear ×1.7 × 1.3, align_corners',
      x: [2, 3, 3],
      c: {
        attrs: { mode: 'linear', coordinate_transformation_mode: 'align_corners' },
        scales: [1, 1, 1.7, 1.3],
      },
      opset: 21,
    },
    {
      name: 'linear on H only',
      x: [2, 3, 4],
      c: { attrs: { mode: 'linear' }, scales: [1, 1, 2.5, 1] },
      opset: 13,
    },
    {
      name: 'linear on W only',
      x: [2, 3, 4],
      c: { attrs: { mode: 'linear' }, scales: [1, 1, 1, 1.5] },
      opset: 13,
    },
    {
      name: 'NHWC: linear on axes 1 and 2',
      x: [3, 4, 2],
      c: { attrs: { mode: 'linear' }, scales: [1, 2, 1.5, 1] },
      opset: 13,
    },
    { name: 'cubic ×2', x: [1, 4, 4], c: { attrs: { mode: 'cubic' }, scales: [1, 1, 2, 2] }, opset: 13 },
    { name: 'same size (identity)', x: [2, 3, 4], c: { attrs: {}, scales: [1, 1, 1, 1] }, opset: 21 },
  ];
  cases.forEach((t, k) => {
    it(`${t.name}, opset ${t.opset}`, async () => {
      await expectVjpMatchesFd(batchedResize(t.x, t.c, t.opset), {
        x: randomTensor(uniform(k + 90), [2, ...t.x]),
      });
    });
  });

  it('opset 18: scales for the axes attribute only, and keep_aspect_ratio_policy not_larger', async () => {
    const onAxes = makeModel({
      nodes: [makeNode('Resize', ['x', '', 'scales'], ['y'], { mode: 'linear', axes: [2, -1] })],
      inputs: [makeValueInfo('x', ['N', 2, 3, 4])],
      outputs: [makeValueInfo('y', undefined)],
      initializers: [floatTensor('scales', [2], [2, 1.5])],
      opset: 18,
    });
    await expectVjpMatchesFd(onAxes, { x: randomTensor(uniform(4), [2, 2, 3, 4]) });
    const policy = makeModel({
      nodes: [
        makeNode('Resize', ['x', '', '', 'sizes'], ['y'], {
          mode: 'nearest',
          axes: [2, 3],
          keep_aspect_ratio_policy: 'not_larger',
        }),
      ],
      inputs: [makeValueInfo('x', ['N', 2, 3, 4])],
      outputs: [makeValueInfo('y', undefined)],
      initializers: [int64Tensor('sizes', [2], [9, 16])],
      opset: 18,
    });
    await expectVjpMatchesFd(policy, { x: randomTensor(uniform(5), [2, 2, 3, 4]) });
  });

  it('sizes computed from the input shape at run time (the PyTorch export of interpolate(size=…))', async () => {
    const model = makeModel({
      nodes: [
        makeNode('Shape', ['x'], ['shape']),
        makeNode('Slice', ['shape', 'zero', 'two'], ['batchAndChannels']),
        makeNode('Concat', ['batchAndChannels', 'hw'], ['sizes'], { axis: 0 }),
        makeNode('Resize', ['x', '', '', 'sizes'], ['y'], {
          mode: 'linear',
          coordinate_transformation_mode: 'pytorch_half_pixel',
        }),
      ],
      inputs: [makeValueInfo('x', ['N', 2, 3, 4])],
      outputs: [makeValueInfo('y', undefined)],
      initializers: [
        int64Tensor('zero', [1], [0]),
        int64Tensor('two', [1], [2]),
        int64Tensor('hw', [2], [5, 7]),
      ],
      opset: 13,
    });
    await expectVjpMatchesFd(model, { x: randomTensor(uniform(6), [3, 2, 3, 4]) });
  });

  it('tf_crop_and_resize with a constant roi reaching outside the input (extrapolated: no gradient)', async () => {
    const c = {
      attrs: {
        mode: 'linear',
        coordinate_transformation_mode: 'tf_crop_and_resize',
        extrapolation_value: { value: 3, kind: 'float' as const },
      },
      roi: [0, 0, -0.2, 0.1, 1, 1, 0.8, 1.3],
      scales: [1, 1, 1.5, 1.2],
    };
    await expectVjpMatchesFd(batchedResize([2, 4, 5], c, 13), { x: randomTensor(uniform(3), [2, 2, 4, 5]) });
  });

  it('rank 3 and rank 5 inputs', async () => {
    const rank3 = batchedResize([2, 5], { attrs: { mode: 'linear' }, scales: [1, 1, 1.8] }, 13);
    await expectVjpMatchesFd(rank3, { x: randomTensor(uniform(7), [3, 2, 5]) });
    const rank5 = batchedResize([1, 2, 3, 2], { attrs: { mode: 'linear' }, scales: [1, 1, 2, 1.5, 2] }, 13);
    await expectVjpMatchesFd(rank5, { x: randomTensor(uniform(8), [2, 1, 2, 3, 2]) });
  });

  it('scales computed at run time (here from the input shape) are used as data', async () => {
    // scales = [1, 1, 2·H/H, 1.5·W/W]: constant in value, but computed by the graph.
    const computed = makeModel({
      nodes: [
        makeNode('Shape', ['x'], ['shape']),
        makeNode('Cast', ['shape'], ['shapeFloat'], { to: 1 }),
        makeNode('Slice', ['shapeFloat', 'two', 'four'], ['hw']),
        makeNode('Div', ['hw', 'hw'], ['ones']),
        makeNode('Mul', ['ones', 'factors'], ['scaled']),
        makeNode('Concat', ['batchAndChannel', 'scaled'], ['scales'], { axis: 0 }),
        makeNode('Resize', ['x', '', 'scales'], ['y'], { mode: 'linear' }, 'dynamic_resize'),
      ],
      inputs: [makeValueInfo('x', ['N', 2, 3, 4])],
      outputs: [makeValueInfo('y', undefined)],
      initializers: [
        int64Tensor('two', [1], [2]),
        int64Tensor('four', [1], [4]),
        floatTensor('factors', [2], [2, 1.5]),
        floatTensor('batchAndChannel', [2], [1, 1]),
      ],
      opset: 13,
    });
    await expectVjpMatchesFd(computed, { x: randomTensor(uniform(1), [3, 2, 3, 4]) });
  });

  it('scales fed at run time, a kept size resampled (scale 1.1 on 5), batch free', async () => {
    const model = makeModel({
      nodes: [makeNode('Resize', ['x', '', 'scales'], ['y'], { mode: 'linear' })],
      inputs: [makeValueInfo('x', ['N', 2, 5, 4]), makeValueInfo('scales', [4])],
      outputs: [makeValueInfo('y', undefined)],
      opset: 13,
    });
    const scales = toOrt({ data: Float32Array.from([1, 1, 1.1, 1.5]), dims: [4] });
    const shapes = { x: [-1, 2, 5, 4], scales: [4], y: [-1, 2, 5, 6] };
    await expectVjpMatchesFd(
      model,
      { x: randomTensor(uniform(2), [3, 2, 5, 4]) },
      { shapes, fixed: { scales } },
    );
  });
});

describe('Resize with scales and roi fed at run time: adjoint identity', () => {
  const runtimeScaleSets = [
    [1, 1, 2, 3],
    [1, 1, 0.6, 0.5],
    [1, 1, 1.5, 1.7],
    [1, 1, 1.1, 0.9],
    [1.5, 1, 1, 2],
  ];
  for (const coordinate of ['half_pixel', 'asymmetric', 'align_corners', 'tf_crop_and_resize']) {
    it(coordinate, async () => {
      const tfCrop = coordinate === 'tf_crop_and_resize';
      for (const mode of MODES) {
        // ONNX Runtime's linear and cubic modes resize only the last two axes of a 4-D input.
        const sets = mode.mode === 'nearest' ? runtimeScaleSets : runtimeScaleSets.filter((v) => v[0] === 1);
        for (const values of sets) {
          const model = makeModel({
            nodes: [
              makeNode('Resize', ['x', tfCrop ? 'roi' : '', 'scales'], ['y'], {
                ...mode,
                coordinate_transformation_mode: coordinate,
              }),
            ],
            inputs: [
              makeValueInfo('x', X),
              makeValueInfo('scales', [4]),
              ...(tfCrop ? [makeValueInfo('roi', [8])] : []),
            ],
            outputs: [makeValueInfo('y', undefined)],
            opset: 13,
          });
          const fixed = {
            scales: toOrt({ data: Float32Array.from(values), dims: [4] }),
            ...(tfCrop
              ? { roi: toOrt({ data: Float32Array.from([0, 0, 0.1, -0.2, 1, 1, 0.8, 1.1]), dims: [8] }) }
              : {}),
          };
          const x = randomTensor(uniform(values[2] * 10), X);
          const forward = await session(model);
          const y = (await runFeeds(forward, { x }, fixed)).y;
          await forward.release();
          const dY = randomTensor(uniform(5), y.dims);
          const shapes = { x: X, y: y.dims, scales: [4], roi: [8] };
          const run = await runVjp(model, { x }, dY, { shapes, fixed, wrt: ['x'] });
          const lhs = dot(run.grads[0].data, x.data);
          const rhs = dot(dY.data, y.data);
          expect(
            Math.abs(lhs.value - rhs.value),
            `${JSON.stringify(mode)} ${values}: ⟨VJP, x⟩ ${lhs.value}, ⟨dY, y⟩ ${rhs.value}`,
          ).toBeLessThanOrEqual(2e-6 * (lhs.scale + rhs.scale));
        }
      }
    });
  }
});

describe('Upsample (opsets 7 to 9; the builder itself starts at opset 11)', () => {
  /** The Upsample rule run directly on an opset-9 graph, checked with the adjoint identity. */
  async function upsampleAdjoint(mode: string, scales: number[]): Promise<void> {
    const xDims = [2, 2, 3, 4];
    const model = makeModel({
      nodes: [makeNode('Upsample', ['x', 'scales'], ['y'], { mode })],
      inputs: [makeValueInfo('x', xDims)],
      outputs: [makeValueInfo('y', undefined)],
      initializers: [floatTensor('scales', [4], scales)],
      opset: 9,
    });
    const x = randomTensor(uniform(11), xDims);
    const forward = await session(model);
    const y = (await runFeeds(forward, { x })).y;
    await forward.release();
    const index = new GraphIndex(model);
    const emitter = new Emitter(index, 9, 'gradient', { x: xDims, y: y.dims });
    const node = index.nodes[0];
    const ctx = new NodeContext(
      emitter,
      node,
      [true, false],
      () => [],
      (r) => new UnsupportedError('UNSUPPORTED_OP', r),
    );
    const [dX] = resizeRules.Upsample(node, ctx, ['dY']);
    const backward = makeModel({
      nodes: emitter.nodes,
      inputs: [makeValueInfo('dY', y.dims)],
      outputs: [makeValueInfo(dX!, undefined)],
      initializers: emitter.initializers,
      opset: 9,
    });
    const dY = randomTensor(uniform(12), y.dims);
    const s = await session(backward);
    const grad = (await runFeeds(s, { dY }))[dX!];
    await s.release();
    const lhs = dot(grad.data, x.data);
    const rhs = dot(dY.data, y.data);
    expect(Math.abs(lhs.value - rhs.value)).toBeLessThanOrEqual(2e-6 * (lhs.scale + rhs.scale));
  }

  it('nearest ×2 (block sums), nearest ×1.5 and linear', async () => {
    await upsampleAdjoint('nearest', [1, 1, 2, 2]);
    await upsampleAdjoint('nearest', [1, 1, 1.5, 2.5]);
    await upsampleAdjoint('linear', [1, 1, 2, 1.5]);
  });
});
