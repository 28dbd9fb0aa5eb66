/**
 * Appending a VJP graph to the model it was built from: every tensor of the VJP graph gets a prefix so the
 * two never collide, except the weights they share (same initializer name) and the inputs the caller binds
 * (the model input, or a derived batch, and the seed computed in the graph).
 */
import { UnsupportedError } from '../errors.js';
import type { VjpGraph } from '../autodiff/index.js';
import type { ModelProto, NodeProto } from '../onnx/proto.js';

export interface VjpBinding {
  /** VJP-graph input name → tensor of the combined graph that feeds it. */
  inputs: Record<string, string>;
  prefix: string;
}

export interface AppendedVjp {
  /** The output's value and the gradients, as named in the combined graph. */
  output: string;
  grads: string[];
}

export function appendVjp(target: ModelProto, vjp: VjpGraph, binding: VjpBinding): AppendedVjp {
  const graph = target.graph!;
  const vjpGraph = vjp.model.graph!;
  const shared = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const rename = (name: string): string => {
    if (name === '') return name;
    if (name in binding.inputs) return binding.inputs[name];
    if (shared.has(name)) return name;
    return `${binding.prefix}${name}`;
  };
  for (const input of vjpGraph.input ?? []) {
    const name = input.name ?? '';
    if (!(name in binding.inputs) && !shared.has(name)) {
      throw new UnsupportedError(
        'UNSUPPORTED_MODEL',
        `the gradient graph needs input '${name}' that nothing feeds`,
      );
    }
  }
  for (const init of vjpGraph.initializer ?? []) {
    if (shared.has(init.name ?? '')) continue;
    graph.initializer!.push({ ...init, name: rename(init.name ?? '') });
  }
  for (const node of vjpGraph.node ?? []) {
    if ((node.attribute ?? []).some((a) => a.g || (a.graphs ?? []).length > 0)) {
      throw new UnsupportedError(
        'UNSUPPORTED_OP',
        `cannot export a gradient through ${node.opType} subgraphs`,
      );
    }
    const copy: NodeProto = {
      ...node,
      name: node.name ? `${binding.prefix}${node.name}` : node.name,
      input: (node.input ?? []).map(rename),
      output: (node.output ?? []).map(rename),
    };
    graph.node!.push(copy);
  }
  return { output: rename(vjp.outputName), grads: vjp.gradNames.map(rename) };
}
