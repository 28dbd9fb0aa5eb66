/**
 * Float16 (and bfloat16) models run in float32: weights widened, Casts to half turned into Casts to float,
 * inputs and outputs declared float32. The function the model computes is the same; its arithmetic is more
 * precise. This keeps every forward and backward graph type-consistent (the autodiff rules emit float32
 * constants) and lets callers feed Float32Array as for any other model.
 */
import {
  DataType,
  cloneModel,
  decodeTensor,
  floatTensor,
  type ModelProto,
  type TensorProto,
} from './proto.js';

const HALF_TYPES = new Set<number>([DataType.FLOAT16, DataType.BFLOAT16]);
/** Attributes that name an element type. */
const TYPE_ATTRS = new Set(['to', 'dtype']);

function widen(t: TensorProto): TensorProto {
  const decoded = decodeTensor(t);
  return floatTensor(t.name ?? '', decoded.dims, decoded.data as Float32Array);
}

/** Whether any weight, input, output or Cast of the model is float16 / bfloat16. */
export function usesHalfPrecision(model: ModelProto): boolean {
  const graph = model.graph;
  if (!graph) return false;
  const halfType = (t: number | null | undefined) => HALF_TYPES.has(t ?? 0);
  return (
    (graph.initializer ?? []).some((t) => halfType(t.dataType)) ||
    [...(graph.input ?? []), ...(graph.output ?? [])].some((v) => halfType(v.type?.tensorType?.elemType)) ||
    (graph.node ?? []).some((n) =>
      (n.attribute ?? []).some(
        (a) => (TYPE_ATTRS.has(a.name ?? '') && halfType(Number(a.i ?? 0))) || halfType(a.t?.dataType),
      ),
    )
  );
}

/** A float32 copy of a float16 / mixed-precision model, and how many tensors were widened. */
export function toFloat32(model: ModelProto): { model: ModelProto; widened: number } {
  const work = cloneModel(model);
  const graph = work.graph!;
  let widened = 0;
  graph.initializer = (graph.initializer ?? []).map((t) => {
    if (!HALF_TYPES.has(t.dataType ?? 0)) return t;
    widened++;
    return widen(t);
  });
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    const tensorType = v.type?.tensorType;
    if (tensorType && HALF_TYPES.has(tensorType.elemType ?? 0)) tensorType.elemType = DataType.FLOAT;
  }
  for (const node of graph.node ?? []) {
    for (const attr of node.attribute ?? []) {
      if (TYPE_ATTRS.has(attr.name ?? '') && HALF_TYPES.has(Number(attr.i ?? 0))) attr.i = DataType.FLOAT;
      if (attr.t && HALF_TYPES.has(attr.t.dataType ?? 0)) {
        attr.t = widen(attr.t);
        widened++;
      }
    }
  }
  return { model: work, widened };
}
