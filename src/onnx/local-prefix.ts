/**
 * The spatially local prefix of an image network: the ops from an NCHW input up to the first op that mixes
 * space globally (a global pool, a flatten, a matrix product, ...), every one of them a convolution, a pool or
 * an op that works pixel by pixel, with static strides and pads. Inside such a prefix a cell of a tensor depends
 * only on a rectangle of input pixels (its receptive field), so a change inside a window of the input changes
 * only a known rectangle of cells (its footprint), and the prefix run on a crop of the input gives the exact
 * values of the cells whose receptive field the crop holds. Incremental perturbation methods read this.
 */
import { ModelError } from '../errors.js';
import {
  cutAt,
  findInitializer,
  nodeInputs,
  nodeOutputs,
  selectOutputs,
  topologicalNodes,
  valueDownstreamOf,
} from './graph.js';
import { attrInt, attrInts, attrString, makeValueInfo, type ModelProto, type NodeProto } from './proto.js';

/**
 * Where the cells of a tensor look along one spatial axis: cell j depends on the input pixels
 * [start + j·stride, start + j·stride + extent) (cut to the image; positions outside it are padding).
 */
export interface AxisGeometry {
  stride: number;
  start: number;
  extent: number;
  /** Cells along the axis at the model's input size. */
  size: number;
}

export interface PrefixCut {
  /** The tensor the prefix ends at: everything after it reads the input only through it. */
  layer: string;
  /** Item dims [C, H, W] at the model's input size. */
  dims: [number, number, number];
  rows: AxisGeometry;
  cols: AxisGeometry;
  /** Estimated multiply-adds per image of each prefix node, with the strides of its output. */
  prefixNodes: { cost: number; rowStride: number; colStride: number }[];
  /** Estimated multiply-adds per image of everything after the cut. */
  tailCost: number;
  /** Geometry of this cut's cells over the cells of each earlier cut (keyed by that cut's layer). */
  from: Record<string, { rows: AxisGeometry; cols: AxisGeometry }>;
}

export interface LocalPrefix {
  input: string;
  height: number;
  width: number;
  /** Estimated multiply-adds per image of the whole network. */
  totalCost: number;
  /** Cut candidates in topological order (possibly none). */
  cuts: PrefixCut[];
  /** Why the prefix ends where it does (the first op that is not spatially local). */
  endsAt: string;
}

/** Ops that compute each output pixel from the same pixel of their inputs. */
const POINTWISE = new Set([
  'Relu',
  'Clip',
  'LeakyRelu',
  'PRelu',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Elu',
  'Selu',
  'Softplus',
  'Softsign',
  'Exp',
  'Log',
  'Neg',
  'Abs',
  'Sqrt',
  'Erf',
  'Gelu',
  'Mish',
  'Identity',
  'Dropout',
  'BatchNormalization',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Max',
  'Min',
  'Sum',
  'Mean',
]);
/**
 * Estimated cost of writing one output element, in multiply-adds: elementwise ops and depthwise convolutions are
 * bound by memory traffic, not arithmetic (on MobileNetV2 the first quarter of the multiply-adds, at high
 * resolution, takes about 40 % of the runtime's time).
 */
const OUTPUT_COST = 8;
/** Ops with a sliding window over H and W. */
const WINDOWED = new Set(['Conv', 'MaxPool', 'AveragePool']);

interface Geometry {
  rows: AxisGeometry;
  cols: AxisGeometry;
}

type Shapes = Readonly<Record<string, readonly number[]>>;

function itemSize(dims: readonly number[] | undefined): number {
  return dims ? dims.slice(1).reduce((a, d) => a * Math.max(d, 1), 1) : 0;
}

/** Along one axis, a window op's output from its input: kernel k, stride, pad before, dilation. */
function windowAxis(
  g: AxisGeometry,
  k: number,
  stride: number,
  pad: number,
  dilation: number,
  size: number,
): AxisGeometry {
  return {
    stride: g.stride * stride,
    start: g.start - pad * g.stride,
    extent: g.extent + dilation * (k - 1) * g.stride,
    size,
  };
}

