import { describe, expect, it } from 'vitest';
import { floatTensor, makeModel, makeNode, makeValueInfo, type ModelProto } from '../../src/onnx/proto.js';
import type { BackpropRule } from '../../src/types.js';
import { randomTensor, runVjp, uniform } from './harness.js';

const t = (values: number[]) => ({ data: Float32Array.from(values), dims: [1, values.length] });

/** y = act(x) · w, where act is Relu or Clip(·, 0, 6). */
function activationTimesWeight(act: 'Relu' | 'Clip', w: number[]): ModelProto {
  const actNode =
    act === 'Relu' ? makeNode('Relu', ['x'], ['a']) : makeNode('Clip', ['x', 'lo', 'hi'], ['a'], {}, 'relu6');
  return makeModel({
    nodes: [actNode, makeNode('Mul', ['a', 'w'], ['y'])],
    inputs: [makeValueInfo('x', ['N', w.length])],
    outputs: [makeValueInfo('y', ['N', w.length])],
    initializers: [floatTensor('w', [w.length], w), floatTensor('lo', [], [0]), floatTensor('hi', [], [6])],
  });
}

async function gradient(model: ModelProto, x: number[], dY: number[], rule: BackpropRule): Promise<number[]> {
  const run = await runVjp(model, { x: t(x) }, t(dY), { rule });
  // + 0 turns -0 (a zero gradient times a negative weight) into 0 for exact comparison.
  return Array.from(run.grads[0].data, (v) => v + 0);
}

describe('guided backprop and deconvnet rules (hand-computed)', () => {
  // Upstream gradient at the activation's output: dY·w = [1, -1, 2, -2, 0.5, -1].
  const x = [-2, -0.5, 0.5, 1, 3, 4];
  const w = [1, -1, 2, -2, 0.5, 1];
  const dY = [1, 1, 1, 1, 1, -1];

  it('Relu: exact passes where x > 0', async () => {
    expect(await gradient(activationTimesWeight('Relu', w), x, dY, 'gradient')).toEqual([
      0, 0, 2, -2, 0.5, -1,
    ]);
  });
  it('Relu: guided passes where x > 0 and the gradient > 0', async () => {
    expect(await gradient(activationTimesWeight('Relu', w), x, dY, 'guided')).toEqual([0, 0, 2, 0, 0.5, 0]);
  });
  it('Relu: deconvnet is ReLU of the gradient, whatever x was', async () => {
    expect(await gradient(activationTimesWeight('Relu', w), x, dY, 'deconvnet')).toEqual([
      1, 0, 2, 0, 0.5, 0,
    ]);
  });

  // ReLU6 = Clip(x, 0, 6); upstream gradient = w.
  const x6 = [-2, 0.5, 3, 7, 8, 5];
  const w6 = [1, 2, -1, 1, -1, 1];
  const ones = [1, 1, 1, 1, 1, 1];
  it('ReLU6 (Clip with min 0): guided passes where 0 < x < 6 and the gradient > 0', async () => {
    expect(await gradient(activationTimesWeight('Clip', w6), x6, ones, 'guided')).toEqual([0, 2, 0, 0, 0, 1]);
  });
  it('ReLU6 (Clip with min 0): deconvnet is ReLU of the gradient', async () => {
    expect(await gradient(activationTimesWeight('Clip', w6), x6, ones, 'deconvnet')).toEqual([
      1, 2, 0, 1, 0, 1,
    ]);
  });

  it('two ReLU layers: every variant matches its definition applied layer by layer', async () => {
    // y = relu(relu(x·w1)·w2 + b)
    const n = 8;
    const rand = uniform(21);
    const w1 = Array.from(randomTensor(rand, [n]).data);
    const w2 = Array.from(randomTensor(rand, [n]).data);
    const b = Array.from(randomTensor(rand, [n]).data);
    const model = makeModel({
      nodes: [
        makeNode('Mul', ['x', 'w1'], ['p1']),
        makeNode('Relu', ['p1'], ['a1']),
        makeNode('Mul', ['a1', 'w2'], ['m2']),
        makeNode('Add', ['m2', 'b'], ['p2']),
        makeNode('Relu', ['p2'], ['y']),
      ],
      inputs: [makeValueInfo('x', ['N', n])],
      outputs: [makeValueInfo('y', ['N', n])],
      initializers: [floatTensor('w1', [n], w1), floatTensor('w2', [n], w2), floatTensor('b', [n], b)],
    });
    const xs = Array.from(randomTensor(rand, [n]).data);
    const seed = Array.from(randomTensor(rand, [n]).data);
    const backward = (g: number, pre: number, rule: BackpropRule): number =>
      rule === 'gradient'
        ? pre > 0
          ? g
          : 0
        : rule === 'guided'
          ? pre > 0 && g > 0
            ? g
            : 0
          : Math.max(g, 0);
    for (const rule of ['gradient', 'guided', 'deconvnet'] as const) {
      const expected = xs.map((xi, i) => {
        const p1 = Math.fround(xi * w1[i]);
        const p2 = Math.fround(Math.max(p1, 0) * w2[i] + b[i]);
        const g2 = backward(seed[i], p2, rule) * w2[i];
        return backward(g2, p1, rule) * w1[i];
      });
      const actual = await gradient(model, xs, seed, rule);
      actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    }
  });

  it('ops without a variant keep their exact rule under guided and deconvnet', async () => {
    const model = makeModel({
      nodes: [makeNode('Exp', ['x'], ['e']), makeNode('Mul', ['e', 'x'], ['y'])],
      inputs: [makeValueInfo('x', ['N', 3])],
      outputs: [makeValueInfo('y', ['N', 3])],
    });
    const xs = [-1, 0.5, 2];
    const exact = xs.map((v) => Math.exp(v) * (1 + v));
    for (const rule of ['guided', 'deconvnet'] as const) {
      const actual = await gradient(model, xs, [1, 1, 1], rule);
      actual.forEach((v, i) => expect(v).toBeCloseTo(exact[i], 4));
    }
  });
});
