/**
 * Static shape inference: concrete dims and element types of a graph's tensors from the input dims alone,
 * without running the model. Covers the ops image, sequence and table networks are made of (convolutions,
 * pooling, broadcasting arithmetic, reshapes, resizes) and folds the small integer tensors PyTorch exports
 * compute shapes with (Shape → Gather → Concat → Reshape). What it cannot decide (data-dependent sizes, ops it
 * does not know, recurrent layers) stays unknown, and so does everything computed from it: a probe run finds
 * those.
 */
import { nodeInputs, nodeOutputs, topologicalNodes } from './graph.js';
import {
  attrInt,
  attrInts,
  decodeTensor,
  getAttr,
  toNumber,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from './proto.js';

type Graph = NonNullable<ModelProto['graph']>;

/** ONNX element types used here. */
const FLOAT = 1;
const INT64 = 7;
const BOOL = 9;

export interface InferredTensor {
  /** ONNX element type number. */
  type?: number;
  dims?: number[];
  /** Values of a small integer tensor (shape arithmetic), flattened. */
  value?: number[];
}

/** Integer tensors up to this many elements have their values folded. */
const MAX_FOLDED = 1024;

const INTEGER_TYPES = new Set([2, 3, 4, 5, 6, 7, 12, 13]);

const SAME_SHAPE = new Set([
  'Abs',
  'Acos',
  'Acosh',
  'Asin',
  'Asinh',
  'Atan',
  'Atanh',
  'BatchNormalization',
  'Ceil',
  'Celu',
  'Clip',
  'Cos',
  'Cosh',
  'CumSum',
  'DequantizeLinear',
  'Dropout',
  'Elu',
  'Erf',
  'Exp',
  'Floor',
  'Gelu',
  'HardSigmoid',
  'HardSwish',
  'Hardmax',
  'Identity',
  'InstanceNormalization',
  'IsInf',
  'IsNaN',
  'LayerNormalization',
  'LeakyRelu',
  'Log',
  'LogSoftmax',
  'LpNormalization',
  'LRN',
  'MeanVarianceNormalization',
  'Mish',
  'Neg',
  'Not',
  'QuantizeLinear',
  'Reciprocal',
  'Relu',
  'Round',
  'Selu',
  'Shrink',
  'Sigmoid',
  'Sign',
  'Sin',
  'Sinh',
  'Softmax',
  'Softplus',
  'Softsign',
  'Sqrt',
  'Tan',
  'Tanh',
  'ThresholdedRelu',
  'Cast',
  'CastLike',
  'GroupNormalization',
]);

const BROADCAST = new Set([
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Max',
  'Min',
  'Sum',
  'Mean',
  'Where',
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'And',
  'Or',
  'Xor',
  'PRelu',
  'Mod',
  'BitShift',
  'BitwiseAnd',
  'BitwiseOr',
  'BitwiseXor',
]);

const BOOLEAN_RESULT = new Set([
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'And',
  'Or',
  'Xor',
  'Not',
  'IsInf',
  'IsNaN',
]);

const REDUCE = new Set([
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
]);

const GLOBAL_POOL = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool']);
const POOL = new Set(['MaxPool', 'AveragePool', 'LpPool']);

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function known(t: InferredTensor | undefined): t is InferredTensor & { dims: number[] } {
  return t?.dims !== undefined;
}

/** Numpy-style multidirectional broadcasting; undefined when the dims do not broadcast. */
function broadcast(shapes: readonly number[][]): number[] | undefined {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d === 1) continue;
      if (dim !== 1 && dim !== d) return undefined;
      dim = d;
    }
    out.push(dim);
  }
  return out;
}

function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function tensorInfo(t: TensorProto): InferredTensor {
  const dims = (t.dims ?? []).map(toNumber);
  const type = t.dataType ?? FLOAT;
  const info: InferredTensor = { type, dims };
  if (INTEGER_TYPES.has(type) && product(dims) <= MAX_FOLDED) {
    info.value = decodeTensor(t).data as number[];
  } else if (type === FLOAT && product(dims) <= 16) {
    info.value = [...(decodeTensor(t).data as Float32Array)];
  }
  return info;
}