/** Whether a constant operand broadcasts over H and W as one value (per channel at most). */
function spatiallyConstant(dims: readonly number[] | undefined): boolean {
  if (!dims) return false;
  const r = dims.length;
  if (r === 0) return true;
  if (r === 1) return dims[0] === 1;
  return dims[r - 1] === 1 && dims[r - 2] === 1;
}

/**
 * The local prefix of `model` from `input` ([N, C, H, W]; `shapes` holds every tensor's dims, batch as -1 or a
 * number). Undefined when the input is not a rank-4 tensor with fixed H and W.
 */
export function localPrefix(model: ModelProto, input: string, shapes: Shapes): LocalPrefix | undefined {
  const graph = model.graph;
  const inputDims = shapes[input];
  if (!graph || !inputDims || inputDims.length !== 4 || !(inputDims[2] > 0 && inputDims[3] > 0))
    return undefined;
  const [height, width] = [inputDims[2], inputDims[3]];
  const dependent = valueDownstreamOf(graph, [input]);
  const dimsOf = (name: string): readonly number[] | undefined =>
    shapes[name] ?? findInitializer(graph, name)?.dims?.map(Number);
  const nodes = topologicalNodes(graph).filter((n) => nodeInputs(n).some((t) => dependent.has(t)));

  const geometry = new Map<string, Geometry>([
    [
      input,
      {
        rows: { stride: 1, start: 0, extent: 1, size: height },
        cols: { stride: 1, start: 0, extent: 1, size: width },
      },
    ],
  ]);
  const costOf = new Map<NodeProto, number>();
  const outputGeometry = new Map<NodeProto, Geometry>();
  let endsAt = '';
  for (const node of nodes) {
    const out = nodeOutputs(node)[0] ?? '';
    const outDims = shapes[out];
    const local = localGeometry(node, geometry, dependent, dimsOf, outDims);
    const op = node.opType ?? '';
    // Multiply-adds, plus the memory traffic of every output element (what cheap ops cost).
    let cost = itemSize(outDims);
    if (op === 'Conv')
      cost *= OUTPUT_COST + itemSize(dimsOf(node.input?.[1] ?? '')); // Cin/group · kh · kw per output
    else if (WINDOWED.has(op))
      cost *= OUTPUT_COST + (attrInts(node, 'kernel_shape') ?? [1]).reduce((a, k) => a * k, 1);
    else cost *= OUTPUT_COST;
    costOf.set(node, Math.max(cost, 1));
    if (typeof local === 'string') {
      if (!endsAt && local) endsAt = `${op} '${node.name || out}' (${local})`;
      continue;
    }
    geometry.set(out, local);
    outputGeometry.set(node, local);
  }
  let totalCost = 0;
  for (const c of costOf.values()) totalCost += c;

  const cuts: PrefixCut[] = [];
  for (const node of nodes) {
    const g = outputGeometry.get(node);
    const layer = nodeOutputs(node)[0];
    const dims = shapes[layer];
    if (!g || !dims || dims.length !== 4 || nodeOutputs(node).length !== 1) continue;
    const prefix = articulationPrefix(graph, nodes, layer, dependent, input);
    if (!prefix) continue;
    let prefixCost = 0;
    const prefixNodes = prefix.map((n) => {
      const ng = outputGeometry.get(n) as Geometry;
      prefixCost += costOf.get(n) ?? 0;
      return { cost: costOf.get(n) ?? 0, rowStride: ng.rows.stride, colStride: ng.cols.stride };
    });
    cuts.push({
      layer,
      dims: [dims[1], dims[2], dims[3]],
      rows: g.rows,
      cols: g.cols,
      prefixNodes,
      tailCost: totalCost - prefixCost,
      from: {},
    });
  }
  // Geometry of each cut over each earlier one: propagate from the earlier cut as if it were the input.
  for (const [i, source] of cuts.entries()) {
    const unit = (size: number): AxisGeometry => ({ stride: 1, start: 0, extent: 1, size });
    const seen = new Map<string, Geometry>([
      [source.layer, { rows: unit(source.dims[1]), cols: unit(source.dims[2]) }],
    ]);
    for (const node of nodes) {
      const out = nodeOutputs(node)[0] ?? '';
      if (seen.has(out)) continue;
      const local = localGeometry(node, seen, dependent, dimsOf, shapes[out]);
      if (typeof local !== 'string') seen.set(out, local);
    }
    for (const later of cuts.slice(i + 1)) {
      const g = seen.get(later.layer);
      if (g) later.from[source.layer] = g;
    }
  }
  return { input, height, width, totalCost, cuts, endsAt: endsAt || 'the graph has no op that mixes space' };
}

