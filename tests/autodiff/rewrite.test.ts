import { describe, expect, it } from 'vitest';
import {
  floatTensor,
  int64Tensor,
  makeModel,
  makeNode,
  makeValueInfo,
  type AttrMap,
} from '../../src/onnx/proto.js';
import { batchNormIntoConv } from '../../src/autodiff/rewrite.js';
import { expectVjpMatchesFd, randomTensor, runVjp, uniform } from './harness.js';

/** x → Relu → r → MaxPool → p → Mul(p, p) → y */
function reluThenPool(attrs: AttrMap) {
  return makeModel({
    nodes: [
      makeNode('Relu', ['x'], ['r']),
      makeNode('MaxPool', ['r'], ['p'], attrs),
      makeNode('Mul', ['p', 'p'], ['y']),
    ],
    inputs: [makeValueInfo('x', ['N', 2, 6, 6])],
    outputs: [makeValueInfo('y', undefined)],
  });
}

describe('MaxPool(Relu(x)) is pooled before the ReLU in the VJP graph', () => {
  const pools: [string, AttrMap, boolean][] = [
    ['2x2 stride 2', { kernel_shape: [2, 2], strides: [2, 2] }, false],
    ['3x3 stride 2 pad 1', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, true],
  ];
  for (const [name, attrs, overlapping] of pools) {
    it(`${name}: same output and gradients under every rule`, async () => {
      const model = reluThenPool(attrs);
      // Exact ties and all-negative windows included: half the inputs are clipped to 0 by the ReLU.
      const x = randomTensor(uniform(41), [3, 2, 6, 6]);
      x.data.forEach((v, i) => (x.data[i] = Math.round(v * 4) / 4));
      const seed = (dims: number[]) => randomTensor(uniform(42), dims);
      for (const rule of ['gradient', 'guided', 'deconvnet'] as const) {
        const rewritten = await runVjp(model, { x }, seed, { rule });
        // Asking for r as well keeps the ReLU where it is: the reference build.
        const kept = await runVjp(model, { x }, seed, { rule, wrt: ['x', 'r'] });
        expect(Array.from(rewritten.output.data, (v) => v + 0)).toEqual(
          Array.from(kept.output.data, (v) => v + 0),
        );
        expect(Array.from(rewritten.grads[0].data, (v) => v + 0)).toEqual(
          Array.from(kept.grads[0].data, (v) => v + 0),
        );
        const ops = rewritten.graph.model.graph!.node!.map((n) => n.opType);
        // Overlapping windows are rewritten for the exact gradient only (guided/deconvnet act on sums).
        const moved = rule === 'gradient' || !overlapping;
        expect(ops.indexOf('MaxPool') < ops.indexOf('Relu')).toBe(moved);
        const keptOps = kept.graph.model.graph!.node!.map((n) => n.opType);
        expect(keptOps.indexOf('Relu')).toBeLessThan(keptOps.indexOf('MaxPool'));
      }
      await expectVjpMatchesFd(model, { x: randomTensor(uniform(43), [2, 2, 6, 6]) }, { eps: 1e-3 });
    });
  }
});

/** x → Pad(zeros) → p → Conv (3x3 stride 2) → y, as TF.js' ZeroPadding2D before a strided convolution. */
function padThenConv(pads: number[], group: number, convPads?: number[]) {
  const rand = uniform(51);
  const channels = 4;
  return makeModel({
    nodes: [
      makeNode('Pad', ['x', 'pads'], ['p'], { mode: 'constant' }),
      makeNode('Conv', ['p', 'w'], ['y'], {
        kernel_shape: [3, 3],
        strides: [2, 2],
        group,
        ...(convPads ? { pads: convPads } : {}),
      }),
    ],
    inputs: [makeValueInfo('x', ['N', channels, 7, 8])],
    outputs: [makeValueInfo('y', undefined)],
    initializers: [
      int64Tensor('pads', [8], pads),
      floatTensor(
        'w',
        [6 * group, channels / group, 3, 3],
        randomTensor(rand, [6 * group, channels / group, 3, 3]).data,
      ),
    ],
  });
}

