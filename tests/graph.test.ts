import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { LayerError, ModelError, UnsupportedError } from '../src/errors.js';
import {
  addOutputs,
  constantTensors,
  consumersOf,
  cutAt,
  downstreamOf,
  valueDownstreamOf,
  feedInputs,
  findInitializer,
  producerOf,
  requiredNodes,
  selectOutputs,
  tensorNames,
  topologicalNodes,
} from '../src/onnx/graph.js';
import { encodeModel, makeModel, makeNode, makeValueInfo, type ModelProto } from '../src/onnx/proto.js';
import { cnnModel, seededValues, skipModel, timeMajorModel } from './helpers/onnx-models.js';
import { placeAlong, sliceAlong } from '../src/onnx/session.js';

function outputsOf(model: ModelProto): string[] {
  return (model.graph?.output ?? []).map((o) => o.name ?? '');
}
function nodeNames(model: ModelProto): string[] {
  return (model.graph?.node ?? []).map((n) => n.name ?? '');
}

async function runModel(
  model: ModelProto,
  feeds: Record<string, Float32Array>,
  dims: Record<string, number[]>,
) {
  const session = await ort.InferenceSession.create(encodeModel(model));
  const tensors: Record<string, ort.Tensor> = {};
  for (const [name, data] of Object.entries(feeds))
    tensors[name] = new ort.Tensor('float32', data, dims[name]);
  const out = await session.run(tensors);
  await session.release();
  return out;
}

describe('graph queries', () => {
  it('sorts nodes topologically even when stored in reverse', () => {
    const graph = cnnModel({ reverseNodes: true }).graph!;
    const order = topologicalNodes(graph).map((n) => n.name);
    expect(order).toEqual(['Conv_0', 'Relu_1', 'GAP_2', 'Flatten_3', 'Gemm_4', 'Softmax_5']);
    // Every node's inputs are produced before it.
    const seen = new Set(['x', ...(graph.initializer ?? []).map((t) => t.name)]);
    for (const node of topologicalNodes(graph)) {
      for (const input of node.input ?? []) expect(seen.has(input)).toBe(true);
      for (const output of node.output ?? []) seen.add(output);
    }
  });

  it('rejects a cycle with a typed error', () => {
    const model = makeModel({
      nodes: [makeNode('Relu', ['q'], ['p'], {}, 'n1'), makeNode('Relu', ['p'], ['q'], {}, 'n2')],
      inputs: [makeValueInfo('x', [1])],
      outputs: [makeValueInfo('p', [1])],
    });
    expect(() => topologicalNodes(model.graph!)).toThrow(ModelError);
  });

  it('finds producers, consumers, initializers and the inputs to feed', () => {
    const graph = skipModel().graph!;
    expect(producerOf(graph, 'd')?.name).toBe('add_d');
    expect(producerOf(graph, 'x')).toBeUndefined();
    expect(consumersOf(graph, 'a').map((n) => n.name)).toEqual(['relu_b', 'add_d']);
    expect(findInitializer(graph, 'w2')?.dims).toEqual([2, 2, 1, 1]);
    expect(findInitializer(graph, 'nope')).toBeUndefined();
    expect(tensorNames(graph)).toEqual(['a', 'b', 'c', 'd', 'e', 'p', 'y']);
    // Old exporters list initializers among the inputs; those are not fed.
    const old = skipModel();
    old.graph!.input!.push(makeValueInfo('w1', [2, 2, 1, 1]));
    expect(feedInputs(old.graph!).map((v) => v.name)).toEqual(['x']);
  });

  it('computes the nodes needed for outputs and what depends on a tensor', () => {
    const graph = skipModel().graph!;
    const names = (set: Set<number>) => [...set].map((i) => graph.node![i].name).sort();
    expect(names(requiredNodes(graph, ['b']))).toEqual(['conv_a', 'relu_b']);
    expect(names(requiredNodes(graph, ['d'], new Set(['b'])))).toEqual(['add_d', 'conv_a', 'conv_c']);
    expect([...downstreamOf(graph, ['c'])].sort()).toEqual(['c', 'd', 'e', 'p', 'y']);
  });

  it('follows values, not shapes, when asked what depends on the input values', () => {
    const graph = timeMajorModel().graph!;
    expect(downstreamOf(graph, ['x']).has('state')).toBe(true);
    const values = valueDownstreamOf(graph, ['x']);
    expect(values.has('state')).toBe(false);
    expect(values.has('tm_shape')).toBe(false);
    expect([...values].filter((n) => n !== 'x').sort()).toEqual(['back', 'mixed', 'shifted', 'tm', 'y']);
  });

  it('tells constant tensors (weights folded through nodes) from input-dependent ones', () => {
    const graph = cnnModel({ flatten: 'shape-chain' }).graph!;
    const constant = constantTensors(graph);
    expect(constant.has('zero')).toBe(true);
    expect(constant.has('conv.W')).toBe(true);
    // Shape of an activation depends on the input (its batch size).
    expect(constant.has('gap_shape')).toBe(false);
    expect(constant.has('relu1')).toBe(false);
  });
});

