/**
 * Values of small tensors that exporters compute from constants instead of storing them: PyTorch without
 * constant folding writes a Resize's scales as Concat(Constant, Constant) and F.pad's pads as a chain of
 * Shape/ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast. Rules need those values when the graph is
 * built, so this evaluates such subgraphs: the shape-computation ops, on tensors of at most MAX_ELEMENTS
 * elements. Anything else, or anything that depends on a graph input, is not folded.
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
  dims: number[];
  /** Integer element type: Div truncates. */
  integer?: boolean;
}

/** Constant subgraphs are a handful of nodes deep and compute a few numbers. */
const MAX_DEPTH = 32;
const MAX_ELEMENTS = 4096;

const count = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

export function foldConstant(
  index: GraphIndex,
  name: string,
  depth = 0,
  shapes?: Record<string, number[]>,
): Folded | undefined {
  const result = foldValues(index, name, depth, shapes);
  return result?.values.every((v) => !Number.isNaN(v)) ? result : undefined;
}

/**
 * The value of `name`, where a dim that varies with the batch reads NaN: it propagates through arithmetic,
 * copies and comparisons, so a value picked from a shape's fixed dims (Gather(Shape(x), 1)) still folds.
 */
function foldValues(
  index: GraphIndex,
  name: string,
  depth: number,
  shapes?: Record<string, number[]>,
): Folded | undefined {
  const init = (index.graph.initializer ?? []).find((t) => t.name === name);
  if (init) return decoded(init);
  const node = index.producer.get(name);
  if (!node || depth > MAX_DEPTH) return undefined;
  if (node.opType === 'Constant') return constantNode(node);
  const inputs = node.input ?? [];
  // Shape and Size need only the dims of their input: the probed ones (NaN where they vary with the batch).
  const probed = shapes?.[inputs[0] ?? '']?.map((d) => (d < 0 ? NaN : d));
  if ((node.opType === 'Shape' || node.opType === 'Size') && probed) {
    const stand = { values: new Array<number>(0), dims: probed };
    if (node.opType === 'Shape') return evaluate(node, [stand], name);
    return { values: [count(probed)], dims: [], integer: true };
  }
  const args = inputs.map((i) => (i ? foldValues(index, i, depth + 1, shapes) : undefined));
  const present = inputs.map((i) => Boolean(i));
  if (args.some((a, i) => present[i] && !a)) return undefined;
  // Only data may be unknown: axes, indices, shapes and counts must be known numbers.
  const structural = node.opType === 'ConstantOfShape' ? args : args.slice(1);
  if (structural.some((a) => a?.values.some((v) => Number.isNaN(v)))) return undefined;
  const result = evaluate(node, args, name);
  return result && result.values.length <= MAX_ELEMENTS ? result : undefined;
}

