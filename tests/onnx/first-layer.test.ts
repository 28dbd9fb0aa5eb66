/**
 * The affine first layer of a table model (onnx/first-layer.ts): the chain of per-feature affine ops by
 * constants into a Gemm or MatMul, folded into layer(x) = offset + Σ_f x_f·weight[f, ·]. Checked against the
 * closed form of each test model's chain, and against what it must not fold.
 */
import { describe, expect, it } from 'vitest';
import { affineFirstLayer } from '../../src/onnx/first-layer.js';
import {
  floatTensor,
  makeModel,
  makeNode,
  makeValueInfo,
  onnx,
  type NodeProto,
} from '../../src/onnx/proto.js';
import { seededValues } from '../helpers/onnx-models.js';

const F = 4;
const H = 3;
const MEAN = seededValues(F, 11);
const STD = Float32Array.from(seededValues(F, 12), (v) => 1.5 + v);
const SHIFT = seededValues(F, 13);
const W = seededValues(F * H, 14); // [H, F] (transB)
const BIAS = seededValues(H, 15);

function model(front: NodeProto[], layer: NodeProto, extra: NodeProto[] = []) {
  return makeModel({
    nodes: [...front, layer, makeNode('Relu', ['pre'], ['y']), ...extra],
    inputs: [makeValueInfo('x', ['N', F])],
    outputs: [makeValueInfo('y', ['N', H])],
    initializers: [
      floatTensor('mean', [F], MEAN),
      floatTensor('std', [1, F], STD),
      floatTensor('shift', [F], SHIFT),
      floatTensor('w', [H, F], W),
      floatTensor(
        'wT',
        [F, H],
        Float32Array.from({ length: F * H }, (_, i) => W[(i % H) * F + Math.floor(i / H)]),
      ),
      floatTensor('bias', [H], BIAS),
      floatTensor('wide', [2, F], seededValues(2 * F, 16)),
    ],
  });
}

/** The closed form layer(x) = Σ_f scale_f W[h, f] x_f + offset_h, compared to the folded one to float64 rounding. */
function expectLayer(
  found: ReturnType<typeof affineFirstLayer>,
  scale: (f: number) => number,
  offset: (h: number) => number,
) {
  expect(found).toBeDefined();
  expect(found!.hidden).toBe(H);
  for (let f = 0; f < F; f++)
    for (let h = 0; h < H; h++) expect(found!.weight[f * H + h]).toBeCloseTo(scale(f) * W[h * F + f], 12);
  for (let h = 0; h < H; h++) expect(found!.offset[h]).toBeCloseTo(offset(h), 12);
}

describe('affineFirstLayer', () => {
  it('folds (x − mean) / std · 2 + shift into a Gemm with alpha, beta and transB', () => {
    const two = floatTensor('two', [], [2]);
    const proto = model(
      [
        makeNode('Sub', ['x', 'mean'], ['a']),
        makeNode('Div', ['a', 'std'], ['b']),
        makeNode('Constant', [], ['two'], { value: two }),
        makeNode('Mul', ['two', 'b'], ['c']),
        makeNode('Add', ['c', 'shift'], ['d']),
      ],
      makeNode('Gemm', ['d', 'w', 'bias'], ['pre'], {
        transB: 1,
        alpha: { value: 0.5, kind: 'float' },
        beta: 3,
      }),
    );
    const found = affineFirstLayer(proto, 'x', F);
    expect(found?.nodes.map((n) => n.opType)).toEqual(['Sub', 'Div', 'Mul', 'Add', 'Gemm']);
    expect(found?.output).toBe('pre');
    // 0.5 · W · (2 (x − μ) / σ + s) + 3 c
    expectLayer(
      found,
      (f) => (0.5 * 2) / STD[f],
      (h) => {
        let sum = 3 * BIAS[h];
        for (let f = 0; f < F; f++) sum += 0.5 * W[h * F + f] * ((-2 * MEAN[f]) / STD[f] + SHIFT[f]);
        return sum;
      },
    );
  });

  it('folds a reversed Sub into a MatMul (its bias Add stays in the model)', () => {
    const proto = model([makeNode('Sub', ['mean', 'x'], ['a'])], makeNode('MatMul', ['a', 'wT'], ['pre']));
    // W (μ − x)
    expectLayer(
      affineFirstLayer(proto, 'x', F),
      () => -1,
      (h) => {
        let sum = 0;
        for (let f = 0; f < F; f++) sum += W[h * F + f] * MEAN[f];
        return sum;
      },
    );
  });

  it('folds nothing where the input is read twice, divides a constant, broadcasts wider, or meets another op', () => {
    const gemm = (input: string) => makeNode('Gemm', [input, 'w', 'bias'], ['pre'], { transB: 1 });
    const cases: [string, ReturnType<typeof model>][] = [
      [
        'read twice',
        model([makeNode('Sub', ['x', 'mean'], ['a'])], gemm('a'), [makeNode('Add', ['x', 'x'], ['z'])]),
      ],
      ['c / x', model([makeNode('Div', ['shift', 'x'], ['a'])], gemm('a'))],
      ['[2, F] constant', model([makeNode('Mul', ['x', 'wide'], ['a'])], gemm('a'))],
      ['Tanh first', model([makeNode('Tanh', ['x'], ['a'])], gemm('a'))],
      ['transA', model([], makeNode('Gemm', ['x', 'wT', 'bias'], ['pre'], { transA: 1 }))],
      ['x · x', model([], makeNode('MatMul', ['x', 'x'], ['pre']))],
    ];
    // Weights in external data, which netlens does not read itself.
    const external = model([], gemm('x'));
    const w = external.graph!.initializer!.find((t) => t.name === 'w')!;
    w.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    cases.push(['external weights', external]);
    for (const [what, proto] of cases) expect(affineFirstLayer(proto, 'x', F), what).toBeUndefined();
  });
});