/** Elementwise integer arithmetic on folded values, with broadcasting of scalars / one-element tensors. */
function foldBinary(op: string, a: number[], b: number[], integer: boolean): number[] | undefined {
  const n = Math.max(a.length, b.length);
  if (a.length !== n && a.length !== 1) return undefined;
  if (b.length !== n && b.length !== 1) return undefined;
  const f: Record<string, (x: number, y: number) => number> = {
    Add: (x, y) => x + y,
    Sub: (x, y) => x - y,
    Mul: (x, y) => x * y,
    Div: (x, y) => (integer ? Math.trunc(x / y) : x / y),
    Max: Math.max,
    Min: Math.min,
    Equal: (x, y) => Number(x === y),
    Less: (x, y) => Number(x < y),
    Greater: (x, y) => Number(x > y),
  };
  const fn = f[op];
  if (!fn) return undefined;
  return Array.from({ length: n }, (_, i) => fn(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]));
}

/** Values through the unary ops shape arithmetic uses (casts, rounding of scaled sizes). */
function foldUnary(node: NodeProto, value: number[]): number[] | undefined {
  switch (node.opType) {
    case 'Identity':
      return value;
    case 'Cast':
      return INTEGER_TYPES.has(attrInt(node, 'to', FLOAT)) ? value.map(Math.trunc) : value;
    case 'Floor':
      return value.map(Math.floor);
    case 'Ceil':
      return value.map(Math.ceil);
    case 'Neg':
      return value.map((v) => -v);
    default:
      return undefined;
  }
}

/** Output size of a sliding window along one axis (Conv, pooling). */
function windowOut(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padBegin: number,
  padEnd: number,
  ceil: boolean,
): number {
  const span = (kernel - 1) * dilation + 1;
  const steps = (size + padBegin + padEnd - span) / stride;
  return (ceil ? Math.ceil(steps) : Math.floor(steps)) + 1;
}

/** Spatial output dims of Conv / pooling, honouring auto_pad. */
function slidingDims(node: NodeProto, spatial: number[], kernel: number[], ceil: boolean): number[] {
  const n = spatial.length;
  const strides = attrInts(node, 'strides') ?? new Array<number>(n).fill(1);
  const dilations = attrInts(node, 'dilations') ?? new Array<number>(n).fill(1);
  const pads = attrInts(node, 'pads') ?? new Array<number>(2 * n).fill(0);
  const autoPad = String(getAttr(node, 'auto_pad') ?? 'NOTSET');
  return spatial.map((size, i) => {
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(size / strides[i]);
    if (autoPad === 'VALID') return windowOut(size, kernel[i], strides[i], dilations[i], 0, 0, ceil);
    const out = windowOut(size, kernel[i], strides[i], dilations[i], pads[i], pads[i + n], ceil);
    // With ceil_mode the last window must start inside the input or its left padding.
    if (ceil && (out - 1) * strides[i] >= size + pads[i]) return out - 1;
    return out;
  });
}

function axesOf(
  node: NodeProto,
  get: (i: number) => InferredTensor | undefined,
): number[] | undefined | null {
  const fromInput = node.input?.[1] ? get(1) : undefined;
  if (node.input?.[1]) return fromInput?.value ?? null; // given but unknown → null
  return attrInts(node, 'axes');
}

type Rule = (node: NodeProto, ins: (InferredTensor | undefined)[]) => InferredTensor[] | undefined;

function sliceValue(value: number[] | undefined, starts: number[], ends: number[], steps: number[]) {
  if (!value || starts.length !== 1) return undefined;
  const n = value.length;
  const step = steps[0] ?? 1;
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const start = clamp(starts[0] < 0 ? starts[0] + n : starts[0], step > 0 ? 0 : -1, step > 0 ? n : n - 1);
  const end = clamp(ends[0] < 0 ? ends[0] + n : ends[0], step > 0 ? 0 : -1, step > 0 ? n : n - 1);
  const out: number[] = [];
  for (let i = start; step > 0 ? i < end : i > end; i += step) out.push(value[i]);
  return out;
}

