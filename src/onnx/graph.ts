/**
 * Graph queries and edits as pure functions over ONNX protobuf. Edits return a new model and never touch the
 * caller's; queries take the graph as it is (nodes need not be stored in topological order).
 */
import { LayerError, ModelError, UnsupportedError } from '../errors.js';
import {
  cloneModel,
  makeValueInfo,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './proto.js';

type Graph = GraphProto | NonNullable<ModelProto['graph']>;

function graphOf(model: ModelProto): Graph {
  if (!model.graph) throw new ModelError('INVALID_MODEL', 'model has no graph');
  return model.graph;
}

/** Tensors a node reads: its explicit inputs plus outer-scope names its subgraphs (If/Loop/Scan bodies) use. */
export function nodeInputs(node: NodeProto): string[] {
  const names = (node.input ?? []).filter((n) => n !== '');
  for (const attr of node.attribute ?? []) {
    const subgraphs = [...(attr.g ? [attr.g] : []), ...(attr.graphs ?? [])];
    for (const sub of subgraphs) names.push(...outerScopeNames(sub as Graph));
  }
  return names;
}

function outerScopeNames(graph: Graph): string[] {
  const local = new Set<string>([
    ...(graph.input ?? []).map((v) => v.name ?? ''),
    ...(graph.initializer ?? []).map((t) => t.name ?? ''),
  ]);
  const outer: string[] = [];
  for (const node of graph.node ?? []) {
    for (const name of nodeInputs(node)) if (!local.has(name)) outer.push(name);
    for (const name of node.output ?? []) local.add(name);
  }
  return outer;
}

/** Non-empty output names of a node (optional outputs are ''). */
export function nodeOutputs(node: NodeProto): string[] {
  return (node.output ?? []).filter((n) => n !== '');
}

export function initializerNames(graph: Graph): Set<string> {
  return new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
}

export function findInitializer(graph: Graph, name: string): TensorProto | undefined {
  return (graph.initializer ?? []).find((t) => t.name === name);
}

/** Graph inputs that must be fed (older exporters also list initializers as inputs). */
export function feedInputs(graph: Graph): ValueInfoProto[] {
  const inits = initializerNames(graph);
  return (graph.input ?? []).filter((v) => v.name && !inits.has(v.name));
}

/** Map from tensor name to the index of the node producing it. */
export function producerIndex(graph: Graph): Map<string, number> {
  const map = new Map<string, number>();
  (graph.node ?? []).forEach((node, i) => {
    for (const name of nodeOutputs(node)) map.set(name, i);
  });
  return map;
}

export function producerOf(graph: Graph, tensor: string): NodeProto | undefined {
  return (graph.node ?? []).find((node) => (node.output ?? []).includes(tensor));
}

export function consumersOf(graph: Graph, tensor: string): NodeProto[] {
  return (graph.node ?? []).filter((node) => nodeInputs(node).includes(tensor));
}

/**
 * Node indices in topological order. Depth-first, so a graph already stored in order keeps its order;
 * a cycle is an invalid model.
 */
export function topologicalIndices(graph: Graph): number[] {
  const nodes = graph.node ?? [];
  const producer = producerIndex(graph);
  const state = new Uint8Array(nodes.length); // 0 new, 1 on stack, 2 done
  const order: number[] = [];
  for (let root = 0; root < nodes.length; root++) {
    if (state[root] === 2) continue;
    // Iterative DFS: deep networks would overflow a recursive one.
    const stack: { node: number; deps: number[]; next: number }[] = [];
    const push = (i: number): void => {
      state[i] = 1;
      const deps = nodeInputs(nodes[i])
        .map((name) => producer.get(name))
        .filter((p): p is number => p !== undefined && p !== i);
      stack.push({ node: i, deps, next: 0 });
    };
    push(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next < top.deps.length) {
        const dep = top.deps[top.next++];
        if (state[dep] === 1) {
          throw new ModelError('INVALID_MODEL', `graph has a cycle through node '${nodes[dep].name ?? dep}'`);
        }
        if (state[dep] === 0) push(dep);
      } else {
        state[top.node] = 2;
        order.push(top.node);
        stack.pop();
      }
    }
  }
  return order;
}

