/**
 * Scan, Loop and If unrolled before the backward pass (src/autodiff/unroll.ts), checked against finite
 * differences: a reversed two-state Scan over a batch-free axis, Loops with trip counts folded from shapes,
 * conditions that stop them, a run-time trip count bounded by the probe, If with constant and run-time
 * conditions; and the refusals of what cannot be unrolled.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildVjpGraph, differentiableTensors } from '../../src/autodiff/index.js';
import { UnsupportedError } from '../../src/errors.js';
import {
  AttrType,
  DataType,
  floatTensor,
  int64Tensor,
  makeModel,
  makeNode,
  makeValueInfo,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import { probeCaseShapes as probeWith } from './conformance.js';
import { expectVjpMatchesFd, normals, probeShapes, randomTensor, runVjp, uniform } from './harness.js';

type Graph = NonNullable<ModelProto['graph']>;

function body(
  nodes: NodeProto[],
  inputs: ValueInfoProto[],
  outputs: ValueInfoProto[],
  inits: TensorProto[] = [],
): Graph {
  return makeModel({ nodes, inputs, outputs, initializers: inits, opset: 17 }).graph!;
}

function withGraphs(node: NodeProto, graphs: Record<string, Graph>): NodeProto {
  for (const [name, g] of Object.entries(graphs)) node.attribute!.push({ name, type: AttrType.GRAPH, g });
  return node;
}

const rand = uniform(31);
const weight = (name: string, dims: number[]): TensorProto =>
  floatTensor(
    name,
    dims,
    normals(rand, dims[0] * dims[1]).map((v) => v * 0.6),
  );
const W = weight('W', [2, 3]);
const U = weight('U', [3, 3]);
const bool = (name: string): ValueInfoProto => makeValueInfo(name, [], DataType.BOOL);
const int = (name: string): ValueInfoProto => makeValueInfo(name, [], DataType.INT64);

/** h' = tanh(x_t·W + h·U), c' = c + h'·h' (two states); each step also emits h' and c'. */
function recurrentBody(xIn: string, prefix = ''): NodeProto[] {
  return [
    makeNode('MatMul', [xIn, 'W'], [`${prefix}xw`]),
    makeNode('MatMul', [`${prefix}h_in`, 'U'], [`${prefix}hu`]),
    makeNode('Add', [`${prefix}xw`, `${prefix}hu`], [`${prefix}pre`]),
    makeNode('Tanh', [`${prefix}pre`], [`${prefix}h_out`]),
    makeNode('Mul', [`${prefix}h_out`, `${prefix}h_out`], [`${prefix}sq`]),
    makeNode('Add', [`${prefix}c_in`, `${prefix}sq`], [`${prefix}c_out`]),
    makeNode('Identity', [`${prefix}h_out`], [`${prefix}h_seq`]),
    makeNode('Identity', [`${prefix}c_out`], [`${prefix}c_seq`]),
  ];
}

/** Scan over axis 1 of x [N, 4, 2], read in reverse; h stacked on axis 1 reversed, c on axis 0 forward. */
function scanModel(): ModelProto {
  const scanBody = body(
    recurrentBody('x_t'),
    [makeValueInfo('h_in', undefined), makeValueInfo('c_in', undefined), makeValueInfo('x_t', undefined)],
    ['h_out', 'c_out', 'h_seq', 'c_seq'].map((n) => makeValueInfo(n, undefined)),
  );
  const scan = withGraphs(
    makeNode(
      'Scan',
      ['h0', 'c0', 'x'],
      ['h', 'c', 'hs', 'cs'],
      {
        num_scan_inputs: 1,
        scan_input_axes: [1],
        scan_input_directions: [1],
        scan_output_axes: [1, 0],
        scan_output_directions: [1, 0],
      },
      'rnn',
    ),
    { body: scanBody },
  );
  return makeModel({
    nodes: [scan],
    inputs: [makeValueInfo('h0', ['N', 3]), makeValueInfo('c0', ['N', 3]), makeValueInfo('x', ['N', 4, 2])],
    outputs: ['h', 'c', 'hs', 'cs'].map((n) => makeValueInfo(n, undefined)),
    initializers: [W, U],
    opset: 17,
  });
}