const RULES: Record<string, Rule> = {
  Conv(node, [x, w]) {
    if (!known(x) || !known(w)) return undefined;
    const kernel = attrInts(node, 'kernel_shape') ?? w.dims.slice(2);
    return [{ dims: [x.dims[0], w.dims[0], ...slidingDims(node, x.dims.slice(2), kernel, false)] }];
  },
  ConvTranspose(node, [x, w]) {
    if (!known(x) || !known(w)) return undefined;
    const spatial = x.dims.slice(2);
    const n = spatial.length;
    const group = attrInt(node, 'group', 1);
    const channels = w.dims[1] * group;
    const given = attrInts(node, 'output_shape');
    if (given) return [{ dims: [x.dims[0], channels, ...given.slice(-n)] }];
    const kernel = attrInts(node, 'kernel_shape') ?? w.dims.slice(2);
    const strides = attrInts(node, 'strides') ?? new Array<number>(n).fill(1);
    const dilations = attrInts(node, 'dilations') ?? new Array<number>(n).fill(1);
    const outPad = attrInts(node, 'output_padding') ?? new Array<number>(n).fill(0);
    const pads = attrInts(node, 'pads') ?? new Array<number>(2 * n).fill(0);
    const autoPad = String(getAttr(node, 'auto_pad') ?? 'NOTSET');
    const dims = spatial.map((size, i) => {
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return size * strides[i];
      const [b, e] = autoPad === 'VALID' ? [0, 0] : [pads[i], pads[i + n]];
      return strides[i] * (size - 1) + outPad[i] + (kernel[i] - 1) * dilations[i] + 1 - b - e;
    });
    return [{ dims: [x.dims[0], channels, ...dims] }];
  },
  Gemm(node, [a, b]) {
    if (!known(a) || !known(b)) return undefined;
    const m = attrInt(node, 'transA', 0) ? a.dims[1] : a.dims[0];
    const n = attrInt(node, 'transB', 0) ? b.dims[0] : b.dims[1];
    return [{ dims: [m, n] }];
  },
  MatMul(_node, [a, b]) {
    if (!known(a) || !known(b)) return undefined;
    const ad = a.dims.length === 1 ? [1, a.dims[0]] : a.dims;
    const bd = b.dims.length === 1 ? [b.dims[0], 1] : b.dims;
    const batch = broadcast([ad.slice(0, -2), bd.slice(0, -2)]);
    if (!batch) return undefined;
    const dims = [...batch, ad[ad.length - 2], bd[bd.length - 1]];
    if (a.dims.length === 1) dims.splice(dims.length - 2, 1);
    if (b.dims.length === 1) dims.pop();
    return [{ dims }];
  },
  Flatten(node, [x]) {
    if (!known(x)) return undefined;
    const axis = normalizeAxis(attrInt(node, 'axis', 1), x.dims.length);
    return [{ dims: [product(x.dims.slice(0, axis)), product(x.dims.slice(axis))] }];
  },
  Reshape(node, [x, shape]) {
    if (!known(x) || !shape?.value) return undefined;
    const allowZero = attrInt(node, 'allowzero', 0) === 1;
    const dims = shape.value.map((d, i) => (d === 0 && !allowZero ? x.dims[i] : d));
    const free = dims.indexOf(-1);
    if (free >= 0) dims[free] = product(x.dims) / -product(dims);
    return [{ dims, ...(x.value ? { value: x.value } : {}) }];
  },
  Transpose(node, [x]) {
    if (!known(x)) return undefined;
    const perm = attrInts(node, 'perm') ?? x.dims.map((_, i) => x.dims.length - 1 - i);
    return [{ dims: perm.map((p) => x.dims[p]) }];
  },
  Concat(node, ins) {
    if (!ins.every(known)) return undefined;
    const list = ins as (InferredTensor & { dims: number[] })[];
    const axis = normalizeAxis(attrInt(node, 'axis', 0), list[0].dims.length);
    const dims = [...list[0].dims];
    dims[axis] = list.reduce((s, t) => s + t.dims[axis], 0);
    const value = list.every((t) => t.value) ? list.flatMap((t) => t.value ?? []) : undefined;
    return [{ dims, ...(value && dims.length === 1 ? { value } : {}) }];
  },
  Split(node, [x, splitInput]) {
    if (!known(x)) return undefined;
    const axis = normalizeAxis(attrInt(node, 'axis', 0), x.dims.length);
    const count = nodeOutputs(node).length;
    const total = x.dims[axis];
    let sizes = node.input?.[1] ? splitInput?.value : attrInts(node, 'split');
    if (!sizes) {
      if (node.input?.[1]) return undefined;
      const each = Math.ceil(total / count);
      sizes = Array.from({ length: count }, (_, i) => Math.min(each, total - i * each));
    }
    return sizes.map((s) => {
      const dims = [...x.dims];
      dims[axis] = s;
      return { dims };
    });
  },
  Slice(node, [x, startsIn, endsIn, axesIn, stepsIn]) {
    if (!known(x)) return undefined;
    const fromInputs = (node.input ?? []).length > 1;
    const starts = fromInputs ? startsIn?.value : attrInts(node, 'starts');
    const ends = fromInputs ? endsIn?.value : attrInts(node, 'ends');
    if (!starts || !ends) return undefined;
    const axesGiven = fromInputs ? node.input?.[3] : getAttr(node, 'axes') !== undefined;
    const axes = axesGiven ? (fromInputs ? axesIn?.value : attrInts(node, 'axes')) : starts.map((_, i) => i);
    const steps = fromInputs && node.input?.[4] ? stepsIn?.value : starts.map(() => 1);
    if (!axes || !steps) return undefined;
    const dims = [...x.dims];
    axes.forEach((a, i) => {
      const axis = normalizeAxis(a, dims.length);
      const size = x.dims[axis];
      const step = steps[i];
      const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
      let s = starts[i] < 0 ? starts[i] + size : starts[i];
      let e = ends[i] < 0 ? ends[i] + size : ends[i];
      s = step > 0 ? clamp(s, 0, size) : clamp(s, 0, size - 1);
      e = step > 0 ? clamp(e, 0, size) : clamp(e, -1, size - 1);
      dims[axis] = Math.max(0, Math.ceil((e - s) / step));
    });
    const value = x.dims.length === 1 ? sliceValue(x.value, starts, ends, steps) : undefined;
    return [{ dims, ...(value ? { value } : {}) }];
  },
  Squeeze(node, ins) {
    const x = ins[0];
    if (!known(x)) return undefined;
    const axes = axesOf(node, (i) => ins[i]);
    if (axes === null) return undefined;
    const drop = new Set(
      (axes ?? x.dims.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => normalizeAxis(a, x.dims.length)),
    );
    return [{ dims: x.dims.filter((_, i) => !drop.has(i)), ...(x.value ? { value: x.value } : {}) }];
  },
  Unsqueeze(node, ins) {
    const x = ins[0];
    if (!known(x)) return undefined;
    const axes = axesOf(node, (i) => ins[i]);
    if (!axes) return undefined;
    const rank = x.dims.length + axes.length;
    const at = new Set(axes.map((a) => normalizeAxis(a, rank)));
    const dims: number[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) dims.push(at.has(i) ? 1 : x.dims[j++]);
    return [{ dims, ...(x.value ? { value: x.value } : {}) }];
  },
  Resize(node, [x, , scales, sizes]) {
    if (!known(x)) return undefined;
    if (sizes?.value && sizes.value.length > 0)
      return [{ dims: resizedAxes(node, x.dims, sizes.value, true) }];
    if (scales?.value && scales.value.length > 0)
      return [{ dims: resizedAxes(node, x.dims, scales.value, false) }];
    return undefined;
  },
  Upsample(node, [x, scalesIn]) {
    if (!known(x)) return undefined;
    const scales = scalesIn?.value ?? (getAttr(node, 'scales') as number[] | undefined);
    if (!scales) return undefined;
    return [{ dims: x.dims.map((d, i) => Math.floor(d * scales[i])) }];
  },
  Pad(node, [x, padsIn]) {
    if (!known(x)) return undefined;
    const pads = node.input?.[1] ? padsIn?.value : (attrInts(node, 'pads') ?? attrInts(node, 'paddings'));
    if (!pads || node.input?.[3]) return undefined; // an axes input: rare, left to the probe
    const n = x.dims.length;
    return [{ dims: x.dims.map((d, i) => d + pads[i] + pads[i + n]) }];
  },
  Shape(node, [x]) {
    if (!known(x)) return undefined;
    const rank = x.dims.length;
    const start = normalizeAxis(attrInt(node, 'start', 0), rank);
    const endAttr = getAttr(node, 'end');
    const end = endAttr === undefined ? rank : normalizeAxis(endAttr as number, rank);
    const value = x.dims.slice(Math.max(0, start), Math.min(rank, end));
    return [{ type: INT64, dims: [value.length], value }];
  },
  Size(_node, [x]) {
    if (!known(x)) return [{ type: INT64, dims: [] }];
    return [{ type: INT64, dims: [], value: [product(x.dims)] }];
  },
  Gather(node, [data, indices]) {
    if (!known(data) || !known(indices)) return undefined;
    const axis = normalizeAxis(attrInt(node, 'axis', 0), data.dims.length);
    const dims = [...data.dims.slice(0, axis), ...indices.dims, ...data.dims.slice(axis + 1)];
    let value: number[] | undefined;
    if (data.value && indices.value && data.dims.length === 1) {
      const n = data.dims[0];
      value = indices.value.map((i) => data.value![i < 0 ? i + n : i]);
    }
    return [{ dims, ...(value ? { value } : {}) }];
  },
  Constant(node) {
    const tensor = getAttr(node, 'value');
    if (tensor && typeof tensor === 'object' && !Array.isArray(tensor)) return [tensorInfo(tensor)];
    const ints = getAttr(node, 'value_ints');
    if (Array.isArray(ints)) return [{ type: INT64, dims: [ints.length], value: ints as number[] }];
    const int = getAttr(node, 'value_int');
    if (typeof int === 'number') return [{ type: INT64, dims: [], value: [int] }];
    const floats = getAttr(node, 'value_floats');
    if (Array.isArray(floats)) return [{ type: FLOAT, dims: [floats.length], value: floats as number[] }];
    const float = getAttr(node, 'value_float');
    if (typeof float === 'number') return [{ type: FLOAT, dims: [], value: [float] }];
    return undefined;
  },
  ConstantOfShape(node, [shape]) {
    const tensor = getAttr(node, 'value');
    const type =
      tensor && typeof tensor === 'object' && !Array.isArray(tensor) ? (tensor.dataType ?? FLOAT) : FLOAT;
    if (!shape?.value) return [{ type }];
    const dims = shape.value;
    let value: number[] | undefined;
    if (
      INTEGER_TYPES.has(type) &&
      product(dims) <= MAX_FOLDED &&
      tensor &&
      typeof tensor === 'object' &&
      !Array.isArray(tensor)
    ) {
      const fill = (decodeTensor(tensor).data as number[])[0] ?? 0;
      value = new Array<number>(product(dims)).fill(fill);
    }
    return [{ type, dims, ...(value ? { value } : {}) }];
  },
  Expand(_node, [x, shape]) {
    if (!known(x) || !shape?.value) return undefined;
    const dims = broadcast([x.dims, shape.value]);
    return dims ? [{ dims }] : undefined;
  },
  Tile(_node, [x, repeats]) {
    if (!known(x) || !repeats?.value) return undefined;
    return [{ dims: x.dims.map((d, i) => d * repeats.value![i]) }];
  },
  Range(_node, [start, limit, delta]) {
    const [s, l, d] = [start?.value?.[0], limit?.value?.[0], delta?.value?.[0]];
    if (s === undefined || l === undefined || d === undefined) return undefined;
    const count = Math.max(Math.ceil((l - s) / d), 0);
    const value = count <= MAX_FOLDED ? Array.from({ length: count }, (_, i) => s + i * d) : undefined;
    return [{ dims: [count], ...(value ? { value } : {}) }];
  },
  DepthToSpace(node, [x]) {
    if (!known(x)) return undefined;
    const b = attrInt(node, 'blocksize', 1);
    const [n, c, h, w] = x.dims;
    return [{ dims: [n, c / (b * b), h * b, w * b] }];
  },
  SpaceToDepth(node, [x]) {
    if (!known(x)) return undefined;
    const b = attrInt(node, 'blocksize', 1);
    const [n, c, h, w] = x.dims;
    return [{ dims: [n, c * b * b, h / b, w / b] }];
  },
  ArgMax: argReduce,
  ArgMin: argReduce,
};

