import { describe, expect, it } from 'vitest';
import { buildVjpGraph } from '../../src/autodiff/index.js';
import { UnsupportedError } from '../../src/errors.js';
import { makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';

describe('ops refused on purpose say why', () => {
  it('Unique: moving a repeated value changes the output size, there is no derivative', () => {
    const model = makeModel({
      nodes: [makeNode('Unique', ['x'], ['u'], { sorted: 1 }, 'distinct'), makeNode('Exp', ['u'], ['y'])],
      inputs: [makeValueInfo('x', [6])],
      outputs: [makeValueInfo('y', undefined)],
      opset: 13,
    });
    const shapes = { x: [6], u: [4], y: [4] };
    const build = () => buildVjpGraph(model, { output: 'y', wrt: ['x'], rule: 'gradient', shapes });
    expect(build).toThrow(UnsupportedError);
    expect(build).toThrow(
      /Unique node 'distinct' \(moving a repeated value .*no derivative\) on the path x → u → y/,
    );
  });
});