function evaluate(node: NodeProto, args: (Folded | undefined)[], output: string): Folded | undefined {
  const [a, b] = args;
  const attr = (key: string): number[] | number | undefined =>
    getAttr(node, key) as number[] | number | undefined;
  if ((node.output ?? [])[0] !== output) return undefined;
  switch (node.opType) {
    case 'Identity':
      return a;
    case 'Cast': {
      const to = Number(attr('to'));
      return a && { values: a.values.map(castTo(to)), dims: a.dims, integer: INTEGER_TYPES.has(to) };
    }
    case 'Shape': {
      if (!a) return undefined;
      const rank = a.dims.length;
      const bound = (v: number | undefined, fallback: number): number =>
        Math.min(Math.max(v === undefined ? fallback : v < 0 ? v + rank : v, 0), rank);
      const values = a.dims.slice(
        bound(attr('start') as number | undefined, 0),
        bound(attr('end') as number | undefined, rank),
      );
      return { values, dims: [values.length], integer: true };
    }
    case 'Size':
      return a && { values: [a.values.length], dims: [], integer: true };
    case 'Neg':
      return a && { ...a, values: a.values.map((v) => -v) };
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Equal':
    case 'Less':
    case 'LessOrEqual':
    case 'Greater':
    case 'GreaterOrEqual':
    case 'And':
    case 'Or':
    case 'Xor':
      return a && b && binary(node.opType, a, b);
    case 'Not':
      return a && { ...a, values: a.values.map((v) => (Number.isNaN(v) ? v : v !== 0 ? 0 : 1)) };
    case 'ConstantOfShape': {
      if (!a || count(a.values) > MAX_ELEMENTS) return undefined;
      const value = getAttr(node, 'value');
      const given = value && typeof value === 'object' && !Array.isArray(value) ? decoded(value) : undefined;
      const values = new Array<number>(count(a.values)).fill(given?.values[0] ?? 0);
      return { values, dims: [...a.values], integer: given?.integer ?? false };
    }
    case 'Unsqueeze': {
      if (!a) return undefined;
      const axes = b?.values ?? (attr('axes') as number[] | undefined);
      if (!axes) return undefined;
      const rank = a.dims.length + axes.length;
      const at = new Set(axes.map((x) => (x < 0 ? x + rank : x)));
      const dims: number[] = [];
      let k = 0;
      for (let i = 0; i < rank; i++) dims.push(at.has(i) ? 1 : a.dims[k++]);
      return { ...a, dims };
    }
    case 'Squeeze': {
      if (!a) return undefined;
      const axes = b?.values ?? (attr('axes') as number[] | undefined);
      const rank = a.dims.length;
      const at = new Set(
        (axes ?? a.dims.flatMap((d, i) => (d === 1 ? [i] : []))).map((x) => (x < 0 ? x + rank : x)),
      );
      return { ...a, dims: a.dims.filter((_, i) => !at.has(i)) };
    }
    case 'Flatten': {
      if (!a) return undefined;
      const raw = Number(attr('axis') ?? 1);
      const axis = raw < 0 ? raw + a.dims.length : raw;
      return { ...a, dims: [count(a.dims.slice(0, axis)), count(a.dims.slice(axis))] };
    }
    case 'Reshape':
      return a && b && reshape(a, b.values, Number(attr('allowzero') ?? 0) === 1);
    case 'Concat':
      return concat(
        args.filter((x): x is Folded => x !== undefined),
        Number(attr('axis') ?? 0),
      );
    case 'Transpose': {
      if (!a) return undefined;
      const perm = (attr('perm') as number[] | undefined) ?? a.dims.map((_, i) => a.dims.length - 1 - i);
      return gatherBy(
        a,
        perm.map((p) => a.dims[p]),
        (at) => perm.map((p, i) => [p, at[i]] as const),
      );
    }
    case 'Slice':
      return a && slice(a, args.slice(1));
    case 'Gather':
      return a && b && gather(a, b, Number(attr('axis') ?? 0));
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
  if (type === DataType.BOOL) return (v) => (Number.isNaN(v) ? v : v !== 0 ? 1 : 0);
  if (INTEGER_TYPES.has(type)) return Math.trunc;
  if (type === DataType.FLOAT) return Math.fround;
  return (v) => v;
}

/** Row-major strides of `dims`. */
function strides(dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) out[i] = out[i + 1] * dims[i + 1];
  return out;
}

/** Multi-index of flat position `flat` in `dims`. */
function unravel(flat: number, dims: readonly number[]): number[] {
  const at = new Array<number>(dims.length);
  for (let i = dims.length - 1; i >= 0; i--) {
    at[i] = flat % dims[i];
    flat = Math.floor(flat / dims[i]);
  }
  return at;
}

/**
 * A tensor of shape `dims` whose element at multi-index `at` is the source element at the multi-index
 * `source(at)` gives (as [source axis, index] pairs).
 */
function gatherBy(
  a: Folded,
  dims: number[],
  source: (at: number[]) => readonly (readonly [number, number])[],
): Folded | undefined {
  const total = count(dims);
  if (total > MAX_ELEMENTS) return undefined;
  const st = strides(a.dims);
  const values = new Array<number>(total);
  for (let i = 0; i < total; i++) {
    values[i] = a.values[source(unravel(i, dims)).reduce((s, [axis, j]) => s + st[axis] * j, 0)];
  }
  return { values, dims, integer: a.integer };
}

function binary(op: string, a: Folded, b: Folded): Folded | undefined {
  const rank = Math.max(a.dims.length, b.dims.length);
  const pad = (d: number[]): number[] => [...new Array<number>(rank - d.length).fill(1), ...d];
  const da = pad(a.dims);
  const db = pad(b.dims);
  const dims = da.map((x, i) => Math.max(x, db[i]));
  if (dims.some((d, i) => (da[i] !== d && da[i] !== 1) || (db[i] !== d && db[i] !== 1))) return undefined;
  const sa = strides(da);
  const sb = strides(db);
  const f: Record<string, (x: number, y: number) => number> = {
    Add: (x, y) => x + y,
    Sub: (x, y) => x - y,
    Mul: (x, y) => x * y,
    Div: a.integer && b.integer ? (x, y) => Math.trunc(x / y) : (x, y) => x / y,
    Equal: (x, y) => Number(x === y),
    Less: (x, y) => Number(x < y),
    LessOrEqual: (x, y) => Number(x <= y),
    Greater: (x, y) => Number(x > y),
    GreaterOrEqual: (x, y) => Number(x >= y),
    And: (x, y) => Number(x !== 0 && y !== 0),
    Or: (x, y) => Number(x !== 0 || y !== 0),
    Xor: (x, y) => Number((x !== 0) !== (y !== 0)),
  };
  const values = new Array<number>(count(dims));
  for (let i = 0; i < values.length; i++) {
    const at = unravel(i, dims);
    const ia = at.reduce((s, j, k) => s + (da[k] === 1 ? 0 : j * sa[k]), 0);
    const ib = at.reduce((s, j, k) => s + (db[k] === 1 ? 0 : j * sb[k]), 0);
    const [x, y] = [a.values[ia], b.values[ib]];
    values[i] = Number.isNaN(x) || Number.isNaN(y) ? NaN : f[op](x, y);
  }
  const logical = !['Add', 'Sub', 'Mul', 'Div'].includes(op);
  return { values, dims, integer: logical || (a.integer && b.integer) };
}