function argReduce(node: NodeProto, [x]: (InferredTensor | undefined)[]): InferredTensor[] | undefined {
  if (!known(x)) return [{ type: INT64 }];
  const axis = normalizeAxis(attrInt(node, 'axis', 0), x.dims.length);
  const keep = attrInt(node, 'keepdims', 1) === 1;
  const dims = keep ? x.dims.map((d, i) => (i === axis ? 1 : d)) : x.dims.filter((_, i) => i !== axis);
  return [{ type: INT64, dims }];
}

/** Resize output dims from `sizes` or `scales`, for all axes or the `axes` attribute's. */
function resizedAxes(node: NodeProto, dims: number[], given: number[], sizes: boolean): number[] {
  const axes = (attrInts(node, 'axes') ?? dims.map((_, i) => i)).map((a) => normalizeAxis(a, dims.length));
  const out = [...dims];
  axes.forEach((axis, i) => (out[axis] = sizes ? given[i] : Math.floor(dims[axis] * given[i])));
  return out;
}

function reduceRule(node: NodeProto, ins: (InferredTensor | undefined)[]): InferredTensor[] | undefined {
  const x = ins[0];
  if (!known(x)) return undefined;
  const axes = axesOf(node, (i) => ins[i]);
  if (axes === null) return undefined;
  const keep = attrInt(node, 'keepdims', 1) === 1;
  const noop = attrInt(node, 'noop_with_empty_axes', 0) === 1;
  if ((axes === undefined || axes.length === 0) && noop) return [{ dims: [...x.dims] }];
  const all = axes === undefined || axes.length === 0;
  const reduced = new Set(all ? x.dims.map((_, i) => i) : axes.map((a) => normalizeAxis(a, x.dims.length)));
  const dims = keep
    ? x.dims.map((d, i) => (reduced.has(i) ? 1 : d))
    : x.dims.filter((_, i) => !reduced.has(i));
  return [{ dims }];
}

