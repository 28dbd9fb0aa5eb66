import { describe, expect, it } from 'vitest';
import { foldConstant } from '../../src/autodiff/fold.js';
import { GraphIndex } from '../../src/autodiff/graph.js';
import {
  DataType,
  floatTensor,
  int64Tensor,
  makeModel,
  makeNode,
  makeValueInfo,
  type NodeProto,
  type TensorProto,
} from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, randomTensor, uniform } from './harness.js';

const INT64_MIN_PLUS_1 = -9223372036854775807n;

/** 1-D int64 constant holding exact 64-bit values. */
function exactInt64(name: string, values: bigint[]): TensorProto {
  const exact = BigInt64Array.from(values);
  return { name, dims: [values.length], dataType: DataType.INT64, rawData: new Uint8Array(exact.buffer) };
}

const constant = (out: string, t: TensorProto): NodeProto => makeNode('Constant', [], [out], { value: t });

/**
 * The chain PyTorch 1.13 writes for F.pad(x, (1, 0, 2, 1)) without constant folding, ending in `pads`:
 * [1, 0, 2, 1] → Cast → Concat with zeros for the untouched leading axes (ConstantOfShape of 2·rank − 4)
 * → Reshape [-1, 2] → reverse the rows (Slice step −1) → Transpose → Reshape [-1] → Cast.
 */
const padChain: NodeProto[] = [
  constant('given', int64Tensor('v0', [4], [1, 0, 2, 1])),
  makeNode('Cast', ['given'], ['givenInt'], { to: DataType.INT64 }),
  constant('four', int64Tensor('v1', [], [4])),
  constant('two', int64Tensor('v2', [], [2])),
  makeNode('Mul', ['four', 'two'], ['eight']),
  makeNode('Shape', ['given'], ['givenShape']),
  constant('zeroIndex', int64Tensor('v3', [1], [0])),
  makeNode('Gather', ['givenShape', 'zeroIndex'], ['givenCount'], { axis: 0 }),
  makeNode('Sub', ['eight', 'givenCount'], ['missing']),
  makeNode('ConstantOfShape', ['missing'], ['zeros'], { value: int64Tensor('z', [1], [0]) }),
  makeNode('Concat', ['givenInt', 'zeros'], ['flat'], { axis: 0 }),
  constant('pairs', int64Tensor('v4', [2], [-1, 2])),
  makeNode('Reshape', ['flat', 'pairs'], ['grid']),
  constant('s0', int64Tensor('v5', [1], [-1])),
  constant('e0', exactInt64('v6', [INT64_MIN_PLUS_1])),
  constant('a0', int64Tensor('v7', [1], [0])),
  constant('st0', int64Tensor('v8', [1], [-1])),
  makeNode('Slice', ['grid', 's0', 'e0', 'a0', 'st0'], ['reversed']),
  makeNode('Transpose', ['reversed'], ['byEnd'], { perm: [1, 0] }),
  constant('flatten', int64Tensor('v9', [1], [-1])),
  makeNode('Reshape', ['byEnd', 'flatten'], ['padsRaw']),
  makeNode('Cast', ['padsRaw'], ['pads'], { to: DataType.INT64 }),
];

describe('folding constant subgraphs for rules that need values at build time', () => {
  const model = makeModel({
    nodes: [
      ...padChain,
      makeNode('Constant', [], ['a'], { value: floatTensor('va', [2], [1, 1]) }),
      makeNode('Constant', [], ['b'], { value_floats: { value: [2, 2.5], kind: 'floats' } }),
      makeNode('Concat', ['a', 'b'], ['ab'], { axis: 0 }),
      makeNode('Cast', ['ab'], ['abInt'], { to: DataType.INT64 }),
      makeNode('Unsqueeze', ['abInt', 'zeroIndex'], ['row']),
      makeNode('Concat', ['row', 'row'], ['wide'], { axis: 1 }),
      constant('seven', int64Tensor('v10', [], [7])),
      makeNode('Div', ['seven', 'two'], ['halfInt']),
      makeNode('Div', ['b', 'a'], ['ratio']),
      makeNode('Shape', ['x'], ['shape']),
      makeNode('Concat', ['shape', 'zeroIndex'], ['dynamic'], { axis: 0 }),
      makeNode('Add', ['x', 'x'], ['y']),
    ],
    inputs: [makeValueInfo('x', ['N', 2])],
    outputs: [makeValueInfo('y', ['N', 2])],
  });
  const index = new GraphIndex(model);
  const values = (name: string): number[] | undefined => foldConstant(index, name)?.values;

  it("evaluates F.pad's pads chain to ONNX order [begin per axis..., end per axis...]", () => {
    expect(values('grid')).toEqual([1, 0, 2, 1, 0, 0, 0, 0]);
    expect(foldConstant(index, 'reversed')?.dims).toEqual([4, 2]);
    expect(values('pads')).toEqual([0, 0, 2, 1, 0, 0, 1, 0]);
  });

  it('Concat on any axis, Cast truncating to integers, integer Div truncating, float Div exact', () => {
    expect(values('ab')).toEqual([1, 1, 2, 2.5]);
    expect(values('abInt')).toEqual([1, 1, 2, 2]);
    expect(foldConstant(index, 'wide')).toMatchObject({ values: [1, 1, 2, 2, 1, 1, 2, 2], dims: [1, 8] });
    expect(values('halfInt')).toEqual([3]);
    expect(values('ratio')).toEqual([2, 2.5]);
  });

  it('leaves alone what depends on the graph input', () => {
    expect(foldConstant(index, 'dynamic')).toBeUndefined();
    expect(foldConstant(index, 'y')).toBeUndefined();
  });

  it('Resize with scales = Concat(Constant, Constant) and Pad with the F.pad chain differentiate', async () => {
    const resize = makeModel({
      nodes: [
        makeNode('Constant', [], ['outer'], { value: floatTensor('v1', [2], [1, 1]) }),
        makeNode('Constant', [], ['inner'], { value: floatTensor('v2', [2], [2, 1.5]) }),
        makeNode('Concat', ['outer', 'inner'], ['scales'], { axis: 0 }),
        makeNode('Resize', ['x', '', 'scales'], ['y'], { mode: 'linear' }),
      ],
      inputs: [makeValueInfo('x', ['N', 2, 3, 4])],
      outputs: [makeValueInfo('y', undefined)],
      opset: 17,
    });
    await expectVjpMatchesFd(resize, { x: randomTensor(uniform(3), [2, 2, 3, 4]) });
    const pad = makeModel({
      nodes: [...padChain, makeNode('Pad', ['x', 'pads'], ['y'])],
      inputs: [makeValueInfo('x', ['N', 2, 3, 4])],
      outputs: [makeValueInfo('y', undefined)],
      opset: 13,
    });
    await expectVjpMatchesFd(pad, { x: randomTensor(uniform(4), [2, 2, 3, 4]) });
  });
});