/**
 * A Loop over the time axis of x [N, T, 2] read from the outer scope: trip count Gather(Shape(x), 1) (folds
 * from the probed shapes), condition true, or the body's own `cond_out` when given.
 */
function loopModel(
  parts: { condOut?: NodeProto[]; trip?: NodeProto[]; tripInput?: boolean; noScanOutput?: boolean } = {},
): ModelProto {
  const outputs = parts.noScanOutput ? ['h_out', 'c_out'] : ['h_out', 'c_out', 'h_seq'];
  const loopBody = body(
    [
      makeNode('Gather', ['x', 'i'], ['x_t'], { axis: 1 }),
      ...recurrentBody('x_t'),
      ...(parts.condOut ?? [makeNode('Identity', ['cond_in'], ['cond_out'])]),
    ],
    [int('i'), bool('cond_in'), makeValueInfo('h_in', undefined), makeValueInfo('c_in', undefined)],
    [bool('cond_out'), ...outputs.map((n) => makeValueInfo(n, undefined))],
  );
  const trip = parts.trip ?? [
    makeNode('Shape', ['x'], ['x_shape']),
    makeNode('Constant', [], ['one'], { value: int64Tensor('one_v', [], [1]) }),
    makeNode('Gather', ['x_shape', 'one'], ['trip'], { axis: 0 }),
  ];
  const results = parts.noScanOutput ? ['h', 'c'] : ['h', 'c', 'hs'];
  const loop = withGraphs(makeNode('Loop', ['trip', 'go', 'h0', 'c0'], results, {}, 'loop'), {
    body: loopBody,
  });
  return makeModel({
    nodes: [
      ...(parts.tripInput ? [] : trip),
      makeNode('Constant', [], ['go'], {
        value: { name: 'go_v', dataType: DataType.BOOL, dims: [], int32Data: [1] },
      }),
      loop,
    ],
    inputs: [
      makeValueInfo('h0', ['N', 3]),
      makeValueInfo('c0', ['N', 3]),
      makeValueInfo('x', ['N', 4, 2]),
      ...(parts.tripInput ? [int('trip')] : []),
    ],
    outputs: results.map((n) => makeValueInfo(n, undefined)),
    initializers: [W, U],
    opset: 17,
  });
}

const states = (batch: number): Record<string, TensorData> => ({
  h0: randomTensor(rand, [batch, 3]),
  c0: randomTensor(rand, [batch, 3]),
  x: randomTensor(rand, [batch, 4, 2]),
});

const nodeTypes = (model: ModelProto): string[] => (model.graph!.node ?? []).map((n) => n.opType ?? '');

