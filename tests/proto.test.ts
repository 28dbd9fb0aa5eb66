import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import {
  decodeModel,
  encodeModel,
  floatTensor,
  makeModel,
  makeNode,
  makeValueInfo,
  decodeTensor,
  int64Tensor,
} from '../src/onnx/proto.js';
import { ModelError } from '../src/errors.js';

describe('onnx proto helpers', () => {
  it('builds a model ORT can run and round-trips tensors', async () => {
    const w = floatTensor('W', [3, 2], [1, 2, 3, 4, 5, 6]);
    const model = makeModel({
      nodes: [makeNode('MatMul', ['x', 'W'], ['y'])],
      inputs: [makeValueInfo('x', ['N', 3])],
      outputs: [makeValueInfo('y', ['N', 2])],
      initializers: [w],
    });
    const bytes = encodeModel(model);
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 1, 1]), [1, 3]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([9, 12]);
    const back = decodeModel(bytes);
    expect(Array.from(decodeTensor(back.graph!.initializer![0]).data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(decodeTensor(int64Tensor('i', [2], [-1, 7])).data).toEqual([-1, 7]);
  });

  it('rejects non-models with a typed error', () => {
    expect(() => decodeModel(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2]))).toThrow(ModelError);
    expect(() => decodeModel(new Uint8Array())).toThrow(/empty/);
    expect(() => decodeModel(new TextEncoder().encode('hello world, not a model'))).toThrow(ModelError);
  });
});
