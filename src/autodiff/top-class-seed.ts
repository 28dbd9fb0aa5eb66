/**
 * A VJP graph seeded inside itself with each item's top class: the one-hot of the first maximum (ArgMax) of
 * the [N, C] output the graph recomputes anyway. One run then both finds the predicted class and takes its
 * gradient, where a separate forward pass would otherwise resolve the class first.
 */
import { DataType, int64Tensor, makeNode } from '../onnx/proto.js';
import type { VjpGraph } from './index.js';

/**
 * Rewrites `built` (the VJP of `output`, [N, classes]) so that its seed input is computed from `output`;
 * the graph then takes the model inputs only.
 */
export function seedTopClass(built: VjpGraph, output: string, classes: number): VjpGraph {
  const graph = built.model.graph!;
  const seed = built.seedName;
  const top = `${seed}/top_class`;
  const iota = `${seed}/class_indices`;
  const hit = `${seed}/is_top`;
  graph.input = (graph.input ?? []).filter((vi) => vi.name !== seed);
  graph.initializer = [
    ...(graph.initializer ?? []),
    int64Tensor(
      iota,
      [1, classes],
      Array.from({ length: classes }, (_, i) => i),
    ),
  ];
  // ONNX Runtime's ArgMax keeps the first maximum, as the class targets do (argmaxRows).
  const nodes = [
    makeNode('ArgMax', [output], [top], { axis: 1, keepdims: 1 }),
    makeNode('Equal', [top, iota], [hit]),
    makeNode('Cast', [hit], [seed], { to: DataType.FLOAT }),
  ];
  const all = graph.node ?? [];
  const producer = all.findIndex((n) => (n.output ?? []).includes(output));
  graph.node = [...all.slice(0, producer + 1), ...nodes, ...all.slice(producer + 1)];
  return built;
}
