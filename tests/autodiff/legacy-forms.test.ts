/**
 * Forms ops had before opset 11 (Clip bounds, Pad pads and Slice bounds as attributes). The VJP builder starts
 * at opset 11, so these rules are run directly on an opset-10 (Slice: 9) graph and checked element by element against
 * central differences of the forward model, which ONNX Runtime still runs.
 */
import { describe, expect, it } from 'vitest';
import { Emitter, NodeContext, type Rule } from '../../src/autodiff/context.js';
import { GraphIndex } from '../../src/autodiff/graph.js';
import { indexingRules } from '../../src/autodiff/rules/indexing.js';
import { padRules } from '../../src/autodiff/rules/pad.js';
import { rectifierRules } from '../../src/autodiff/rules/rectifiers.js';
import { UnsupportedError } from '../../src/errors.js';
import { makeModel, makeNode, makeValueInfo, type AttrMap } from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import { randomTensor, runFeeds, session, uniform, wellSeparated } from './harness.js';

async function check(op: string, rule: Rule, attrs: AttrMap, x: TensorData, opset = 10): Promise<void> {
  const forward = makeModel({
    nodes: [makeNode(op, ['x'], ['y'], attrs)],
    inputs: [makeValueInfo('x', x.dims)],
    outputs: [makeValueInfo('y', undefined)],
    opset,
  });
  const f = await session(forward);
  const y = (await runFeeds(f, { x })).y;
  const index = new GraphIndex(forward);
  const emitter = new Emitter(index, opset, 'gradient', { x: x.dims, y: y.dims });
  const node = index.nodes[0];
  const fail = (reason: string): UnsupportedError => new UnsupportedError('UNSUPPORTED_OP', reason);
  const ctx = new NodeContext(emitter, node, [true], () => [], fail);
  const [dX] = rule(node, ctx, ['dY']);
  const backward = makeModel({
    nodes: [...index.nodes, ...emitter.nodes],
    inputs: [makeValueInfo('x', x.dims), makeValueInfo('dY', y.dims)],
    outputs: [makeValueInfo(dX!, undefined)],
    initializers: emitter.initializers,
    opset,
  });
  const dY = randomTensor(uniform(5), y.dims);
  const b = await session(backward);
  const grad = (await runFeeds(b, { x, dY }))[dX!].data;
  await b.release();
  const eps = 1e-2;
  const value = async (shifted: Float32Array): Promise<number> => {
    const out = (await runFeeds(f, { x: { data: shifted, dims: x.dims } })).y.data;
    return out.reduce((s, v, i) => s + v * dY.data[i], 0);
  };
  for (let i = 0; i < x.data.length; i++) {
    const plus = Float32Array.from(x.data);
    const minus = Float32Array.from(x.data);
    plus[i] += eps;
    minus[i] -= eps;
    const fd = ((await value(plus)) - (await value(minus))) / (2 * eps);
    expect(grad[i], `${op} element ${i}`).toBeCloseTo(fd, 3);
  }
  await f.release();
}

const float = (value: number) => ({ value, kind: 'float' as const });

describe('pre-opset-11 attribute forms, rules run directly at opset 10', () => {
  it('Clip with min/max attributes: both, min only, none', async () => {
    const x = wellSeparated(uniform(1), [2, 12], 0.5);
    await check('Clip', rectifierRules.Clip, { min: float(0), max: float(6) }, x);
    await check('Clip', rectifierRules.Clip, { min: float(-1.5) }, x);
    await check('Clip', rectifierRules.Clip, {}, x);
  });

  it('Pad with a pads attribute, positive and negative', async () => {
    const x = randomTensor(uniform(2), [1, 2, 3, 4]);
    await check('Pad', padRules.Pad, { pads: [0, 0, 1, 2, 0, 1, 0, -1], value: float(0.5) }, x);
  });

  it('Slice with starts/ends/axes attributes (opset 9), a window and a clamped end', async () => {
    const x = randomTensor(uniform(3), [1, 3, 5]);
    await check('Slice', indexingRules.Slice, { starts: [1, -4], ends: [3, 1000], axes: [1, 2] }, x, 9);
    await check('Slice', indexingRules.Slice, { starts: [0, 0, 2], ends: [1, 2, 4] }, x, 9);
  });
});
