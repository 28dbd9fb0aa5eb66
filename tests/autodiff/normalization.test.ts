import { describe, expect, it } from 'vitest';
import { floatTensor, makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, oneOpModel, positive, randomTensor, runVjp, uniform } from './harness.js';

const BATCH = 3;
const float = (value: number) => ({ value, kind: 'float' as const });

describe('BatchNormalization (inference) vs finite differences', () => {
  const cases: { x: number[]; opset: number; attrs?: Record<string, unknown> }[] = [
    { x: [3, 4, 4], opset: 11 },
    { x: [4], opset: 13 },
    { x: [2, 5], opset: 15, attrs: { epsilon: float(0.01), training_mode: 0 } },
    { x: [2, 2, 2, 3], opset: 21 },
  ];
  for (const c of cases) {
    it(`x [N, ${c.x}], opset ${c.opset}`, async () => {
      const rand = uniform(c.opset + c.x.length);
      const channels = c.x[0];
      const model = oneOpModel({
        op: 'BatchNormalization',
        inputs: [{ name: 'x', shape: ['N', ...c.x] }],
        weights: [
          floatTensor('scale', [channels], randomTensor(rand, [channels]).data),
          floatTensor('bias', [channels], randomTensor(rand, [channels]).data),
          floatTensor('mean', [channels], randomTensor(rand, [channels]).data),
          floatTensor('var', [channels], positive(rand, [channels], 0.1, 3).data),
        ],
        attrs: c.attrs as never,
        opset: c.opset,
      });
      await expectVjpMatchesFd(model, { x: randomTensor(rand, [BATCH, ...c.x]) });
    });
  }

  it('parameters computed from the input get their gradients (scale, bias, mean, variance)', async () => {
    const model = makeModel({
      nodes: [
        makeNode('ReduceMean', ['x'], ['m'], { axes: [0, 2], keepdims: 0 }),
        makeNode('ReduceMax', ['x'], ['b'], { axes: [0, 2], keepdims: 0 }),
        makeNode('Mul', ['m', 'half'], ['mu']),
        makeNode('Mul', ['x', 'x'], ['sq']),
        makeNode('ReduceMean', ['sq'], ['v'], { axes: [0, 2], keepdims: 0 }),
        makeNode('BatchNormalization', ['x', 'm', 'b', 'mu', 'v'], ['y'], {}, 'bn'),
      ],
      inputs: [makeValueInfo('x', ['N', 2, 3])],
      outputs: [makeValueInfo('y', ['N', 2, 3])],
      initializers: [floatTensor('half', [], [0.5])],
      opset: 13,
    });
    await expectVjpMatchesFd(model, { x: randomTensor(uniform(5), [2, 2, 3]) }, { eps: 1e-3 });
  });
});

describe('InstanceNormalization vs finite differences', () => {
  for (const [rest, opset] of [
    [[3, 4, 5], 11],
    [[2, 6], 13],
    [[2, 2, 3, 2], 21],
  ] as [number[], number][]) {
    it(`x [N, ${rest}], opset ${opset}`, async () => {
      const rand = uniform(20 + opset);
      const channels = rest[0];
      const model = oneOpModel({
        op: 'InstanceNormalization',
        inputs: [{ name: 'x', shape: ['N', ...rest] }],
        weights: [
          floatTensor('scale', [channels], randomTensor(rand, [channels]).data),
          floatTensor('bias', [channels], randomTensor(rand, [channels]).data),
        ],
        attrs: { epsilon: float(1e-3) },
        opset,
      });
      await expectVjpMatchesFd(model, { x: randomTensor(rand, [BATCH, ...rest]) }, { eps: 1e-3 });
    });
  }
});