describe('Scan is unrolled', () => {
  it('reversed input, two states, outputs stacked on two axes in both directions, any batch size', async () => {
    const model = scanModel();
    const inputs = states(3);
    for (const output of ['h', 'c', 'hs', 'cs']) {
      await expectVjpMatchesFd(model, inputs, { output, eps: 1e-3, wrt: ['h0', 'c0', 'x'] });
    }
    const shapes = await probeShapes(model);
    const vjp = buildVjpGraph(model, { output: 'cs', wrt: ['x'], rule: 'gradient', shapes });
    expect(nodeTypes(vjp.model)).not.toContain('Scan');
  }, 60_000);

  it('a body with its own weights and a nested If (one per step, run-time condition)', async () => {
    const V = weight('V', [2, 3]);
    const thenBranch = body(
      [makeNode('Tanh', ['pre'], ['then_h'])],
      [],
      [makeValueInfo('then_h', undefined)],
    );
    const elseBranch = body(
      [makeNode('Sigmoid', ['pre'], ['s']), makeNode('Mul', ['s', 'pre'], ['else_h'])],
      [],
      [makeValueInfo('else_h', undefined)],
    );
    const scanBody = body(
      [
        makeNode('MatMul', ['x_t', 'V'], ['xv']),
        makeNode('Add', ['xv', 'h_in'], ['pre']),
        makeNode('ReduceSum', ['x_t'], ['total'], { keepdims: 0 }),
        makeNode('Constant', [], ['zero'], { value: floatTensor('zero_v', [], [0]) }),
        makeNode('Greater', ['total', 'zero'], ['positive']),
        withGraphs(makeNode('If', ['positive'], ['h_out'], {}, 'step_choice'), {
          then_branch: thenBranch,
          else_branch: elseBranch,
        }),
        makeNode('Identity', ['h_out'], ['h_seq']),
      ],
      [makeValueInfo('h_in', undefined), makeValueInfo('x_t', undefined)],
      [makeValueInfo('h_out', undefined), makeValueInfo('h_seq', undefined)],
      [V],
    );
    const model = makeModel({
      nodes: [
        withGraphs(makeNode('Scan', ['h0', 'x'], ['h', 'hs'], { num_scan_inputs: 1 }, 'scan'), {
          body: scanBody,
        }),
      ],
      inputs: [makeValueInfo('h0', [2, 3]), makeValueInfo('x', [5, 2, 2])],
      outputs: ['h', 'hs'].map((n) => makeValueInfo(n, undefined)),
      opset: 17,
    });
    // Steps whose rows sum far from 0 on either side: each takes one branch, and ε does not flip it.
    const x = randomTensor(rand, [5, 2, 2]);
    x.data = x.data.map(
      (v, i) => Math.abs(v) * (Math.floor(i / 4) % 2 ? -1 : 1) + (Math.floor(i / 4) % 2 ? -0.2 : 0.2),
    );
    const inputs = { h0: randomTensor(rand, [2, 3]), x };
    await expectVjpMatchesFd(model, inputs, { output: 'hs', eps: 1e-3 });
    const shapes = await probeShapes(model);
    const vjp = buildVjpGraph(model, { output: 'h', wrt: ['x'], rule: 'gradient', shapes });
    expect(nodeTypes(vjp.model).filter((t) => t === 'Scan' || t === 'If')).toEqual([]);
    expect(nodeTypes(vjp.model).filter((t) => t === 'Sigmoid')).toHaveLength(5);
    const weights = (vjp.model.graph!.initializer ?? []).filter(
      (t) => (t.dims ?? []).map(Number).join() === '2,3',
    );
    expect(weights).toHaveLength(1);
  }, 60_000);

  it('a scan axis that varies with the batch is refused by name', () => {
    const model = scanModel();
    const shapes = {
      h0: [-1, 3],
      c0: [-1, 3],
      x: [2, -1, 2],
      h: [-1, 3],
      c: [-1, 3],
      hs: [-1, -1, 3],
      cs: [-1, -1, 3],
    };
    const build = () => buildVjpGraph(model, { output: 'h', wrt: ['x'], rule: 'gradient', shapes });
    expect(build).toThrow(UnsupportedError);
    expect(build).toThrow(
      /Scan node 'rnn' \(the scan length is not fixed by the probed shapes.*\) on the path x → h/,
    );
  });
});

