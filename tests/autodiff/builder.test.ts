import { describe, expect, it } from 'vitest';
import { buildVjpGraph, differentiableTensors } from '../../src/autodiff/index.js';
import { LayerError, UnsupportedError } from '../../src/errors.js';
import {
  floatTensor,
  int64Tensor,
  makeModel,
  makeNode,
  makeValueInfo,
  type ModelProto,
} from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, probeShapes, randomTensor, runVjp, uniform, wellSeparated } from './harness.js';

/** x → Relu → r → LpNormalization → h → Add(h, r) → y, plus an off-path branch x → LpNormalization → z. */
function modelWithLpNorm(onPath: boolean): ModelProto {
  const nodes = [makeNode('Relu', ['x'], ['r'], {}, 'relu1')];
  if (onPath) {
    nodes.push(makeNode('LpNormalization', ['r'], ['h'], { axis: 1 }, 'the_lp_norm'));
    nodes.push(makeNode('Add', ['h', 'r'], ['y'], {}, 'add1'));
  } else {
    nodes.push(makeNode('Exp', ['r'], ['y'], {}, 'exp1'));
  }
  nodes.push(makeNode('LpNormalization', ['x'], ['z'], { axis: 1 }, 'off_path_lp_norm'));
  return makeModel({
    nodes,
    inputs: [makeValueInfo('x', ['N', 4])],
    outputs: [makeValueInfo('y', ['N', 4]), makeValueInfo('z', ['N', 4])],
  });
}

