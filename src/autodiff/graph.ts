/**
 * Read-only index of an ONNX graph for differentiation: producers, consumers, topological order and element
 * types of every tensor, plus the two reachability walks the builder needs (forward from `wrt`, backward
 * from `output`).
 */
import { LayerError, ModelError, closestNames } from '../errors.js';
import { nodeInputs } from '../onnx/graph.js';
import { DataType, getAttr, type ModelProto, type NodeProto } from '../onnx/proto.js';

const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.BFLOAT16]);

/** Ops whose outputs are always integer / boolean, whatever their inputs. */
const INT64_OUTPUT_OPS = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin']);
const BOOL_OUTPUT_OPS = new Set([
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'IsNaN',
  'IsInf',
]);

export class GraphIndex {
  readonly graph: NonNullable<ModelProto['graph']>;
  /** Nodes in a topological order (the file's order when it is already sorted). */
  readonly nodes: NodeProto[];
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly initializers = new Set<string>();
  /** Graph inputs that are not initializers: what a caller feeds. */
  readonly feeds: string[] = [];
  readonly elemType = new Map<string, number>();
  readonly position = new Map<NodeProto, number>();

  constructor(model: ModelProto) {
    if (!model.graph) throw new ModelError('INVALID_MODEL', 'model has no graph');
    this.graph = model.graph;
    for (const t of this.graph.initializer ?? []) {
      if (!t.name) continue;
      this.initializers.add(t.name);
      this.elemType.set(t.name, t.dataType ?? DataType.FLOAT);
    }
    for (const vi of this.graph.input ?? []) {
      if (!vi.name || this.initializers.has(vi.name)) continue;
      this.feeds.push(vi.name);
      this.elemType.set(vi.name, vi.type?.tensorType?.elemType ?? DataType.FLOAT);
    }
    for (const node of this.graph.node ?? []) {
      for (const out of node.output ?? []) if (out) this.producer.set(out, node);
      // Subgraphs (If/Loop/Scan bodies) read outer tensors by name: those are inputs of the node too.
      for (const inp of nodeInputs(node)) {
        if (!inp) continue;
        const list = this.consumers.get(inp);
        if (list) {
          if (!list.includes(node)) list.push(node);
        } else this.consumers.set(inp, [node]);
      }
    }
    this.nodes = this.topologicalOrder();
    this.nodes.forEach((n, i) => this.position.set(n, i));
    const declared = new Map<string, number>();
    for (const vi of [...(this.graph.valueInfo ?? []), ...(this.graph.output ?? [])]) {
      const t = vi.type?.tensorType?.elemType;
      if (vi.name && t) declared.set(vi.name, t);
    }
    for (const node of this.nodes) this.inferTypes(node, declared);
  }

  /** Every tensor name a caller may ask for: graph inputs, initializers and node outputs. */
  hasTensor(name: string): boolean {
    return this.producer.has(name) || this.initializers.has(name) || this.feeds.includes(name);
  }

  tensorNames(): string[] {
    return [...this.feeds, ...this.nodes.flatMap((n) => (n.output ?? []).filter((o) => o))];
  }

  /** Throws the "unknown tensor, did you mean" error for names the graph does not have. */
  requireTensor(name: string, role: string): void {
    if (this.hasTensor(name)) return;
    const near = closestNames(name, this.tensorNames());
    throw new LayerError(
      'UNKNOWN_TENSOR',
      `${role} '${name}' is not a tensor of the model (closest: ${near.join(', ')})`,
    );
  }

  isFloat(name: string): boolean {
    const t = this.elemType.get(name);
    return t === undefined || FLOAT_TYPES.has(t);
  }

  /** Tensors that depend on any of `sources` through float edges (integer outputs stop the walk). */
  forwardReach(sources: readonly string[]): Set<string> {
    const reached = new Set(sources);
    for (const node of this.nodes) {
      if (!nodeInputs(node).some((i) => i && reached.has(i) && this.isFloat(i))) continue;
      for (const out of node.output ?? []) if (out && this.isFloat(out)) reached.add(out);
    }
    return reached;
  }