/**
 * Geometry of a node's output where the node is spatially local; otherwise a reason (or '' when the node simply
 * reads a tensor that is already outside the prefix).
 */
function localGeometry(
  node: NodeProto,
  geometry: ReadonlyMap<string, Geometry>,
  dependent: ReadonlySet<string>,
  dimsOf: (name: string) => readonly number[] | undefined,
  outDims: readonly number[] | undefined,
): Geometry | string {
  const op = node.opType ?? '';
  const inputs = (node.input ?? []).filter((n) => n !== '');
  const varying = inputs.filter((n) => dependent.has(n));
  if (varying.some((n) => !geometry.has(n))) return '';
  if (!outDims || outDims.length !== 4) return 'output is not [N, C, H, W]';
  const [outH, outW] = [outDims[2], outDims[3]];
  if (POINTWISE.has(op)) {
    if (
      op === 'BatchNormalization' &&
      (varying.length !== 1 || varying[0] !== inputs[0] || attrInt(node, 'training_mode', 0))
    )
      return 'batch statistics';
    for (const c of inputs.filter((n) => !dependent.has(n))) {
      if (op !== 'BatchNormalization' && op !== 'Clip' && !spatiallyConstant(dimsOf(c)))
        return `constant '${c}' varies over space`;
    }
    const gs = varying.map((n) => geometry.get(n) as Geometry);
    if (gs.some((g) => g.rows.size !== outH || g.cols.size !== outW)) return 'inputs broadcast over space';
    return unionGeometry(gs, outH, outW);
  }
  if (op === 'Concat') {
    if (attrInt(node, 'axis', 0) !== 1 && attrInt(node, 'axis', 0) !== -3) return 'concatenates along space';
    if (varying.length !== inputs.length) return 'concatenates a constant';
    return unionGeometry(
      varying.map((n) => geometry.get(n) as Geometry),
      outH,
      outW,
    );
  }
  if (WINDOWED.has(op)) {
    if (varying.length !== 1 || varying[0] !== inputs[0]) return 'weights computed from the input';
    const autoPad = attrString(node, 'auto_pad', 'NOTSET');
    if (autoPad !== 'NOTSET' && autoPad !== 'VALID') return `auto_pad ${autoPad} depends on the input size`;
    const weightDims = op === 'Conv' ? dimsOf(inputs[1]) : undefined;
    const kernel = attrInts(node, 'kernel_shape') ?? weightDims?.slice(2);
    if (!kernel || kernel.length !== 2) return 'not a 2-D window';
    const strides = attrInts(node, 'strides') ?? [1, 1];
    const pads = autoPad === 'VALID' ? [0, 0, 0, 0] : (attrInts(node, 'pads') ?? [0, 0, 0, 0]);
    const dilations = attrInts(node, 'dilations') ?? [1, 1];
    const g = geometry.get(inputs[0]) as Geometry;
    return {
      rows: windowAxis(g.rows, kernel[0], strides[0], pads[0], dilations[0], outH),
      cols: windowAxis(g.cols, kernel[1], strides[1], pads[1], dilations[1], outW),
    };
  }
  return 'mixes space';
}

