import { describe, expect, it } from 'vitest';
import { buildVjpGraph } from '../../src/autodiff/index.js';
import { UnsupportedError } from '../../src/errors.js';
import { AttrType, makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';

describe('ops refused on purpose say why', () => {
  it('Scan (a running sum over the rows of x): control flow, not unrolled', () => {
    const body = makeModel({
      nodes: [
        makeNode('Add', ['sum_in', 'next'], ['sum_out']),
        makeNode('Identity', ['sum_out'], ['scan_out']),
      ],
      inputs: [makeValueInfo('sum_in', [2]), makeValueInfo('next', [2])],
      outputs: [makeValueInfo('sum_out', [2]), makeValueInfo('scan_out', [2])],
      opset: 13,
    }).graph!;
    const scan = makeNode('Scan', ['initial', 'x'], ['y', 'z'], { num_scan_inputs: 1 }, 'running_sum');
    scan.attribute!.push({ name: 'body', type: AttrType.GRAPH, g: body });
    const model = makeModel({
      nodes: [scan],
      inputs: [makeValueInfo('initial', [2]), makeValueInfo('x', [3, 2])],
      outputs: [makeValueInfo('y', [2]), makeValueInfo('z', [3, 2])],
      opset: 13,
    });
    const shapes = { initial: [2], x: [3, 2], y: [2], z: [3, 2] };
    const build = () => buildVjpGraph(model, { output: 'z', wrt: ['x'], rule: 'gradient', shapes });
    expect(build).toThrow(UnsupportedError);
    expect(build).toThrow(/Scan node 'running_sum' \(control flow: .*not unrolled.*\) on the path x → z/);
  });
});
