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
} from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, randomTensor, uniform } from './harness.js';

describe('folding constant subgraphs for rules that need values at build time', () => {
  const model = makeModel({
    nodes: [
      makeNode('Constant', [], ['a'], { value: floatTensor('va', [2], [1, 1]) }),
      makeNode('Constant', [], ['b'], { value_floats: { value: [2, 2.5], kind: 'floats' } }),
      makeNode('Concat', ['a', 'b'], ['ab'], { axis: 0 }),
      makeNode('Cast', ['ab'], ['abInt'], { to: DataType.INT64 }),
      makeNode('Unsqueeze', ['abInt', 'zero'], ['row']),
      makeNode('Identity', ['row'], ['same']),
      makeNode('Concat', ['row', 'row'], ['grid'], { axis: 1 }),
      makeNode('Shape', ['x'], ['shape']),
      makeNode('Concat', ['shape', 'k'], ['dynamic'], { axis: 0 }),
      makeNode('Add', ['x', 'x'], ['y']),
    ],
    inputs: [makeValueInfo('x', ['N', 2])],
    outputs: [makeValueInfo('y', ['N', 2])],
    initializers: [int64Tensor('zero', [1], [0]), int64Tensor('k', [1], [3])],
  });
  const index = new GraphIndex(model);
  it('folds Constant, Concat along axis 0, Cast (truncating to integers), Unsqueeze, Identity', () => {
    expect(foldConstant(index, 'ab')?.values).toEqual([1, 1, 2, 2.5]);
    expect(foldConstant(index, 'abInt')?.values).toEqual([1, 1, 2, 2]);
    expect(foldConstant(index, 'same')?.values).toEqual([1, 1, 2, 2]);
    expect(foldConstant(index, 'k')).toEqual({ values: [3], dims: [1] });
  });
  it('leaves alone what depends on the input, and Concat along another axis of a 2-D tensor', () => {
    expect(foldConstant(index, 'dynamic')).toBeUndefined();
    expect(foldConstant(index, 'y')).toBeUndefined();
    expect(foldConstant(index, 'grid')).toBeUndefined();
  });

  it('Resize with scales = Concat(Constant, Constant) (PyTorch without constant folding) differentiates', async () => {
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
  });
});
