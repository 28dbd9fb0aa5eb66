import { describe, expect, it } from 'vitest';
import { DataType, makeModel, makeNode, makeValueInfo, type TensorProto } from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, forwardValue } from './harness.js';

function int32(name: string, value: number): TensorProto {
  return { name, dims: [], dataType: DataType.INT32, int32Data: [value] };
}

describe('MelWeightMatrix: piecewise constant in its edge frequencies', () => {
  const model = makeModel({
    nodes: [makeNode('MelWeightMatrix', ['bins', 'length', 'rate', 'low', 'high'], ['y'])],
    inputs: [makeValueInfo('low', []), makeValueInfo('high', [])],
    outputs: [makeValueInfo('y', undefined)],
    initializers: [int32('bins', 8), int32('length', 64), int32('rate', 8000)],
    opset: 17,
  });
  const at = (low: number, high: number) => ({
    low: { data: Float32Array.from([low]), dims: [] },
    high: { data: Float32Array.from([high]), dims: [] },
  });

  it('the edges move the matrix only at jumps: zero gradient, as finite differences between them', async () => {
    const report = await expectVjpMatchesFd(model, at(137.3, 3210.7), {
      elementwise: true,
      shapes: { low: [], high: [], y: [33, 8] },
    });
    expect(report.grads.map((g) => Array.from(g.data))).toEqual([[0], [0]]);
    // Not constant: other edges draw other triangles.
    const a = await forwardValue(model, at(137.3, 3210.7), 'y');
    const b = await forwardValue(model, at(400, 2500), 'y');
    expect(a.data.some((v, i) => v !== b.data[i])).toBe(true);
  });
});
