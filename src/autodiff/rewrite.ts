/**
 * Forward-graph rewrites applied to the VJP graph's own copy of the model: they leave the value of every
 * tensor a caller can ask for unchanged and make the backward pass cheaper.
 */
import {
  DataType,
  attrFloat,
  attrInt,
  attrInts,
  attrString,
  decodeTensor,
  floatTensor,
  makeAttr,
  opsetVersion,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from '../onnx/proto.js';
import { findInitializer } from '../onnx/graph.js';
import type { BackpropRule } from '../types.js';

/** Whether a pool's windows overlap along some axis (extent past the stride). */
export function overlaps(pool: NodeProto): boolean {
  const kernel = attrInts(pool, 'kernel_shape') ?? [];
  const strides = attrInts(pool, 'strides') ?? kernel.map(() => 1);
  const dilations = attrInts(pool, 'dilations') ?? kernel.map(() => 1);
  return kernel.some((k, i) => (k - 1) * dilations[i] + 1 > strides[i]);
}

/**
 * MaxPool(Relu(x)) → Relu(MaxPool(x)). Both are equal (ReLU is monotone; MaxPool pads with −∞), and the
 * argmax of a window with a positive maximum is the same element either way, so the exact gradient is
 * unchanged. Guided backprop and deconvnet act on the *summed* gradient of an input element, which differs
 * from per-window action where windows overlap: for those rules only non-overlapping pools are rewritten.
 * Afterwards the ReLU and its backward mask run on the pooled tensor (a quarter of the size for 2x2 pools).
 * Only when the ReLU output feeds nothing but that MaxPool and is not in `keep`.
 */
export function poolBeforeRelu(
  model: ModelProto,
  rule: BackpropRule,
  keep: ReadonlySet<string>,
  shapes: Record<string, number[]>,
): void {
  const nodes = model.graph?.node ?? [];
  const names = new Set<string>();
  for (const n of nodes) for (const t of [...(n.input ?? []), ...(n.output ?? [])]) names.add(t);
  const uses = new Map<string, number>();
  for (const n of nodes) for (const i of n.input ?? []) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of model.graph?.output ?? []) if (o.name) uses.set(o.name, (uses.get(o.name) ?? 0) + 1);
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) if (o) producer.set(o, n);
  for (const pool of nodes) {
    if (pool.opType !== 'MaxPool' || (pool.output ?? []).filter((o) => o).length !== 1) continue;
    const relu = producer.get(pool.input?.[0] ?? '');
    const activated = relu?.output?.[0];
    if (!relu || relu.opType !== 'Relu' || !activated || keep.has(activated) || uses.get(activated) !== 1) {
      continue;
    }
    if (rule !== 'gradient' && overlaps(pool)) continue;
    // Swap the two nodes' roles in place: relu's slot computes the pool of x into a new tensor, pool's slot
    // its ReLU into the pool's old output. Node order stays topological.
    const [x] = relu.input!;
    const pooled = pool.output![0];
    let between = `${pooled}/before_relu`;
    while (names.has(between)) between += '_';
    names.add(between);
    if (shapes[pooled]) shapes[between] = shapes[pooled];
    const poolAttrs = pool.attribute;
    const poolName = pool.name;
    relu.opType = 'MaxPool';
    relu.attribute = poolAttrs;
    relu.input = [x];
    relu.output = [between];
    pool.opType = 'Relu';
    pool.attribute = [];
    pool.input = [between];
    pool.output = [pooled];
    [relu.name, pool.name] = [poolName, relu.name];
  }
}

/** Integer values of an initializer or Constant node, or undefined when the tensor is computed. */
function constantInts(model: ModelProto, name: string): number[] | undefined {
  const stored: TensorProto | undefined =
    model.graph?.initializer?.find((t) => t.name === name) ??
    model.graph?.node
      ?.find((n) => n.opType === 'Constant' && n.output?.[0] === name)
      ?.attribute?.find((a) => a.name === 'value')?.t ??
    undefined;
  if (!stored) return undefined;
  const { data } = decodeTensor(stored);
  return Array.from(data);
}