  /** Tensors `target` depends on (itself included), and the nodes that compute them. */
  ancestors(target: string): { tensors: Set<string>; nodes: Set<NodeProto> } {
    const tensors = new Set([target]);
    const nodes = new Set<NodeProto>();
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      if (!(node.output ?? []).some((o) => o && tensors.has(o))) continue;
      nodes.add(node);
      for (const inp of nodeInputs(node)) if (inp) tensors.add(inp);
    }
    return { tensors, nodes };
  }

  private topologicalOrder(): NodeProto[] {
    const all = this.graph.node ?? [];
    const available = new Set<string>([...this.initializers, ...this.feeds, '']);
    const sorted: NodeProto[] = [];
    const pending = new Set(all);
    // Usually one pass: exporters write nodes sorted. Repeat passes handle the rare unsorted file.
    while (pending.size > 0) {
      let progressed = false;
      for (const node of pending) {
        if (!nodeInputs(node).every((i) => available.has(i) || !this.producer.has(i))) continue;
        sorted.push(node);
        pending.delete(node);
        for (const out of node.output ?? []) available.add(out);
        progressed = true;
      }
      if (!progressed) throw new ModelError('INVALID_MODEL', 'model graph has a cycle');
    }
    return sorted;
  }

  private inferTypes(node: NodeProto, declared: Map<string, number>): void {
    const inputType = (i: number): number | undefined => {
      const name = (node.input ?? [])[i];
      return name ? this.elemType.get(name) : undefined;
    };
    const firstKnown = (): number | undefined => {
      for (const name of node.input ?? []) {
        const t = name ? this.elemType.get(name) : undefined;
        if (t !== undefined) return t;
      }
      return undefined;
    };
    const op = node.opType ?? '';
    (node.output ?? []).forEach((out, index) => {
      if (!out) return;
      let type: number | undefined;
      if (INT64_OUTPUT_OPS.has(op)) type = DataType.INT64;
      else if (BOOL_OUTPUT_OPS.has(op)) type = DataType.BOOL;
      else if ((op === 'MaxPool' || op === 'TopK' || op === 'Unique') && index > 0) type = DataType.INT64;
      else if (op === 'Dropout' && index > 0) type = DataType.BOOL;
      else if (op === 'Loop' || op === 'Scan' || op === 'If') type = subgraphOutputType(node, index);
      else if (op === 'Cast') type = Number(getAttr(node, 'to'));
      else if (op === 'CastLike') type = inputType(1);
      else if (op === 'Where') type = inputType(1);
      else if (op === 'Constant') type = constantType(node);
      else if (op === 'ConstantOfShape') {
        const value = getAttr(node, 'value');
        type =
          value && typeof value === 'object' && !Array.isArray(value)
            ? (value.dataType ?? 1)
            : DataType.FLOAT;
      } else type = firstKnown();
      type = declared.get(out) ?? type;
      if (type !== undefined) this.elemType.set(out, type);
    });
  }
}

/** A control-flow output's type, as its body declares it (a Loop body's first output is the condition). */
function subgraphOutputType(node: NodeProto, index: number): number | undefined {
  const bodyName = node.opType === 'If' ? 'then_branch' : 'body';
  const body = (node.attribute ?? []).find((a) => a.name === bodyName)?.g;
  const at = node.opType === 'Loop' ? index + 1 : index;
  return body?.output?.[at]?.type?.tensorType?.elemType || undefined;
}

function constantType(node: NodeProto): number {
  for (const a of node.attribute ?? []) {
    if (a.name === 'value' && a.t) return a.t.dataType ?? DataType.FLOAT;
    if (a.name === 'value_int' || a.name === 'value_ints') return DataType.INT64;
    if (a.name === 'value_string' || a.name === 'value_strings') return DataType.STRING;
  }
  return DataType.FLOAT;
}