describe('LayerNormalization (opset 17 on) vs finite differences', () => {
  const cases: { name: string; x: number[]; axis?: number; bias: boolean; opset: number }[] = [
    { name: 'last axis (default), with bias', x: [4, 6], bias: true, opset: 17 },
    { name: 'axis 1 over [C, H, W], no bias', x: [2, 3, 4], axis: 1, bias: false, opset: 17 },
    { name: 'axis -2', x: [3, 2, 4], axis: -2, bias: true, opset: 21 },
    { name: 'token-major [N, T, D], last axis', x: [5, 8], axis: 2, bias: true, opset: 18 },
  ];
  for (const c of cases) {
    it(`${c.name}, opset ${c.opset}`, async () => {
      const rand = uniform(30 + c.x.length + c.opset);
      const rank = c.x.length + 1;
      const axis = c.axis === undefined ? rank - 1 : c.axis < 0 ? c.axis + rank : c.axis;
      const normalized = [BATCH, ...c.x].slice(axis);
      const count = normalized.reduce((a, b) => a * b, 1);
      const weights = [floatTensor('scale', normalized, randomTensor(rand, normalized).data)];
      if (c.bias) weights.push(floatTensor('bias', normalized, randomTensor(rand, normalized).data));
      expect(count).toBeGreaterThan(1);
      const model = oneOpModel({
        op: 'LayerNormalization',
        inputs: [{ name: 'x', shape: ['N', ...c.x] }],
        weights,
        attrs: { ...(c.axis === undefined ? {} : { axis: c.axis }), epsilon: float(1e-4) },
        opset: c.opset,
      });
      await expectVjpMatchesFd(model, { x: randomTensor(rand, [BATCH, ...c.x]) }, { eps: 1e-3 });
    });
  }

  it('a scale broadcast from the last axis only', async () => {
    const rand = uniform(41);
    const model = oneOpModel({
      op: 'LayerNormalization',
      inputs: [{ name: 'x', shape: ['N', 3, 4] }],
      weights: [floatTensor('scale', [4], randomTensor(rand, [4]).data)],
      attrs: { axis: 1 },
      opset: 17,
    });
    await expectVjpMatchesFd(model, { x: randomTensor(rand, [BATCH, 3, 4]) }, { eps: 1e-3 });
  });

  it('the decomposition exporters emit before opset 17 (ReduceMean, Sub, Pow, Sqrt, Div)', async () => {
    const rand = uniform(42);
    const nodes = [
      makeNode('ReduceMean', ['x'], ['mean'], { axes: [-1] }),
      makeNode('Sub', ['x', 'mean'], ['centred']),
      makeNode('Pow', ['centred', 'two'], ['squared']),
      makeNode('ReduceMean', ['squared'], ['variance'], { axes: [-1] }),
      makeNode('Add', ['variance', 'eps'], ['shifted']),
      makeNode('Sqrt', ['shifted'], ['std']),
      makeNode('Div', ['centred', 'std'], ['normalized']),
      makeNode('Mul', ['normalized', 'gamma'], ['scaled']),
      makeNode('Add', ['scaled', 'beta'], ['y']),
    ];
    const model = makeModel({
      nodes,
      inputs: [makeValueInfo('x', ['N', 3, 6])],
      outputs: [makeValueInfo('y', ['N', 3, 6])],
      initializers: [
        floatTensor('two', [], [2]),
        floatTensor('eps', [], [1e-5]),
        floatTensor('gamma', [6], randomTensor(rand, [6]).data),
        floatTensor('beta', [6], randomTensor(rand, [6]).data),
      ],
      opset: 13,
    });
    await expectVjpMatchesFd(model, { x: randomTensor(rand, [BATCH, 3, 6]) }, { eps: 1e-3 });
  });

  it('the gradient is orthogonal to shifting and scaling each normalized group (no bias, scale 1)', async () => {
    // y = (x − mean)/σ is unchanged by x → a·x + b per group, so ⟨dX, 1⟩ = 0 and ⟨dX, x⟩ ≈ 0 per group.
    const model = oneOpModel({
      op: 'LayerNormalization',
      inputs: [{ name: 'x', shape: ['N', 8] }],
      weights: [floatTensor('scale', [8], new Array<number>(8).fill(1))],
      attrs: { epsilon: float(1e-9) },
    });
    const rand = uniform(43);
    const x = randomTensor(rand, [2, 8]);
    const run = await runVjp(model, { x }, randomTensor(rand, [2, 8]));
    for (let n = 0; n < 2; n++) {
      let sum = 0;
      let along = 0;
      let norm = 0;
      for (let i = 0; i < 8; i++) {
        const g = run.grads[0].data[n * 8 + i];
        sum += g;
        along += g * x.data[n * 8 + i];
        norm += Math.abs(g);
      }
      expect(norm).toBeGreaterThan(0.1);
      expect(Math.abs(sum)).toBeLessThan(1e-5 * norm);
      expect(Math.abs(along)).toBeLessThan(1e-4 * norm);
    }
  });
});
