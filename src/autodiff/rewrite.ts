/**
 * Forward-graph rewrites applied to the VJP graph's own copy of the model: they leave the value of every
 * tensor a caller can ask for unchanged and make the backward pass cheaper.
 */
import { attrInts, type ModelProto, type NodeProto } from '../onnx/proto.js';
import type { BackpropRule } from '../types.js';

function overlaps(pool: NodeProto): boolean {
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