describe('Loop is unrolled', () => {
  it('trip count folded from the probed shapes (the time axis), condition constant true', async () => {
    const model = loopModel();
    const inputs = states(2);
    for (const output of ['h', 'c', 'hs']) {
      await expectVjpMatchesFd(model, inputs, { output, eps: 1e-3, wrt: ['h0', 'c0', 'x'] });
    }
    const shapes = await probeShapes(model);
    const vjp = buildVjpGraph(model, { output: 'h', wrt: ['x'], rule: 'gradient', shapes });
    // Four plain copies of the body: no gating Where.
    expect(nodeTypes(vjp.model)).not.toContain('Loop');
    expect(nodeTypes(vjp.model).filter((t) => t === 'Tanh')).toHaveLength(4);
    expect(nodeTypes(vjp.model)).not.toContain('Where');
  }, 60_000);

  it('a tensor only the body reads (outer scope) is on the path: differentiable, typed by the body', () => {
    const model = loopModel();
    const byName = Object.fromEntries(differentiableTensors(model, 'h').map((d) => [d.name, d]));
    // x reaches the Loop only through the body's Gather; the Loop's outputs are floats, as the body says.
    expect(byName.x).toEqual({ name: 'x', differentiable: true });
    expect(byName.hs).toEqual({ name: 'hs', differentiable: false, reason: "does not influence 'h'" });
    expect(byName.trip.reason).toBe('integer tensor');
  });

  it('a condition computed from the iteration number stops it (i < 1: two iterations of four)', async () => {
    const model = loopModel({
      condOut: [
        makeNode('Constant', [], ['limit'], { value: int64Tensor('limit_v', [], [1]) }),
        makeNode('Less', ['i', 'limit'], ['cond_out']),
      ],
    });
    const shapes = await probeShapes(model);
    expect(shapes.hs).toEqual([2, -1, 3]);
    await expectVjpMatchesFd(model, states(2), { output: 'hs', eps: 1e-3, wrt: ['h0', 'x'] });
    await expectVjpMatchesFd(model, states(2), { output: 'c', eps: 1e-3, wrt: ['c0', 'x'] });
  }, 60_000);

  it('a run-time trip count: unrolled to the probed count, a run of another count fails by name', async () => {
    const model = loopModel({ tripInput: true });
    const fixed = { trip: new ort.Tensor('int64', BigInt64Array.from([3n]), []) };
    const inputs = states(2);
    const shapes = await probeCaseShapes(model, inputs, fixed);
    expect(shapes.hs).toEqual([3, 2, 3]);
    for (const output of ['h', 'hs']) {
      await expectVjpMatchesFd(model, inputs, { output, eps: 1e-3, wrt: ['h0', 'x'], shapes, fixed });
    }
    // Another count than the probed one fails by name, fewer as more: past its count a body may read out of
    // range, and the unrolled graph would be the derivative of another function.
    const seed = { data: new Float32Array(6).fill(1), dims: [2, 3] };
    for (const count of [2n, 4n]) {
      const other = { trip: new ort.Tensor('int64', BigInt64Array.from([count]), []) };
      await expect(
        runVjp(model, inputs, seed, { output: 'h', wrt: ['x'], shapes, fixed: other }),
      ).rejects.toThrow(/Loop 'loop' makes another number of iterations than the 3 unrolled/);
    }
  }, 60_000);

  it('more than 4 096 iterations are refused by name', async () => {
    const model = loopModel({
      trip: [makeNode('Constant', [], ['trip'], { value: int64Tensor('trip_v', [], [5000]) })],
      noScanOutput: true,
    });
    // The body reads x[:, i]: a time axis of 5 000 steps.
    model.graph!.input![2] = makeValueInfo('x', ['N', 5000, 2]);
    const shapes = await probeShapes(model);
    const build = () => buildVjpGraph(model, { output: 'h', wrt: ['x'], rule: 'gradient', shapes });
    expect(build).toThrow(/Loop node 'loop' \(5000 iterations: more than 4096\)/);
  }, 60_000);

  it('a trip count that depends on the data, with no scan output to bound it, is refused by name', async () => {
    const model = loopModel({
      trip: [
        makeNode('ReduceSum', ['x'], ['total'], { keepdims: 0 }),
        makeNode('Abs', ['total'], ['size']),
        makeNode('Cast', ['size'], ['trip'], { to: DataType.INT64 }),
      ],
      // No scan output: nothing bounds the count.
      noScanOutput: true,
    });
    const shapes = await probeShapes(model);
    const build = () => buildVjpGraph(model, { output: 'h', wrt: ['h0'], rule: 'gradient', shapes });
    expect(build).toThrow(UnsupportedError);
    expect(build).toThrow(
      /Loop node 'loop' \(the iteration count depends on run-time values.*cannot be unrolled/,
    );
  }, 60_000);
});

/** If(cond) then tanh(x)·2 else sigmoid(x)·x, on x [N, 4]; `cond` from `condNodes`. */
function ifModel(condNodes: NodeProto[], elseShape?: NodeProto[]): ModelProto {
  const thenBranch = body(
    [makeNode('Tanh', ['x'], ['t']), makeNode('Add', ['t', 't'], ['then_y'])],
    [],
    [makeValueInfo('then_y', undefined)],
  );
  const elseBranch = body(
    elseShape ?? [makeNode('Sigmoid', ['x'], ['s']), makeNode('Mul', ['s', 'x'], ['else_y'])],
    [],
    [makeValueInfo('else_y', undefined)],
  );
  const branch = withGraphs(makeNode('If', ['cond'], ['y'], {}, 'choice'), {
    then_branch: thenBranch,
    else_branch: elseBranch,
  });
  return makeModel({
    nodes: [...condNodes, branch],
    inputs: [makeValueInfo('x', ['N', 4])],
    outputs: [makeValueInfo('y', undefined)],
    opset: 17,
  });
}

const runtimeCondition = [
  makeNode('ReduceSum', ['x'], ['total'], { keepdims: 0 }),
  makeNode('Constant', [], ['zero'], { value: floatTensor('zero_v', [], [0]) }),
  makeNode('Greater', ['total', 'zero'], ['cond']),
];

describe('If is unrolled', () => {
  it('a condition that folds from the probed shapes: the chosen branch only', async () => {
    for (const [limit, kept] of [
      [3, 'Tanh'],
      [5, 'Sigmoid'],
    ] as const) {
      const model = ifModel([
        makeNode('Shape', ['x'], ['shape']),
        makeNode('Constant', [], ['one'], { value: int64Tensor('one_v', [], [1]) }),
        makeNode('Gather', ['shape', 'one'], ['width'], { axis: 0 }),
        makeNode('Constant', [], ['limit'], { value: int64Tensor('limit_v', [], [limit]) }),
        makeNode('Greater', ['width', 'limit'], ['cond']),
      ]);
      await expectVjpMatchesFd(model, { x: randomTensor(rand, [3, 4]) }, { eps: 1e-3 });
      const vjp = buildVjpGraph(model, {
        output: 'y',
        wrt: ['x'],
        rule: 'gradient',
        shapes: await probeShapes(model),
      });
      const types = nodeTypes(vjp.model);
      expect(types).toContain(kept);
      expect(types).not.toContain(kept === 'Tanh' ? 'Sigmoid' : 'Tanh');
      expect(types).not.toContain('If');
    }
  }, 60_000);

  it('a run-time condition: both branches, the gradient routed by Where (inputs on either side)', async () => {
    const model = ifModel(runtimeCondition);
    for (const sign of [1, -1]) {
      const x = randomTensor(rand, [3, 4]);
      x.data = x.data.map((v) => sign * (Math.abs(v) + 0.1));
      await expectVjpMatchesFd(model, { x }, { eps: 1e-3 });
    }
  }, 60_000);

  it('a run-time condition with branches of different shapes is refused by name', async () => {
    const model = ifModel(runtimeCondition, [makeNode('ReduceSum', ['x'], ['else_y'], { keepdims: 1 })]);
    const shapes = await probeShapes(model);
    const build = () => buildVjpGraph(model, { output: 'y', wrt: ['x'], rule: 'gradient', shapes });
    expect(build).toThrow(UnsupportedError);
    expect(build).toThrow(
      /If node 'choice' \(the condition is a run-time value and the branches' output 0 shapes/,
    );
  }, 60_000);
});

/** Shapes from one run on the given inputs (a run-time trip count: random probe inputs cannot set it). */
function probeCaseShapes(
  model: ModelProto,
  floats: Record<string, TensorData>,
  fixed: Record<string, ort.Tensor>,
): Promise<Record<string, number[]>> {
  return probeWith({ name: 'loop', model, floats, fixed, floatOutputs: [] });
}
