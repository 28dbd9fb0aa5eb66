/**
 * Reading the linear classifier that follows global average pooling of a layer — the architecture the
 * original CAM needs (layer → GAP → [Flatten/Reshape/Squeeze] → Gemm or MatMul [+ Add]). Returns the
 * weights so CAM can weight channels without any gradient; any other architecture is a clear
 * UnsupportedError naming the node that does not fit.
 */
import { UnsupportedError } from '../errors.js';
import type { LinearHead } from '../types.js';
import { consumersOf, findInitializer, producerOf } from './graph.js';
import {
  attrFloat,
  attrInt,
  attrInts,
  decodeTensor,
  getAttr,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from './proto.js';

type Graph = GraphProto | NonNullable<ModelProto['graph']>;

const PASS_THROUGH = new Set(['Flatten', 'Reshape', 'Squeeze', 'Identity', 'Dropout']);

function unsupported(layer: string, why: string): UnsupportedError {
  return new UnsupportedError(
    'UNSUPPORTED_MODEL',
    `CAM needs '${layer}' → global average pooling → one linear layer; ${why} (use Grad-CAM, which is equal to CAM on such networks and works on any)`,
  );
}

/** The value of a constant tensor (initializer, Constant node, or Identity of one), or undefined. */
function constantValue(
  graph: Graph,
  name: string,
): { dims: number[]; data: Float32Array | number[] } | undefined {
  const init = findInitializer(graph, name);
  if (init) return decodeTensor(init);
  const node = producerOf(graph, name);
  if (!node) return undefined;
  if (node.opType === 'Constant') {
    const value = getAttr(node, 'value');
    return value && typeof value === 'object' && !Array.isArray(value)
      ? decodeTensor(value as TensorProto)
      : undefined;
  }
  if (node.opType === 'Identity') return constantValue(graph, node.input?.[0] ?? '');
  return undefined;
}

function onlyConsumer(graph: Graph, tensor: string, layer: string): NodeProto {
  const consumers = consumersOf(graph, tensor);
  if (consumers.length !== 1) {
    throw unsupported(layer, `'${tensor}' feeds ${consumers.length} nodes, expected exactly one`);
  }
  return consumers[0];
}

function isGlobalMean(graph: Graph, node: NodeProto, rank: number, layout: 'NCHW' | 'NHWC'): boolean {
  if (node.opType === 'GlobalAveragePool') return layout === 'NCHW';
  if (node.opType !== 'ReduceMean') return false;
  const fromInput = node.input?.[1] ? constantValue(graph, node.input[1])?.data : undefined;
  const axes = (attrInts(node, 'axes') ?? (fromInput ? Array.from(fromInput) : undefined))?.map((a) =>
    a < 0 ? a + rank : a,
  );
  const spatial = layout === 'NCHW' ? [2, 3] : [1, 2];
  return axes !== undefined && axes.length === 2 && spatial.every((a) => axes.includes(a));
}

export function linearHeadAfter(
  model: ModelProto,
  layer: string,
  channels: number,
  layout: 'NCHW' | 'NHWC' = 'NCHW',
): LinearHead {
  const graph = model.graph;
  if (!graph) throw unsupported(layer, 'the model has no graph');
  const pool = onlyConsumer(graph, layer, layer);
  if (!isGlobalMean(graph, pool, 4, layout)) {
    throw unsupported(
      layer,
      `it is followed by ${pool.opType} '${pool.name ?? ''}', not global average pooling`,
    );
  }
  let tensor = pool.output?.[0] ?? '';
  let node = onlyConsumer(graph, tensor, layer);
  while (PASS_THROUGH.has(node.opType ?? '')) {
    tensor = node.output?.[0] ?? '';
    node = onlyConsumer(graph, tensor, layer);
  }

  let weights: Float32Array; // [outputs, channels]
  let bias: Float32Array;
  let outputs: number;
  let output = node.output?.[0] ?? '';
  const where = `${node.opType} '${node.name ?? ''}'`;
  if (node.opType === 'Gemm') {
    if (node.input?.[0] !== tensor || attrInt(node, 'transA', 0) !== 0) {
      throw unsupported(
        layer,
        `${where} does not take the pooled features as its (untransposed) first input`,
      );
    }
    const b = constantValue(graph, node.input?.[1] ?? '');
    if (!b || b.dims.length !== 2) throw unsupported(layer, `${where} has no constant 2-D weight`);
    const transB = attrInt(node, 'transB', 0) === 1;
    const [rows, cols] = b.dims;
    outputs = transB ? rows : cols;
    const inner = transB ? cols : rows;
    if (inner !== channels)
      throw unsupported(layer, `${where} takes ${inner} features, the layer has ${channels} channels`);
    const alpha = attrFloat(node, 'alpha', 1);
    const beta = attrFloat(node, 'beta', 1);
    weights = new Float32Array(outputs * channels);
    for (let k = 0; k < outputs; k++) {
      for (let c = 0; c < channels; c++) {
        weights[k * channels + c] = alpha * Number(transB ? b.data[k * cols + c] : b.data[c * cols + k]);
      }
    }
    bias = new Float32Array(outputs);
    const cName = node.input?.[2];
    if (cName) {
      const c = constantValue(graph, cName);
      if (!c) throw unsupported(layer, `${where} has a non-constant bias`);
      for (let k = 0; k < outputs; k++) bias[k] = beta * Number(c.data.length === 1 ? c.data[0] : c.data[k]);
    }
  } else if (node.opType === 'MatMul') {
    if (node.input?.[0] !== tensor)
      throw unsupported(layer, `${where} does not take the pooled features first`);
    const b = constantValue(graph, node.input?.[1] ?? '');
    if (!b || b.dims.length !== 2 || b.dims[0] !== channels) {
      throw unsupported(layer, `${where} has no constant [${channels}, outputs] weight`);
    }
    outputs = b.dims[1];
    weights = new Float32Array(outputs * channels);
    for (let k = 0; k < outputs; k++)
      for (let c = 0; c < channels; c++) weights[k * channels + c] = Number(b.data[c * outputs + k]);
    bias = new Float32Array(outputs);
    const next = consumersOf(graph, output);
    if (next.length === 1 && next[0].opType === 'Add') {
      const other = next[0].input?.find((n) => n !== output) ?? '';
      const c = constantValue(graph, other);
      if (c && (c.data.length === outputs || c.data.length === 1)) {
        for (let k = 0; k < outputs; k++) bias[k] = Number(c.data.length === 1 ? c.data[0] : c.data[k]);
        output = next[0].output?.[0] ?? output;
      }
    }
  } else {
    throw unsupported(layer, `the pooled features go into ${where}, not a linear layer`);
  }
  return { weights, bias, outputs, channels, output };
}
