/**
 * The ONNX graph under construction: nodes, initializers, unique tensor names, and the layout of every
 * Keras tensor. 4-D (image) tensors live in NCHW inside the graph; everything else keeps Keras's layout.
 */
import {
  DataType,
  floatTensor,
  int64Tensor,
  makeNode,
  type AttrMap,
  type NodeProto,
  type TensorProto,
} from '../onnx/proto.js';

/** Static size of one dimension; null where Keras leaves it open (batch, variable sizes). */
export type Dim = number | null;

/**
 * A Keras tensor inside the ONNX graph. `shape` is always the Keras (channels_last) shape, batch
 * included; `layout` says how the ONNX tensor stores it: 'nchw' only for 4-D tensors moved to channels
 * first, 'keras' for the Keras layout itself.
 */
export interface Value {
  name: string;
  shape: Dim[];
  layout: 'keras' | 'nchw';
}

/** Keras axis → ONNX axis for a 4-D NCHW tensor (N, H, W, C → N, C, H, W). */
const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1];

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly names = new Set<string>();
  private readonly layoutCache = new Map<string, string>();
  private readonly sharedConstants = new Map<string, string>();

  /** Mark names as used (graph inputs, layer names) so generated names never take them. */
  reserve(name: string): void {
    this.names.add(name);
  }

  isUsed(name: string): boolean {
    return this.names.has(name);
  }

  /** `base` itself when free, else `base_2`, `base_3`, ... */
  fresh(base: string): string {
    let name = base;
    for (let i = 2; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** Add a node writing a fresh tensor named after `base`; returns that tensor's name. */
  op(opType: string, inputs: readonly string[], base: string, attrs: AttrMap = {}): string {
    const out = this.fresh(base);
    this.nodes.push(makeNode(opType, inputs, [out], attrs, out));
    return out;
  }

  /** Add a node with several outputs (e.g. LSTM's Y and Y_h). */
  opMulti(
    opType: string,
    inputs: readonly string[],
    bases: readonly string[],
    attrs: AttrMap = {},
  ): string[] {
    const outs = bases.map((b) => (b === '' ? '' : this.fresh(b)));
    this.nodes.push(makeNode(opType, inputs, outs, attrs, outs.find((o) => o !== '') ?? opType));
    return outs;
  }

  /** A float initializer named after `base`. */
  floats(base: string, dims: readonly number[], data: ArrayLike<number>): string {
    const name = this.fresh(base);
    if (data instanceof Float32Array) {
      // Wrap the bytes directly (weights are never mutated): an element-wise copy is slow for tens of
      // millions of weights.
      this.initializers.push({
        name,
        dims: [...dims],
        dataType: DataType.FLOAT,
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      });
    } else {
      this.initializers.push(floatTensor(name, dims, data));
    }
    return name;
  }

  /** An int64 initializer (axes, shapes, pads); identical constants are shared. */
  int64s(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `${dims.join('x')}:${values.join(',')}`;
    const cached = this.sharedConstants.get(key);
    if (cached) return cached;
    const name = this.fresh(`const_i64_${this.sharedConstants.size}`);
    this.initializers.push(int64Tensor(name, dims, values));
    this.sharedConstants.set(key, name);
    return name;
  }

  /** A float scalar initializer, shared by value. */
  scalar(value: number): string {
    const key = `f:${value}`;
    const cached = this.sharedConstants.get(key);
    if (cached) return cached;
    const name = this.fresh(`const_f32_${this.sharedConstants.size}`);
    this.initializers.push(floatTensor(name, [], [value]));
    this.sharedConstants.set(key, name);
    return name;
  }

  /** The value in NCHW layout (4-D only); the transpose is made once per tensor and reused. */
  asNchw(value: Value): Value {
    if (value.layout === 'nchw') return value;
    if (value.shape.length !== 4) throw new Error(`internal: ${value.name} is not 4-D`);
    return { name: this.transposeOnce(value.name, [0, 3, 1, 2], 'nchw'), shape: value.shape, layout: 'nchw' };
  }

  /** The value in Keras layout; a 4-D NCHW tensor is transposed back once. */
  asKeras(value: Value): Value {
    if (value.layout === 'keras') return value;
    return {
      name: this.transposeOnce(value.name, [0, 2, 3, 1], 'nhwc'),
      shape: value.shape,
      layout: 'keras',
    };
  }

  private transposeOnce(name: string, perm: number[], suffix: string): string {
    const key = `${name}|${suffix}`;
    const cached = this.layoutCache.get(key);
    if (cached) return cached;
    const out = this.op('Transpose', [name], `${name}_${suffix}`, { perm });
    this.layoutCache.set(key, out);
    return out;
  }

  /** Rename a tensor in nodes[from..] (outputs and inputs) and in the layout cache. */
  renameFrom(from: number, oldName: string, newName: string): void {
    for (let i = from; i < this.nodes.length; i++) {
      const node = this.nodes[i];
      node.input = (node.input ?? []).map((n) => (n === oldName ? newName : n));
      node.output = (node.output ?? []).map((n) => (n === oldName ? newName : n));
      if (node.name === oldName) node.name = newName;
    }
    for (const [key, value] of [...this.layoutCache]) {
      if (value === oldName) this.layoutCache.set(key, newName);
      if (key.startsWith(`${oldName}|`)) {
        this.layoutCache.delete(key);
        this.layoutCache.set(`${newName}|${key.slice(oldName.length + 1)}`, value);
      }
    }
    this.names.add(newName);
  }

  /** Index of the node that writes `name`, or -1 for inputs and initializers. */
  producerIndex(name: string): number {
    for (let i = this.nodes.length - 1; i >= 0; i--)
      if ((this.nodes[i].output ?? []).includes(name)) return i;
    return -1;
  }
}

/** ONNX axis of Keras axis `axis` (negative allowed) of a value. */
export function onnxAxis(value: Value, axis: number): number {
  const rank = value.shape.length;
  const positive = axis < 0 ? axis + rank : axis;
  return value.layout === 'nchw' ? NHWC_TO_NCHW_AXIS[positive] : positive;
}

/**
 * The shape a per-channel vector (Keras last axis) must have to broadcast against the value:
 * `[C]` in Keras layout, `[C, 1, 1]` in NCHW.
 */
export function channelBroadcastDims(value: Value, channels: number): number[] {
  return value.layout === 'nchw' ? [channels, 1, 1] : [channels];
}

/** Product of static dims, or null when any is open. */
export function staticSize(dims: readonly Dim[]): number | null {
  let n = 1;
  for (const d of dims) {
    if (d === null) return null;
    n *= d;
  }
  return n;
}
