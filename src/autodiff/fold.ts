/**
 * Values of small tensors that exporters compute from constants instead of storing them: PyTorch without
 * constant folding writes a Resize's scales as Concat(Constant, Constant), a Pad's pads through
 * Cast/Reshape/Concat, and so on. Rules need those values when the graph is built; this folds the few
 * value-preserving ops such subgraphs use. Anything else (or anything fed by the graph input) is not folded.
 */
import {
  DataType,
  decodeTensor,
  getAttr,
  toNumber,
  type NodeProto,
  type TensorProto,
} from '../onnx/proto.js';
import type { GraphIndex } from './graph.js';

export interface Folded {
  values: number[];
  /** Undefined after a reshape-like op, whose target shape is not tracked. */
  dims: number[] | undefined;
}

/** Longest chain of ops followed: constant subgraphs are a handful of nodes deep. */
const MAX_DEPTH = 16;

export function foldConstant(index: GraphIndex, name: string, depth = 0): Folded | undefined {
  const init = (index.graph.initializer ?? []).find((t) => t.name === name);
  if (init) return decoded(init);
  const node = index.producer.get(name);
  if (!node || depth > MAX_DEPTH) return undefined;
  if (node.opType === 'Constant') return constantNode(node);
  const inputs = (node.input ?? []).filter((i) => i);
  const folded = inputs.map((i) => foldConstant(index, i, depth + 1));
  if (folded.some((f) => !f)) return undefined;
  const args = folded as Folded[];
  const first = args[0];
  switch (node.opType) {
    case 'Identity':
      return first;
    case 'Cast':
      return { values: first.values.map(castTo(Number(getAttr(node, 'to')))), dims: first.dims };
    case 'Unsqueeze':
    case 'Squeeze':
    case 'Reshape':
    case 'Flatten':
      // The flat order is unchanged.
      return { values: first.values, dims: undefined };
    case 'Concat': {
      const axis = Number(getAttr(node, 'axis') ?? 0);
      // Along the leading axis, concatenation is concatenation of the flat buffers.
      const leading = args.every((a) => axis === 0 || (a.dims !== undefined && axis === -a.dims.length));
      if (!leading) return undefined;
      const values = args.flatMap((a) => a.values);
      return { values, dims: [values.length] };
    }
    default:
      return undefined;
  }
}

const INTEGER_TYPES = new Set<number>([
  DataType.INT8,
  DataType.UINT8,
  DataType.INT16,
  DataType.UINT16,
  DataType.INT32,
  DataType.UINT32,
  DataType.INT64,
  DataType.UINT64,
]);

function castTo(type: number): (v: number) => number {
  if (type === DataType.BOOL) return (v) => (v !== 0 ? 1 : 0);
  if (INTEGER_TYPES.has(type)) return Math.trunc;
  if (type === DataType.FLOAT) return Math.fround;
  return (v) => v;
}

function decoded(t: TensorProto): Folded {
  const { data, dims } = decodeTensor(t);
  return { values: Array.from(data), dims };
}

function constantNode(node: NodeProto): Folded | undefined {
  for (const a of node.attribute ?? []) {
    if (a.name === 'value' && a.t) return decoded(a.t);
    if (a.name === 'value_float') return { values: [a.f ?? 0], dims: [] };
    if (a.name === 'value_floats') return { values: [...(a.floats ?? [])], dims: [(a.floats ?? []).length] };
    if (a.name === 'value_int') return { values: [toNumber(a.i)], dims: [] };
    if (a.name === 'value_ints')
      return { values: (a.ints ?? []).map(toNumber), dims: [(a.ints ?? []).length] };
  }
  return undefined;
}