describe('VJP graph builder', () => {
  it('names unknown tensors with a LayerError and suggestions', async () => {
    const model = modelWithLpNorm(false);
    const shapes = await probeShapes(model);
    const build = (output: string, wrt: string[]) => () =>
      buildVjpGraph(model, { output, wrt, rule: 'gradient', shapes });
    expect(build('yy', ['x'])).toThrow(LayerError);
    expect(build('yy', ['x'])).toThrow(/'yy'.*closest: y/);
    expect(build('y', ['input'])).toThrow(/wrt tensor 'input'/);
    try {
      build('y', ['nope'])();
    } catch (err) {
      expect((err as LayerError).code).toBe('UNKNOWN_TENSOR');
    }
  });

  it('refuses an op without a rule on the path, naming op, node and path', async () => {
    const model = modelWithLpNorm(true);
    const shapes = await probeShapes(model);
    let error: unknown;
    try {
      buildVjpGraph(model, { output: 'y', wrt: ['x'], rule: 'gradient', shapes });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UnsupportedError);
    const e = error as UnsupportedError;
    expect(e.code).toBe('UNSUPPORTED_OP');
    expect(e.message).toContain('LpNormalization');
    expect(e.message).toContain("'the_lp_norm'");
    expect(e.message).toContain('x → r → h → y');
    expect(e.message).not.toContain('\n');
  });

  it('ignores ops off the path: other branches and ops upstream of wrt', async () => {
    const rand = uniform(3);
    const offBranch = modelWithLpNorm(false);
    await expectVjpMatchesFd(offBranch, { x: wellSeparated(rand, [3, 4]) }, { output: 'y', eps: 1e-3 });
    // wrt = r, downstream of x: the LpNormalization between r and y is on the path, but one upstream of r is not.
    const upstream = makeModel({
      nodes: [
        makeNode('LpNormalization', ['x'], ['hx'], { axis: 1 }),
        makeNode('Add', ['x', 'hx'], ['r']),
        makeNode('Exp', ['r'], ['y']),
      ],
      inputs: [makeValueInfo('x', ['N', 4])],
      outputs: [makeValueInfo('y', ['N', 4])],
    });
    const x = randomTensor(rand, [2, 4]);
    const seed = randomTensor(rand, [2, 4]);
    const run = await runVjp(upstream, { x }, seed, { output: 'y', wrt: ['r'] });
    // dy/dr = exp(r) = y
    const expected = run.output.data.map((y, i) => y * seed.data[i]);
    expectClose(run.grads[0].data, expected, 1e-6);
  });

  it('leaves integer shape computations untouched (Shape → Gather → Concat → Reshape)', async () => {
    const model = makeModel({
      nodes: [
        makeNode('Relu', ['x'], ['r']),
        makeNode('Shape', ['r'], ['s']),
        makeNode('Gather', ['s', 'zero'], ['n'], { axis: 0 }),
        makeNode('Concat', ['n', 'minus1'], ['target'], { axis: 0 }),
        makeNode('Reshape', ['r', 'target'], ['flat']),
        makeNode('Mul', ['flat', 'flat'], ['y']),
      ],
      inputs: [makeValueInfo('x', ['N', 2, 3])],
      outputs: [makeValueInfo('y', ['N', 6])],
      initializers: [int64Tensor('zero', [1], [0]), int64Tensor('minus1', [1], [-1])],
    });
    await expectVjpMatchesFd(model, { x: wellSeparated(uniform(4), [3, 2, 3]) }, { eps: 1e-3 });
  });

  it('sums the gradients of a tensor used several times', async () => {
    // y = x·x + relu(x) + x, with x also feeding the Mul twice.
    const model = makeModel({
      nodes: [
        makeNode('Mul', ['x', 'x'], ['sq']),
        makeNode('Relu', ['x'], ['r']),
        makeNode('Add', ['sq', 'r'], ['s']),
        makeNode('Add', ['s', 'x'], ['y']),
      ],
      inputs: [makeValueInfo('x', ['N', 5])],
      outputs: [makeValueInfo('y', ['N', 5])],
    });
    const x = wellSeparated(uniform(5), [2, 5]);
    const seed = randomTensor(uniform(6), [2, 5]);
    const run = await runVjp(model, { x }, seed);
    const expected = x.data.map((v, i) => seed.data[i] * (2 * v + (v > 0 ? 1 : 0) + 1));
    expectClose(run.grads[0].data, expected, 1e-5);
    await expectVjpMatchesFd(model, { x }, { eps: 1e-3 });
  });

  it('differentiates w.r.t. intermediates, several wrt at once, the output itself, and unreachable tensors', async () => {
    const model = makeModel({
      nodes: [
        makeNode('Relu', ['x'], ['h']),
        makeNode('Exp', ['h'], ['y']),
        makeNode('Neg', ['x'], ['unused']),
      ],
      inputs: [makeValueInfo('x', ['N', 3])],
      outputs: [makeValueInfo('y', ['N', 3]), makeValueInfo('unused', ['N', 3])],
    });
    const x = wellSeparated(uniform(7), [4, 3]);
    const seed = randomTensor(uniform(8), [4, 3]);
    const run = await runVjp(model, { x }, seed, { output: 'y', wrt: ['x', 'h', 'y', 'unused'] });
    const h = x.data.map((v) => Math.max(v, 0));
    expectClose(
      run.grads[1].data,
      h.map((v, i) => Math.exp(v) * seed.data[i]),
      1e-5,
    );
    expectClose(
      run.grads[0].data,
      x.data.map((v, i) => (v > 0 ? Math.exp(v) * seed.data[i] : 0)),
      1e-5,
    );
    expectClose(run.grads[2].data, seed.data, 0);
    expect(run.grads[3].dims).toEqual([4, 3]);
    expect(Array.from(run.grads[3].data)).toEqual(new Array(12).fill(0));
    expect(new Set(run.graph.gradNames).size).toBe(4);
  });

  it('refuses weights and integer tensors as wrt', async () => {
    const model = makeModel({
      nodes: [makeNode('Mul', ['x', 'w'], ['y']), makeNode('Shape', ['x'], ['s'])],
      inputs: [makeValueInfo('x', ['N', 2])],
      outputs: [makeValueInfo('y', ['N', 2]), makeValueInfo('s', [2], 7)],
      initializers: [floatTensor('w', [2], [1, 2])],
    });
    const shapes = await probeShapes(model);
    expect(() => buildVjpGraph(model, { output: 'y', wrt: ['w'], rule: 'gradient', shapes })).toThrow(
      /weight/,
    );
    expect(() => buildVjpGraph(model, { output: 'y', wrt: ['s'], rule: 'gradient', shapes })).toThrow(
      /not a float/,
    );
    expect(() => buildVjpGraph(model, { output: 's', wrt: ['x'], rule: 'gradient', shapes })).toThrow(
      UnsupportedError,
    );
  });

  it('reports which tensors are differentiable for an output, and what blocks the others', () => {
    const model = makeModel({
      nodes: [
        makeNode('Relu', ['x'], ['a']),
        makeNode('LpNormalization', ['a'], ['b'], { axis: 1 }, 'blocker'),
        makeNode('Exp', ['x'], ['c']),
        makeNode('Add', ['b', 'c'], ['y']),
        makeNode('Shape', ['x'], ['s']),
        makeNode('Neg', ['x'], ['other']),
      ],
      inputs: [makeValueInfo('x', ['N', 3])],
      outputs: [makeValueInfo('y', ['N', 3]), makeValueInfo('s', [2], 7), makeValueInfo('other', ['N', 3])],
    });
    const byName = Object.fromEntries(differentiableTensors(model, 'y').map((d) => [d.name, d]));
    expect(byName.y.differentiable).toBe(true);
    expect(byName.b.differentiable).toBe(true);
    expect(byName.c.differentiable).toBe(true);
    expect(byName.a.differentiable).toBe(false);
    expect(byName.a.blockedBy).toEqual({ opType: 'LpNormalization', nodeName: 'blocker' });
    // x reaches y through Exp (fine) and through the LpNormalization (blocked): blocked.
    expect(byName.x.blockedBy?.opType).toBe('LpNormalization');
    expect(byName.s.reason).toBe('integer tensor');
    expect(byName.other.differentiable).toBe(false);
    expect(byName.other.reason).toMatch(/does not influence/);
    expect(() => differentiableTensors(model, 'nope')).toThrow(LayerError);
  });
});

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    expect(
      Math.abs(actual[i] - expected[i]),
      `element ${i}: ${actual[i]} vs ${expected[i]}`,
    ).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i])));
  }
}