function poolRule(node: NodeProto, [x]: (InferredTensor | undefined)[]): InferredTensor[] | undefined {
  if (!known(x)) return undefined;
  const kernel = attrInts(node, 'kernel_shape');
  if (!kernel) return undefined;
  const ceil = attrInt(node, 'ceil_mode', 0) === 1;
  const dims = [x.dims[0], x.dims[1], ...slidingDims(node, x.dims.slice(2), kernel, ceil)];
  return [{ dims }, { type: INT64, dims }];
}

/** Shapes of the outputs of one node, or undefined where they cannot be decided statically. */
function inferNode(node: NodeProto, ins: (InferredTensor | undefined)[]): InferredTensor[] | undefined {
  const op = node.opType ?? '';
  const x = ins[0];
  if (SAME_SHAPE.has(op)) {
    if (!known(x)) return undefined;
    const value = x.value ? foldUnary(node, x.value) : undefined;
    // Dropout's optional mask has the input's shape too.
    return nodeOutputs(node).map(() => ({ dims: [...x.dims], ...(value ? { value } : {}) }));
  }
  if (BROADCAST.has(op)) {
    if (!ins.every(known)) return undefined;
    const list = ins as (InferredTensor & { dims: number[] })[];
    const dims = broadcast(list.map((t) => t.dims));
    if (!dims) return undefined;
    const integer = list.every((t) => t.type !== undefined && INTEGER_TYPES.has(t.type));
    const value =
      list.length === 2 && list[0].value && list[1].value
        ? foldBinary(op, list[0].value, list[1].value, integer)
        : undefined;
    return [{ dims, ...(value && product(dims) === value.length ? { value } : {}) }];
  }
  if (REDUCE.has(op)) return reduceRule(node, ins);
  if (POOL.has(op)) return poolRule(node, ins);
  if (GLOBAL_POOL.has(op))
    return known(x) ? [{ dims: [...x.dims.slice(0, 2), ...x.dims.slice(2).map(() => 1)] }] : undefined;
  return RULES[op]?.(node, ins);
}

