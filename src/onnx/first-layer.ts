/**
 * The affine first layer of a table model: its input passing through per-feature affine ops by constants (the
 * recorded preprocessing: Sub, Div, Mul, Add) into a first Gemm or MatMul by a constant weight. Such a layer's
 * output is exactly layer(x) = offset + Σ_f x_f · weight[f, ·] of the raw input x, which is what lets the
 * coalition graph build the layer's output of every coalition row from its parts instead of the rows.
 */
import { consumersOf, findInitializer, producerOf } from './graph.js';
import {
  attrFloat,
  attrInt,
  decodeTensor,
  getAttr,
  onnx,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from './proto.js';

type Graph = NonNullable<ModelProto['graph']>;

export interface AffineFirstLayer {
  /** The nodes from the input to the layer's output (the affine chain, then the Gemm or MatMul), in order. */
  nodes: NodeProto[];
  /** The layer's output [N, H]. */
  output: string;
  hidden: number;
  /** weight[f·H + h]: ∂ output[h] / ∂ x_f, the chain's scales and Gemm's alpha folded in. */
  weight: Float64Array;
  /** offset[h]: the output at x = 0, Gemm's bias and the chain's shifts folded in. */
  offset: Float64Array;
}

const AFFINE_OPS = new Set(['Add', 'Sub', 'Mul', 'Div']);

/** Float data of a constant (an initializer or a Constant node's value); undefined for anything else. */
function constantOf(graph: Graph, name: string): { dims: number[]; data: Float32Array } | undefined {
  let tensor: TensorProto | undefined = findInitializer(graph, name);
  if (!tensor) {
    const node = producerOf(graph, name);
    const value = node?.opType === 'Constant' ? getAttr(node, 'value') : undefined;
    if (value && typeof value === 'object' && !Array.isArray(value)) tensor = value;
  }
  if (!tensor) return undefined;
  // Data netlens does not read itself (external data) leaves the layer to the model: the graph builds the rows.
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) return undefined;
  const decoded = decodeTensor(tensor);
  return decoded.data instanceof Float32Array ? { dims: decoded.dims, data: decoded.data } : undefined;
}

/** A per-feature constant of an affine op ([], [1], [F] or [1, F]) as F numbers; undefined if it broadcasts otherwise. */
function perFeature(constant: { dims: number[]; data: Float32Array }, m: number): Float64Array | undefined {
  const { dims, data } = constant;
  if (dims.length > 2 || (dims.length === 2 && dims[0] !== 1)) return undefined;
  if (data.length === 1) return new Float64Array(m).fill(data[0]);
  return data.length === m ? Float64Array.from(data) : undefined;
}

/** The only consumer of `tensor`, where it has one and is not a graph output. */
function soleConsumer(graph: Graph, tensor: string): NodeProto | undefined {
  if ((graph.output ?? []).some((o) => o.name === tensor)) return undefined;
  const consumers = consumersOf(graph, tensor);
  return consumers.length === 1 ? consumers[0] : undefined;
}

/**
 * The affine first layer of `input` ([N, F], F = `m`), or undefined when the input does not pass through one
 * (another op, a constant that is not per feature, a tensor read twice, a Gemm with transA).
 */
export function affineFirstLayer(model: ModelProto, input: string, m: number): AffineFirstLayer | undefined {
  const graph = model.graph;
  if (!graph) return undefined;
  const scale = new Float64Array(m).fill(1);
  const shift = new Float64Array(m);
  const nodes: NodeProto[] = [];
  let current = input;
  for (;;) {
    const node = soleConsumer(graph, current);
    if (!node || (node.output ?? []).length !== 1) return undefined;
    const [a, b] = node.input ?? [];
    if (node.opType && AFFINE_OPS.has(node.opType)) {
      if ((node.input ?? []).length !== 2 || a === b) return undefined;
      const first = a === current;
      const raw = constantOf(graph, first ? b : a);
      const c = raw && perFeature(raw, m);
      if (!c) return undefined;
      // x' = scale·x + shift, then the op: the map stays affine in x.
      const op = node.opType;
      if (op === 'Div' && (!first || c.some((v) => v === 0))) return undefined; // c / x, or x / 0
      for (let f = 0; f < m; f++) {
        const factor = op === 'Mul' ? c[f] : op === 'Div' ? 1 / c[f] : op === 'Sub' && !first ? -1 : 1;
        const add = op === 'Add' ? c[f] : op === 'Sub' ? (first ? -c[f] : c[f]) : 0;
        scale[f] *= factor;
        shift[f] = shift[f] * factor + add;
      }
      nodes.push(node);
      current = node.output![0];
      continue;
    }
    if (a !== current) return undefined;
    const layer =
      node.opType === 'Gemm'
        ? gemmLayer(graph, node, m)
        : node.opType === 'MatMul'
          ? matMulLayer(graph, node, m)
          : undefined;
    if (!layer) return undefined;
    const { weight: w, bias, hidden: h } = layer;
    // layer(x) = bias + Σ_f (scale_f x_f + shift_f) w[f, h].
    const weight = new Float64Array(m * h);
    const offset = Float64Array.from(bias);
    for (let f = 0; f < m; f++) {
      for (let j = 0; j < h; j++) {
        weight[f * h + j] = scale[f] * w[f * h + j];
        offset[j] += shift[f] * w[f * h + j];
      }
    }
    nodes.push(node);
    return { nodes, output: node.output![0], hidden: h, weight, offset };
  }
}

interface LinearLayer {
  hidden: number;
  /** [F, H], alpha folded in. */
  weight: Float64Array;
  bias: Float64Array;
}

function gemmLayer(graph: Graph, node: NodeProto, m: number): LinearLayer | undefined {
  const [, b, c] = node.input ?? [];
  if (attrInt(node, 'transA', 0) !== 0) return undefined;
  const transB = attrInt(node, 'transB', 0) !== 0;
  const alpha = attrFloat(node, 'alpha', 1);
  const beta = attrFloat(node, 'beta', 1);
  const weights = b ? constantOf(graph, b) : undefined;
  if (!weights || weights.dims.length !== 2) return undefined;
  const [rows, cols] = weights.dims;
  if ((transB ? cols : rows) !== m) return undefined;
  const h = transB ? rows : cols;
  const weight = new Float64Array(m * h);
  for (let f = 0; f < m; f++) {
    for (let j = 0; j < h; j++) weight[f * h + j] = alpha * weights.data[transB ? j * m + f : f * h + j];
  }
  const bias = new Float64Array(h);
  if (c) {
    const constant = constantOf(graph, c);
    if (!constant || constant.dims.length > 2 || (constant.dims.length === 2 && constant.dims[0] !== 1))
      return undefined;
    if (constant.data.length !== 1 && constant.data.length !== h) return undefined;
    for (let j = 0; j < h; j++) bias[j] = beta * constant.data[constant.data.length === 1 ? 0 : j];
  }
  return { hidden: h, weight, bias };
}

function matMulLayer(graph: Graph, node: NodeProto, m: number): LinearLayer | undefined {
  const [, b] = node.input ?? [];
  const weights = b ? constantOf(graph, b) : undefined;
  if (!weights || weights.dims.length !== 2 || weights.dims[0] !== m) return undefined;
  return {
    hidden: weights.dims[1],
    weight: Float64Array.from(weights.data),
    bias: new Float64Array(weights.dims[1]),
  };
}