/** The footprint of a node that combines several inputs at one stride: the union of theirs; else a reason. */
function unionGeometry(gs: readonly Geometry[], outH: number, outW: number): Geometry | string {
  if (gs.some((g) => g.rows.stride !== gs[0].rows.stride || g.cols.stride !== gs[0].cols.stride))
    return 'inputs at different strides';
  const merge = (axis: 'rows' | 'cols', size: number): AxisGeometry => {
    const start = Math.min(...gs.map((g) => g[axis].start));
    const end = Math.max(...gs.map((g) => g[axis].start + g[axis].extent));
    return { stride: gs[0][axis].stride, start, extent: end - start, size };
  };
  return { rows: merge('rows', outH), cols: merge('cols', outW) };
}

/**
 * The prefix nodes of `layer` (its input-dependent ancestors and its producer, in order) where every other
 * input-dependent node reads the input only through `layer`; undefined otherwise (a skip connection around it).
 */
function articulationPrefix(
  graph: NonNullable<ModelProto['graph']>,
  nodes: readonly NodeProto[],
  layer: string,
  dependent: ReadonlySet<string>,
  input: string,
): NodeProto[] | undefined {
  const producers = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of nodeOutputs(n)) producers.set(o, n);
  const ancestors = new Set<NodeProto>();
  const pending = [layer];
  while (pending.length > 0) {
    const node = producers.get(pending.pop() as string);
    if (!node || ancestors.has(node)) continue;
    ancestors.add(node);
    pending.push(...nodeInputs(node).filter((t) => dependent.has(t)));
  }
  // The input itself counts as before the cut: e.g. a Shape of it read by the head.
  const before = new Set<string>([input]);
  for (const n of ancestors) for (const o of nodeOutputs(n)) if (o !== layer) before.add(o);
  for (const n of nodes) {
    if (ancestors.has(n)) continue;
    if (nodeInputs(n).some((t) => before.has(t))) return undefined;
  }
  // A prefix tensor that is itself a graph output would be lost by the cut.
  if ((graph.output ?? []).some((o) => before.has(o.name ?? ''))) return undefined;
  return nodes.filter((n) => ancestors.has(n));
}

/** Cells [first, last] of an axis whose receptive field meets the input range [from, to). */
export function footprint(g: AxisGeometry, from: number, to: number): [number, number] {
  const first = Math.max(0, Math.floor((from - g.extent - g.start) / g.stride) + 1);
  const last = Math.min(g.size - 1, Math.ceil((to - g.start) / g.stride) - 1);
  return [first, last];
}

/** The input pixels [from, to) that cells [first, last] of an axis read, cut to the input's `length`. */
export function receptiveRange(
  g: AxisGeometry,
  [first, last]: [number, number],
  length: number,
): [number, number] {
  return [Math.max(0, g.start + first * g.stride), Math.min(length, g.start + last * g.stride + g.extent)];
}

/**
 * A piece of the network as a model of its own: from `from` (the input or a cut) to `to`. With `size` left out
 * (`to` a later cut) H and W of its input are symbolic, so that it runs on crops of any size, and the recorded
 * shapes of intermediate tensors, which hold the full size, are dropped; with `size` it is the tail from a cut
 * on full maps of that size.
 */
export function localSegment(
  model: ModelProto,
  input: string,
  from: string,
  to: string,
  channels: number,
  size?: readonly [number, number],
): ModelProto {
  const shape = ['local_batch', channels, ...(size ?? ['local_height', 'local_width'])];
  const cut = from === input ? selectOutputs(model, [to]) : cutAt(model, from, [to], shape);
  const graph = cut.graph;
  if (!graph) throw new ModelError('INVALID_MODEL', `the network from '${from}' to '${to}' has no graph`);
  if (size) return cut;
  if (from === input) {
    const declared = graph.input?.find((v) => v.name === input);
    if (!declared)
      throw new ModelError('INVALID_MODEL', `the network up to '${to}' does not read '${input}'`);
    graph.input = [makeValueInfo(input, shape, declared.type?.tensorType?.elemType ?? undefined)];
  }
  graph.valueInfo = [];
  graph.output = [{ name: to }];
  return cut;
}