export function topologicalNodes(graph: Graph): NodeProto[] {
  const nodes = graph.node ?? [];
  return topologicalIndices(graph).map((i) => nodes[i]);
}

/** Every node output name, in topological order. */
export function tensorNames(graph: Graph): string[] {
  return topologicalNodes(graph).flatMap(nodeOutputs);
}

/**
 * Indices of the nodes needed to compute `outputs`, walking back until graph inputs, initializers or a
 * tensor in `stopAt` (which is then treated as given).
 */
export function requiredNodes(
  graph: Graph,
  outputs: readonly string[],
  stopAt: ReadonlySet<string> = new Set(),
): Set<number> {
  const nodes = graph.node ?? [];
  const producer = producerIndex(graph);
  const needed = new Set<number>();
  const pending = [...outputs];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (seen.has(name) || stopAt.has(name)) continue;
    seen.add(name);
    const index = producer.get(name);
    if (index === undefined || needed.has(index)) continue;
    needed.add(index);
    pending.push(...nodeInputs(nodes[index]));
  }
  return needed;
}

/** Tensors that depend on any of `sources` (the sources included). */
export function downstreamOf(graph: Graph, sources: readonly string[]): Set<string> {
  const nodes = graph.node ?? [];
  const reached = new Set(sources);
  for (const i of topologicalIndices(graph)) {
    if (nodeInputs(nodes[i]).some((name) => reached.has(name))) {
      for (const name of nodeOutputs(nodes[i])) reached.add(name);
    }
  }
  return reached;
}

/** Ops whose outputs depend on the shape of their input but not on its values. */
const SHAPE_ONLY_OPS = new Set(['Shape', 'Size', 'EyeLike']);

/**
 * Tensors whose values depend on the values of any of `sources` (the sources included). Unlike
 * `downstreamOf`, shape reads stop the walk: zeros made by ConstantOfShape(Shape(x)) do not depend on x.
 */
export function valueDownstreamOf(graph: Graph, sources: readonly string[]): Set<string> {
  const nodes = graph.node ?? [];
  const reached = new Set(sources);
  for (const i of topologicalIndices(graph)) {
    if (SHAPE_ONLY_OPS.has(nodes[i].opType ?? '')) continue;
    if (nodeInputs(nodes[i]).some((name) => reached.has(name))) {
      for (const name of nodeOutputs(nodes[i])) reached.add(name);
    }
  }
  return reached;
}

/** Tensors computable from initializers alone (Constant nodes and what is derived from them only). */
export function constantTensors(graph: Graph): Set<string> {
  const nodes = graph.node ?? [];
  const constant = initializerNames(graph);
  for (const i of topologicalIndices(graph)) {
    if (nodeInputs(nodes[i]).every((name) => constant.has(name))) {
      for (const name of nodeOutputs(nodes[i])) constant.add(name);
    }
  }
  return constant;
}

function outputInfo(graph: Graph, name: string): ValueInfoProto {
  const declared = (graph.output ?? []).find((v) => v.name === name);
  // A bare name is enough: ONNX Runtime infers the type of an intermediate exposed as an output.
  return declared ?? { name };
}

/** Keep only nodes, initializers, inputs and value_infos that the given node indices use. */
function keepNodes(graph: Graph, keep: Set<number>): void {
  const nodes = graph.node ?? [];
  graph.node = nodes.filter((_, i) => keep.has(i));
  const used = new Set(graph.node.flatMap(nodeInputs));
  const produced = new Set(graph.node.flatMap(nodeOutputs));
  for (const out of graph.output ?? []) used.add(out.name ?? '');
  graph.initializer = (graph.initializer ?? []).filter((t) => used.has(t.name ?? ''));
  graph.input = (graph.input ?? []).filter((v) => used.has(v.name ?? ''));
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => produced.has(v.name ?? ''));
}