/** The spatial pads [begin…, end…] of a zero-padding Pad that leaves batch and channels alone, else undefined. */
function zeroSpatialPads(model: ModelProto, pad: NodeProto): number[] | undefined {
  if (attrString(pad, 'mode', 'constant') !== 'constant') return undefined;
  const [, padsName, valueName, axesName] = pad.input ?? [];
  if (axesName) return undefined;
  let pads: number[] | undefined;
  if (opsetVersion(model) >= 11) {
    if (valueName) {
      const value = model.graph?.initializer?.find((t) => t.name === valueName);
      if (!value || Array.from(decodeTensor(value).data).some((v) => v !== 0)) return undefined;
    }
    pads = padsName ? constantInts(model, padsName) : undefined;
  } else {
    if ((pad.attribute ?? []).some((a) => a.name === 'value' && (a.f ?? 0) !== 0)) return undefined;
    pads = attrInts(pad, 'pads');
  }
  if (!pads || pads.length < 6 || pads.some((p) => p < 0)) return undefined;
  const rank = pads.length / 2;
  if (pads[0] || pads[1] || pads[rank] || pads[rank + 1]) return undefined;
  return [...pads.slice(2, rank), ...pads.slice(rank + 2)];
}

/**
 * Pad(x, zeros) → Conv becomes one Conv with the pads added to its own (Keras' ZeroPadding2D before a strided
 * convolution, as converted from TF.js). Same values (ONNX Runtime fuses the pair the same way in the
 * forward pass), and the backward pass loses the crop that undid the Pad. Only when the padded tensor feeds
 * nothing but that Conv, which pads explicitly (no auto_pad), and is not in `keep`.
 */
export function padIntoConv(model: ModelProto, keep: ReadonlySet<string>): void {
  const graph = model.graph;
  if (!graph?.node) return;
  const uses = new Map<string, number>();
  for (const n of graph.node) for (const i of n.input ?? []) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of graph.output ?? []) if (o.name) uses.set(o.name, (uses.get(o.name) ?? 0) + 1);
  const removed = new Set<NodeProto>();
  for (const conv of graph.node) {
    if (conv.opType !== 'Conv' || attrString(conv, 'auto_pad', 'NOTSET') !== 'NOTSET') continue;
    const padded = conv.input?.[0] ?? '';
    const pad = graph.node.find((n) => n.opType === 'Pad' && n.output?.[0] === padded);
    if (!pad || keep.has(padded) || uses.get(padded) !== 1) continue;
    const extra = zeroSpatialPads(model, pad);
    const spatial = extra ? extra.length / 2 : 0;
    const own = attrInts(conv, 'pads') ?? new Array<number>(2 * spatial).fill(0);
    const kernel = attrInts(conv, 'kernel_shape');
    const dilations = attrInts(conv, 'dilations') ?? kernel?.map(() => 1);
    if (!extra || !kernel || !dilations || own.length !== extra.length) continue;
    // Pads beyond the kernel's reach would make windows of padding only; leave such graphs as they are.
    const combined = own.map((p, i) => p + extra[i]);
    if (combined.some((p, i) => p > (kernel[i % spatial] - 1) * dilations[i % spatial])) continue;
    conv.attribute = [...(conv.attribute ?? []).filter((a) => a.name !== 'pads'), makeAttr('pads', combined)];
    conv.input![0] = pad.input![0];
    removed.add(pad);
  }
  graph.node = graph.node.filter((n) => !removed.has(n));
}

/** A float initializer's values and dims, or undefined when the tensor is computed or not float. */
function floatInitializer(model: ModelProto, name: string | undefined) {
  const stored = name && model.graph ? findInitializer(model.graph, name) : undefined;
  if (!stored || (stored.dataType ?? DataType.FLOAT) !== DataType.FLOAT) return undefined;
  const { data, dims } = decodeTensor(stored);
  return { data: Float32Array.from(data), dims };
}