describe('graph edits', () => {
  const x = seededValues(2 * 16, 3);

  it('exposes extra outputs that ORT computes, without touching the original', async () => {
    const model = cnnModel();
    const extended = addOutputs(model, ['relu1', 'prob', 'gap']);
    expect(outputsOf(extended)).toEqual(['prob', 'relu1', 'gap']);
    expect(outputsOf(model)).toEqual(['prob']);
    const out = await runModel(extended, { x }, { x: [2, 1, 4, 4] });
    expect(out.relu1.dims).toEqual([2, 2, 4, 4]);
    expect(out.gap.dims).toEqual([2, 2, 1, 1]);
    // GAP of the exposed relu equals the exposed gap: the tensors are the real intermediates.
    const relu = out.relu1.data as Float32Array;
    const gap = out.gap.data as Float32Array;
    for (let c = 0; c < 4; c++) {
      const mean = relu.slice(c * 16, (c + 1) * 16).reduce((a, b) => a + b, 0) / 16;
      expect(gap[c]).toBeCloseTo(mean, 5);
    }
  });

  it('prunes to the nodes an output set needs', async () => {
    const model = cnnModel({ flatten: 'shape-chain' });
    const pruned = selectOutputs(model, ['relu1']);
    expect(nodeNames(pruned)).toEqual(['Conv_0', 'Relu_1']);
    expect(outputsOf(pruned)).toEqual(['relu1']);
    expect((pruned.graph!.initializer ?? []).map((t) => t.name).sort()).toEqual(['conv.B', 'conv.W']);
    const out = await runModel(pruned, { x }, { x: [2, 1, 4, 4] });
    expect(Object.keys(out)).toEqual(['relu1']);
  });

  it('cuts the graph at a layer: the tail reproduces the full model', async () => {
    const model = cnnModel({ flatten: 'shape-chain' });
    const full = await runModel(addOutputs(model, ['relu1']), { x }, { x: [2, 1, 4, 4] });
    const tail = cutAt(model, 'relu1', ['prob'], [-1, 2, 4, 4]);
    expect((tail.graph!.input ?? []).map((v) => v.name)).toEqual(['relu1']);
    expect(nodeNames(tail)).not.toContain('Conv_0');
    const out = await runModel(tail, { relu1: full.relu1.data as Float32Array }, { relu1: [2, 2, 4, 4] });
    expect(Array.from(out.prob.data as Float32Array)).toEqual(Array.from(full.prob.data as Float32Array));
  });

  it('refuses to cut inside a skip connection and names the tensor it would miss', () => {
    const model = skipModel();
    expect(() => cutAt(model, 'b', ['y'])).toThrow(UnsupportedError);
    expect(() => cutAt(model, 'b', ['y'])).toThrow(/'a'/);
    expect(() => cutAt(model, 'c', ['y'])).toThrow(/reads 'a'/);
    // After the Add every path goes through 'd'.
    expect(nodeNames(cutAt(model, 'd', ['y']))).toEqual(['relu_e', 'gap_p', 'flatten_y']);
    // The input itself is a valid cut point.
    expect(nodeNames(cutAt(model, 'x', ['y']))).toHaveLength(7);
  });

  it('refuses unknown tensors and outputs that do not depend on the layer', () => {
    const model = skipModel();
    expect(() => cutAt(model, 'zz', ['y'])).toThrow(LayerError);
    expect(() => cutAt(model, 'd', ['b'])).toThrow(/does not depend/);
  });
});

describe('batch slicing along an axis', () => {
  it('slices and places back along axes 0, 1 and 2', () => {
    const dims = [3, 4, 5];
    const t = { data: Float32Array.from({ length: 60 }, (_, i) => i), dims };
    for (const axis of [0, 1, 2]) {
      const rebuilt = { data: new Float32Array(60), dims };
      for (let start = 0; start < dims[axis]; start += 2) {
        const count = Math.min(2, dims[axis] - start);
        const part = sliceAlong(t, axis, start, count);
        expect(part.dims[axis]).toBe(count);
        // Element [a, b, c] of the part is element [.., start + .., ..] of the whole.
        const index = [0, 0, 0];
        index[axis] = count - 1;
        const whole = [...index];
        whole[axis] += start;
        const at = (d: number[], i: number[]) => (i[0] * d[1] + i[1]) * d[2] + i[2];
        expect(part.data[at(part.dims, index)]).toBe(t.data[at(dims, whole)]);
        placeAlong(rebuilt, part, axis, start);
      }
      expect(Array.from(rebuilt.data)).toEqual(Array.from(t.data));
    }
  });
});