/** A copy whose graph outputs are exactly `outputs`, pruned to the nodes they need. */
export function selectOutputs(model: ModelProto, outputs: readonly string[]): ModelProto {
  const copy = cloneModel(model);
  const graph = graphOf(copy);
  graph.output = [...new Set(outputs)].map((name) => outputInfo(graphOf(model), name));
  keepNodes(graph, requiredNodes(graph, outputs));
  return copy;
}

/** A copy that also returns `extra` tensors as graph outputs (the original outputs first). */
export function addOutputs(model: ModelProto, extra: readonly string[]): ModelProto {
  const copy = cloneModel(model);
  const graph = graphOf(copy);
  const present = new Set((graph.output ?? []).map((v) => v.name ?? ''));
  for (const name of extra) {
    if (present.has(name)) continue;
    present.add(name);
    (graph.output ??= []).push({ name });
  }
  return copy;
}

/**
 * The tail of the network from `layer` to `outputs`: `layer` becomes the only graph input (declared with
 * `layerShape`; strings or negative numbers are symbolic dims). Throws when the tail also reads a tensor
 * computed before `layer` (a skip connection around it), since feeding `layer` alone cannot reproduce it.
 */
export function cutAt(
  model: ModelProto,
  layer: string,
  outputs: readonly string[],
  layerShape?: readonly (number | string)[],
  /** Graph inputs the tail may read besides `layer` (held inputs of a several-input model); kept as inputs. */
  keepInputs: readonly string[] = [],
): ModelProto {
  const graph = graphOf(model);
  const nodes = graph.node ?? [];
  const kept = new Set(keepInputs);
  const known = new Set([...tensorNames(graph), ...feedInputs(graph).map((v) => v.name ?? '')]);
  for (const name of [layer, ...outputs]) {
    if (!known.has(name)) throw new LayerError('UNKNOWN_TENSOR', `tensor '${name}' is not in the model`);
  }
  const afterLayer = downstreamOf(graph, [layer]);
  for (const out of outputs) {
    if (!afterLayer.has(out)) {
      throw new UnsupportedError('UNSUPPORTED_LAYER', `output '${out}' does not depend on layer '${layer}'`);
    }
  }
  const constant = constantTensors(graph);
  const needed = requiredNodes(graph, outputs, new Set([layer]));
  for (const i of topologicalIndices(graph)) {
    if (!needed.has(i) || !nodeOutputs(nodes[i]).some((n) => afterLayer.has(n))) continue;
    const stray = nodeInputs(nodes[i]).find(
      (name) => !afterLayer.has(name) && !constant.has(name) && !kept.has(name),
    );
    if (stray !== undefined) {
      throw new UnsupportedError(
        'UNSUPPORTED_LAYER',
        `cannot run the network from '${layer}': node '${nodes[i].name || i}' (${nodes[i].opType}) after it also ` +
          `reads '${stray}', which is computed before '${layer}' (e.g. a skip connection around it)`,
      );
    }
  }
  const copy = cloneModel(model);
  const tail = graphOf(copy);
  tail.output = outputs.map((name) => outputInfo(graph, name));
  keepNodes(tail, needed);
  const read = new Set([...needed].flatMap((i) => nodeInputs(nodes[i])));
  tail.input = [
    makeValueInfo(
      layer,
      layerShape?.map((d, i) => (typeof d === 'number' && d < 0 ? `${layer}_dim${i}` : d)),
    ),
    ...feedInputs(graph).filter((v) => kept.has(v.name ?? '') && read.has(v.name ?? '')),
  ];
  tail.valueInfo = (tail.valueInfo ?? []).filter((v) => v.name !== layer);
  return copy;
}