/** Element type of output `index` of `node`, from its op and its inputs' types. */
function outputType(node: NodeProto, index: number, ins: (InferredTensor | undefined)[]): number | undefined {
  const op = node.opType ?? '';
  if (op === 'Cast') return attrInt(node, 'to', FLOAT);
  if (op === 'CastLike') return ins[1]?.type;
  if (BOOLEAN_RESULT.has(op)) return BOOL;
  if (['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin'].includes(op)) return INT64;
  if ((op === 'MaxPool' || op === 'TopK') && index === 1) return INT64;
  if (op === 'Dropout' && index === 1) return BOOL;
  if (op === 'Where') return ins[1]?.type;
  if (op === 'DequantizeLinear') return FLOAT;
  if (op === 'QuantizeLinear') return ins[2]?.type ?? 2;
  if (op === 'Constant' || op === 'ConstantOfShape') return undefined; // from the rule
  return ins[0]?.type;
}

/**
 * Dims, element types and small integer values of every tensor of `graph` whose dims can be decided from
 * `feeds` (the graph inputs' element types and dims; dims may be undefined when not fixed) without running it.
 * Tensors missing from the result, or without `dims`, are unknown.
 */
export function inferShapes(
  graph: Graph,
  feeds: Record<string, { type: number; dims?: number[] }>,
): Map<string, InferredTensor> {
  const out = new Map<string, InferredTensor>();
  for (const init of graph.initializer ?? []) if (init.name) out.set(init.name, tensorInfo(init));
  for (const [name, feed] of Object.entries(feeds)) {
    out.set(name, { type: feed.type, ...(feed.dims ? { dims: [...feed.dims] } : {}) });
  }
  for (const node of topologicalNodes(graph)) {
    const ins = (node.input ?? []).map((name) => (name ? out.get(name) : undefined));
    const hasSubgraph = nodeInputs(node).length > (node.input ?? []).filter(Boolean).length;
    let results: InferredTensor[] | undefined;
    try {
      results = hasSubgraph ? undefined : inferNode(node, ins);
    } catch {
      results = undefined; // malformed attributes: leave it to the probe, which reports ONNX Runtime's words
    }
    (node.output ?? []).forEach((name, i) => {
      if (!name) return;
      const result = results?.[i] ?? {};
      const type = result.type ?? outputType(node, i, ins);
      const dims = result.dims?.every((d) => Number.isInteger(d) && d >= 0) ? result.dims : undefined;
      out.set(name, {
        ...(type !== undefined ? { type } : {}),
        ...(dims ? { dims } : {}),
        ...(dims && result.value && result.value.length === product(dims) ? { value: result.value } : {}),
      });
    });
  }
  return out;
}