describe('Pad(zeros) → Conv becomes one padded Conv in the VJP graph', () => {
  const cases: [string, number[], number, number[] | undefined][] = [
    ['bottom/right pad, dense', [0, 0, 0, 0, 0, 0, 1, 1], 1, undefined],
    ['pads on every side plus the conv own, grouped', [0, 0, 1, 0, 0, 0, 1, 1], 2, [0, 1, 0, 0]],
  ];
  for (const [name, pads, group, convPads] of cases) {
    it(`${name}: same output and gradient, no Pad left in the forward part`, async () => {
      const model = padThenConv(pads, group, convPads);
      const x = randomTensor(uniform(52), [3, 4, 7, 8]);
      const seed = (dims: number[]) => randomTensor(uniform(53), dims);
      const folded = await runVjp(model, { x }, seed);
      // Asking for p as well keeps the Pad: the reference build.
      const kept = await runVjp(model, { x }, seed, { wrt: ['x', 'p'] });
      const close = (a: Float32Array, b: Float32Array) => {
        const scale = Math.max(...Array.from(b, Math.abs));
        a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(1e-6 * scale));
      };
      close(folded.output.data, kept.output.data);
      close(folded.grads[0].data, kept.grads[0].data);
      const forwardPads = (run: typeof folded) =>
        run.graph.model.graph!.node!.filter((n) => n.opType === 'Pad' && !n.name?.startsWith('vjp/')).length;
      expect(forwardPads(folded)).toBe(0);
      expect(forwardPads(kept)).toBe(1);
      await expectVjpMatchesFd(model, { x: randomTensor(uniform(54), [2, 4, 7, 8]) }, { eps: 1e-3 });
    });
  }
});

/** x → Conv → c → BatchNormalization (inference) → b → Sigmoid → y */
function convThenBatchNorm(group: number, withBias: boolean, trainingOutputs = false) {
  const rand = uniform(61);
  const out = 8;
  const perChannel = (name: string, low: number, high: number) =>
    floatTensor(
      name,
      [out],
      Array.from({ length: out }, () => low + (high - low) * rand()),
    );
  return makeModel({
    nodes: [
      makeNode('Conv', ['x', 'w', ...(withBias ? ['bias'] : [])], ['c'], {
        kernel_shape: [3, 3],
        pads: [1, 1, 1, 1],
        group,
      }),
      makeNode(
        'BatchNormalization',
        ['c', 'scale', 'shift', 'mean', 'var'],
        trainingOutputs ? ['b', 'running_mean', 'running_var'] : ['b'],
        { epsilon: 1e-3, ...(trainingOutputs ? { training_mode: 1 } : {}) },
      ),
      makeNode('Sigmoid', ['b'], ['y']),
    ],
    inputs: [makeValueInfo('x', ['N', 4, 6, 7])],
    outputs: [makeValueInfo('y', undefined)],
    initializers: [
      floatTensor('w', [out, 4 / group, 3, 3], randomTensor(rand, [out, 4 / group, 3, 3]).data),
      ...(withBias ? [perChannel('bias', -1, 1)] : []),
      perChannel('scale', 0.5, 2),
      perChannel('shift', -1, 1),
      perChannel('mean', -0.5, 0.5),
      perChannel('var', 0.2, 3),
    ],
    opset: 15,
  });
}

describe('Conv → inference BatchNormalization becomes one Conv in the VJP graph', () => {
  const cases: [string, number, boolean][] = [
    ['dense, no bias', 1, false],
    ['grouped, with bias', 2, true],
  ];
  for (const [name, group, withBias] of cases) {
    it(`${name}: same output and gradient, no BatchNormalization or per-channel Mul left`, async () => {
      const model = convThenBatchNorm(group, withBias);
      const x = randomTensor(uniform(62), [3, 4, 6, 7]);
      const seed = (dims: number[]) => randomTensor(uniform(63), dims);
      const folded = await runVjp(model, { x }, seed);
      // Asking for c as well keeps the normalization: the reference build.
      const kept = await runVjp(model, { x }, seed, { wrt: ['x', 'c'] });
      // The folded weights differ from w·scale/σ computed in the graph by float32 rounding only.
      const close = (a: Float32Array, b: Float32Array) => {
        const scale = Math.max(...Array.from(b, Math.abs));
        a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(1e-5 * scale));
      };
      close(folded.output.data, kept.output.data);
      close(folded.grads[0].data, kept.grads[0].data);
      const ops = (run: typeof folded) => run.graph.model.graph!.node!.map((n) => n.opType);
      const muls = (run: typeof folded) => ops(run).filter((op) => op === 'Mul').length;
      expect(ops(folded)).not.toContain('BatchNormalization');
      expect(ops(kept)).toContain('BatchNormalization');
      // The normalization's per-channel scale of the gradient is gone with it.
      expect(muls(kept) - muls(folded)).toBe(1);
      await expectVjpMatchesFd(model, { x: randomTensor(uniform(64), [2, 4, 6, 7]) }, { eps: 1e-3 });
    });
  }

  it('a training-mode normalization (batch statistics) is left alone', () => {
    const model = convThenBatchNorm(1, true, true);
    batchNormIntoConv(model, new Set());
    expect(model.graph!.node!.map((n) => n.opType)).toEqual(['Conv', 'BatchNormalization', 'Sigmoid']);
  });
});