function reshape(a: Folded, target: number[], allowZero: boolean): Folded | undefined {
  const dims = target.map((d, i) => (d === 0 && !allowZero ? a.dims[i] : d));
  const known = dims.filter((d) => d >= 0).reduce((p, d) => p * d, 1);
  const inferred = dims.map((d) => (d === -1 ? a.values.length / known : d));
  if (count(inferred) !== a.values.length || inferred.some((d) => !Number.isInteger(d))) return undefined;
  return { ...a, dims: inferred };
}

function concat(parts: Folded[], rawAxis: number): Folded | undefined {
  if (parts.length === 0) return undefined;
  const rank = parts[0].dims.length;
  const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
  const outer = count(parts[0].dims.slice(0, axis));
  const values: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const block = count(p.dims.slice(axis));
      values.push(...p.values.slice(o * block, (o + 1) * block));
    }
  }
  const dims = [...parts[0].dims];
  dims[axis] = parts.reduce((s, p) => s + p.dims[axis], 0);
  return { values, dims, integer: parts[0].integer };
}

function slice(a: Folded, rest: (Folded | undefined)[]): Folded | undefined {
  const [starts, ends, axesIn, stepsIn] = rest;
  if (!starts || !ends) return undefined;
  const rank = a.dims.length;
  const axes = (axesIn?.values ?? starts.values.map((_, i) => i)).map((x) => (x < 0 ? x + rank : x));
  const taken = a.dims.map((d) => Array.from({ length: d }, (_, i) => i));
  axes.forEach((axis, k) => {
    const size = a.dims[axis];
    const step = stepsIn?.values[k] ?? 1;
    const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
    let first = starts.values[k] < 0 ? starts.values[k] + size : starts.values[k];
    let last = ends.values[k] < 0 ? ends.values[k] + size : ends.values[k];
    first = step > 0 ? clamp(first, 0, size) : clamp(first, 0, size - 1);
    last = step > 0 ? clamp(last, 0, size) : clamp(last, -1, size - 1);
    const picked: number[] = [];
    for (let i = first; step > 0 ? i < last : i > last; i += step) picked.push(i);
    taken[axis] = picked;
  });
  return gatherBy(
    a,
    taken.map((t) => t.length),
    (at) => at.map((j, axis) => [axis, taken[axis][j]] as const),
  );
}

function gather(a: Folded, indices: Folded, rawAxis: number): Folded | undefined {
  const axis = rawAxis < 0 ? rawAxis + a.dims.length : rawAxis;
  const size = a.dims[axis];
  const dims = [...a.dims.slice(0, axis), ...indices.dims, ...a.dims.slice(axis + 1)];
  const idxRank = indices.dims.length;
  const idxStrides = strides(indices.dims);
  return gatherBy(a, dims, (at) => {
    const flat = at.slice(axis, axis + idxRank).reduce((s, j, k) => s + j * idxStrides[k], 0);
    const raw = indices.values[flat];
    const pairs: (readonly [number, number])[] = [];
    for (let i = 0; i < axis; i++) pairs.push([i, at[i]]);
    pairs.push([axis, raw < 0 ? raw + size : raw]);
    for (let i = axis + 1; i < a.dims.length; i++) pairs.push([i, at[i - 1 + idxRank]]);
    return pairs;
  });
}

function decoded(t: TensorProto): Folded {
  const { data, dims, dataType } = decodeTensor(t);
  return { values: Array.from(data), dims, integer: INTEGER_TYPES.has(dataType) };
}

function constantNode(node: NodeProto): Folded | undefined {
  for (const a of node.attribute ?? []) {
    if (a.name === 'value' && a.t) return decoded(a.t);
    if (a.name === 'value_float') return { values: [a.f ?? 0], dims: [] };
    if (a.name === 'value_floats') return { values: [...(a.floats ?? [])], dims: [(a.floats ?? []).length] };
    if (a.name === 'value_int') return { values: [toNumber(a.i)], dims: [], integer: true };
    if (a.name === 'value_ints') {
      return { values: (a.ints ?? []).map(toNumber), dims: [(a.ints ?? []).length], integer: true };
    }
  }
  return undefined;
}