/**
 * Conv → inference BatchNormalization becomes one Conv with the normalization folded into its weights and
 * bias, computed in float32 in the order ONNX Runtime's own Conv+BN fusion uses (so the forward values are
 * those of the model's fused forward pass). The backward pass then has no per-channel `Mul` at full size
 * before each adjoint convolution: ONNX Runtime folds a constant `Mul` after a Conv, not one before it. Only
 * for constant weights and statistics, a Conv output that feeds nothing but the normalization and is not in
 * `keep`, and a normalization whose running-statistics outputs are unused.
 */
export function batchNormIntoConv(model: ModelProto, keep: ReadonlySet<string>): void {
  const graph = model.graph;
  if (!graph?.node) return;
  const uses = new Map<string, number>();
  for (const n of graph.node) for (const i of n.input ?? []) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of graph.output ?? []) if (o.name) uses.set(o.name, (uses.get(o.name) ?? 0) + 1);
  const producer = new Map<string, NodeProto>();
  for (const n of graph.node) for (const o of n.output ?? []) if (o) producer.set(o, n);
  const names = new Set<string>();
  for (const n of graph.node) for (const t of [...(n.input ?? []), ...(n.output ?? [])]) names.add(t);
  for (const t of graph.initializer ?? []) if (t.name) names.add(t.name);
  const fresh = (hint: string): string => {
    let name = hint;
    while (names.has(name)) name += '_';
    names.add(name);
    return name;
  };
  const removed = new Set<NodeProto>();
  for (const bn of graph.node) {
    if (bn.opType !== 'BatchNormalization' || attrInt(bn, 'training_mode', 0) !== 0) continue;
    if ((bn.output ?? []).slice(1).some((o) => o)) continue;
    const convOut = bn.input?.[0] ?? '';
    const conv = producer.get(convOut);
    if (!conv || conv.opType !== 'Conv' || keep.has(convOut) || uses.get(convOut) !== 1) continue;
    const weights = floatInitializer(model, conv.input?.[1]);
    const bias = conv.input?.[2] ? floatInitializer(model, conv.input[2]) : undefined;
    const [scale, shift, mean, variance] = (bn.input ?? [])
      .slice(1, 5)
      .map((name) => floatInitializer(model, name));
    const channels = weights?.dims[0] ?? 0;
    const perChannel = [scale, shift, mean, variance, ...(conv.input?.[2] ? [bias] : [])];
    if (!weights || perChannel.some((v) => !v || v.data.length !== channels)) continue;
    const epsilon = Math.fround(attrFloat(bn, 'epsilon', 1e-5));
    const factor = scale!.data.map((s, m) =>
      Math.fround(s / Math.fround(Math.sqrt(Math.fround(variance!.data[m] + epsilon)))),
    );
    const perOutput = weights.data.length / channels;
    const folded = weights.data.map((w, i) => Math.fround(w * factor[Math.floor(i / perOutput)]));
    const newBias = factor.map((f, m) =>
      bias
        ? Math.fround(Math.fround(Math.fround(bias.data[m] - mean!.data[m]) * f) + shift!.data[m])
        : Math.fround(shift!.data[m] - Math.fround(mean!.data[m] * f)),
    );
    const weightName = fresh(`${conv.input![1]}/batch_norm_folded`);
    const biasName = fresh(`${bn.output![0]}/batch_norm_bias`);
    graph.initializer = [
      ...(graph.initializer ?? []),
      floatTensor(weightName, weights.dims, folded),
      floatTensor(biasName, [channels], newBias),
    ];
    conv.input = [conv.input![0], weightName, biasName];
    conv.output = [bn.output![0]];
    removed.add(bn);
  }
  graph.node = graph.node.filter((n) => !removed.has(n));
}
