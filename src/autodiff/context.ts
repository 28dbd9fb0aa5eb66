/**
 * What a backprop rule sees while it emits the backward nodes of one forward node: fresh names, node and
 * constant emission, shapes (static when known, a runtime `Shape` otherwise), opset-correct forms of the ops
 * whose signature changed across opsets, and the "reduce a gradient to a broadcast operand" helper.
 */
import { NetlensError, UnsupportedError } from '../errors.js';
import {
  DataType,
  decodeTensor,
  floatTensor,
  int64Tensor,
  makeNode,
  toNumber,
  type AttrMap,
  type NodeProto,
  type TensorProto,
} from '../onnx/proto.js';
import type { BackpropRule } from '../types.js';
import { foldConstant } from './fold.js';
import type { GraphIndex } from './graph.js';

/**
 * A backprop rule: given the forward node and the gradients of its outputs (undefined where none flows),
 * emit backward nodes and return the gradient tensor of each input (undefined where none flows or none is
 * needed). A returned gradient must have exactly the input's shape.
 */
export type Rule = (
  node: NodeProto,
  ctx: RuleContext,
  dOutputs: readonly (string | undefined)[],
) => (string | undefined)[];

export interface RuleContext {
  /** Default-domain opset of the model: emitted nodes must be valid there. */
  readonly opset: number;
  /** The backprop rule being built (a variant rule may still defer to the exact gradient). */
  readonly rule: BackpropRule;
  /** Whether input `index` of the node needs a gradient (on a path from `wrt`; never weights or integers). */
  needsGradient(index: number): boolean;
  /** A name no tensor of the graph has. */
  fresh(hint: string): string;
  /** Append a node to the backward graph. */
  emit(node: NodeProto): void;
  /** Emit a one-output node and return its output name. */
  op(opType: string, inputs: readonly string[], attrs?: AttrMap, hint?: string): string;
  /** Emit a node with `count` outputs and return their names. */
  ops(opType: string, inputs: readonly string[], count: number, attrs?: AttrMap, hint?: string): string[];
  /** A float32 initializer (a scalar when `dims` is omitted). */
  constFloat(values: number | ArrayLike<number>, dims?: readonly number[]): string;
  /** An int64 initializer (1-D when `dims` is omitted). */
  constInt64(values: readonly number[], dims?: readonly number[]): string;
  /** Probed shape of a forward tensor; -1 marks a dim that depends on the batch size. */
  shape(name: string): number[];
  /** The shape when no dim depends on the batch size. */
  staticShape(name: string): number[] | undefined;
  /** An int64 tensor holding the exact shape of `name` (a constant when static, a `Shape` node otherwise). */
  shapeTensor(name: string): string;
  /** A shape tensor good for Reshape only (may contain one -1). */
  reshapeTarget(name: string): string;
  /** Values of an initializer or Constant output, when the tensor is constant. */
  constantValue(name: string): number[] | undefined;
  /** Float values and dims of an initializer or Constant output (weights), when the tensor is constant. */
  constantFloats(name: string): { data: Float32Array; dims: number[] } | undefined;
  isFloat(name: string): boolean;
  /** ONNX element type of a forward tensor (float when unknown). */
  elemType(name: string): number;
  /** Name of the node's output `index`, adding that output to the forward node when the model omitted it. */
  forwardOutput(index: number): string;
  /**
   * The node computing input `index` when this node is its only reader and no caller asked for it (it is
   * neither the requested output, a wrt tensor nor a graph output): a rule may then fold that producer's
   * backward step into its own and return no gradient for the input.
   */
  soleProducer(index: number): NodeProto | undefined;
  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string;
  /** Any Reduce* op with its axes in the opset-correct place. */
  reduce(opType: string, x: string, axes: readonly number[], keepdims: boolean): string;
  unsqueeze(x: string, axes: readonly number[]): string;
  squeeze(x: string, axes: readonly number[]): string;
  split(x: string, axis: number, sizes: readonly number[]): string[];
  /** Clip with constant bounds (either may be omitted), bounds as inputs as opsets 11+ take them. */
  clip(x: string, min?: number, max?: number): string;
  /** Reshape `x` to the shape of forward tensor `like`. */
  reshapeLike(x: string, like: string): string;
  /** Zeros shaped like forward tensor `like`. */
  zerosLike(like: string): string;
  /**
   * Sum a gradient of shape `gradShape` down to the shape of broadcast operand `operand` (a forward tensor, or
   * its shape): ReduceSum over the broadcast axes, leading axes dropped.
   */
  reduceToShape(grad: string, gradShape: readonly number[], operand: string | readonly number[]): string;
  /** The exact-gradient rule's result for this node (for rule variants that change only some cases). */
  exactGradient(dOutputs: readonly (string | undefined)[]): (string | undefined)[];
  /** An error naming this node, its op type and the path it lies on. */
  unsupported(reason: string): UnsupportedError;
}

/** Shared state of one VJP graph build: the emitted nodes and constants, and fresh-name bookkeeping. */
export class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly used: Set<string>;
  private readonly constants = new Map<string, string>();
  private readonly shapeNodes = new Map<string, string>();
  private counter = 0;

  constructor(
    readonly index: GraphIndex,
    readonly opset: number,
    readonly rule: BackpropRule,
    private readonly shapes: Record<string, number[]>,
    /** Tensors the caller asked for (output and wrt): never folded away. */
    private readonly requested: ReadonlySet<string> = new Set(),
  ) {
    this.used = new Set(index.tensorNames());
    for (const name of index.initializers) this.used.add(name);
  }

  /** The producer of `tensor` when `consumer` is its only reader and nobody asked for it. */
  soleProducer(tensor: string, consumer: NodeProto): NodeProto | undefined {
    if (!tensor || this.requested.has(tensor)) return undefined;
    if ((this.index.graph.output ?? []).some((o) => o.name === tensor)) return undefined;
    const readers = this.index.consumers.get(tensor) ?? [];
    if (readers.some((r) => r !== consumer)) return undefined;
    return this.index.producer.get(tensor);
  }

  fresh(hint: string): string {
    const base = `vjp/${hint.replace(/[^A-Za-z0-9_./-]/g, '_')}`;
    let name = `${base}_${this.counter++}`;
    while (this.used.has(name)) name = `${base}_${this.counter++}`;
    this.used.add(name);
    return name;
  }

  emit(node: NodeProto): void {
    this.nodes.push(node);
  }

  ops(
    opType: string,
    inputs: readonly string[],
    count: number,
    attrs: AttrMap = {},
    hint?: string,
  ): string[] {
    const outputs = Array.from({ length: count }, () => this.fresh(hint ?? opType));
    this.emit(makeNode(opType, inputs, outputs, attrs));
    return outputs;
  }

  op(opType: string, inputs: readonly string[], attrs: AttrMap = {}, hint?: string): string {
    return this.ops(opType, inputs, 1, attrs, hint)[0];
  }

  constFloat(values: number | ArrayLike<number>, dims?: readonly number[]): string {
    const list = typeof values === 'number' ? [values] : values;
    const shape = dims ?? (typeof values === 'number' ? [] : [list.length]);
    return this.constant('f', shape, list, (name) => floatTensor(name, shape, list));
  }

  constInt64(values: readonly number[], dims?: readonly number[]): string {
    const shape = dims ?? [values.length];
    return this.constant('i', shape, values, (name) => int64Tensor(name, shape, values));
  }

  private constant(
    kind: string,
    dims: readonly number[],
    values: ArrayLike<number>,
    make: (n: string) => TensorProto,
  ): string {
    // Small constants (axes, scalars, shapes) repeat a lot: share one initializer per value.
    const key = values.length <= 64 ? `${kind}:${dims.join(',')}:${Array.from(values).join(',')}` : undefined;
    const known = key ? this.constants.get(key) : undefined;
    if (known) return known;
    const name = this.fresh(kind === 'f' ? 'const' : 'ints');
    this.initializers.push(make(name));
    if (key) this.constants.set(key, name);
    return name;
  }

  shape(name: string): number[] {
    const probed = this.shapes[name];
    if (probed) return [...probed];
    const fixed = this.fixedShape(name);
    if (fixed) return fixed;
    throw new NetlensError(
      'INVALID_INPUT',
      `no probed shape for tensor '${name}', which the VJP graph needs`,
    );
  }

  staticShape(name: string): number[] | undefined {
    const dims = this.shape(name);
    return dims.every((d) => d >= 0) ? dims : undefined;
  }

  shapeTensor(name: string): string {
    const dims = this.staticShape(name);
    if (dims) return this.constInt64(dims);
    const cached = this.shapeNodes.get(name);
    if (cached) return cached;
    const out = this.op('Shape', [name], {}, 'shape');
    this.shapeNodes.set(name, out);
    return out;
  }

  reshapeTarget(name: string): string {
    const dims = this.shape(name);
    return dims.filter((d) => d < 0).length <= 1 ? this.constInt64(dims) : this.shapeTensor(name);
  }

  constantValue(name: string): number[] | undefined {
    const init = this.initializer(name);
    if (init) return Array.from(decodeTensor(init).data);
    const producer = this.index.producer.get(name);
    // Not stored: maybe computed from constants by the graph (exporters without constant folding).
    if (producer?.opType !== 'Constant') return foldConstant(this.index, name, 0, this.shapes)?.values;
    for (const a of producer.attribute ?? []) {
      if (a.name === 'value' && a.t) return Array.from(decodeTensor(a.t).data);
      if (a.name === 'value_float') return [a.f ?? 0];
      if (a.name === 'value_floats') return [...(a.floats ?? [])];
      if (a.name === 'value_int') return [toNumber(a.i)];
      if (a.name === 'value_ints') return (a.ints ?? []).map(toNumber);
    }
    return undefined;
  }

  constantFloats(name: string): { data: Float32Array; dims: number[] } | undefined {
    const producer = this.index.producer.get(name);
    const tensor =
      this.initializer(name) ??
      (producer?.opType === 'Constant' ? producer.attribute?.find((a) => a.name === 'value')?.t : undefined);
    if (!tensor) return undefined;
    const decoded = decodeTensor(tensor);
    return decoded.data instanceof Float32Array ? { data: decoded.data, dims: decoded.dims } : undefined;
  }

  private initializerByName: Map<string, TensorProto> | undefined;

  private initializer(name: string): TensorProto | undefined {
    this.initializerByName ??= new Map((this.index.graph.initializer ?? []).map((t) => [t.name ?? '', t]));
    return this.initializerByName.get(name);
  }

  private fixedShape(name: string): number[] | undefined {
    const init = this.initializer(name);
    if (init) return (init.dims ?? []).map(toNumber);
    const producer = this.index.producer.get(name);
    if (producer?.opType === 'Constant') {
      const value = producer.attribute?.find((a) => a.name === 'value')?.t;
      if (value) return (value.dims ?? []).map(toNumber);
    }
    return undefined;
  }

  reduce(opType: string, x: string, axes: readonly number[], keepdims: boolean): string {
    const axesAsInput = opType === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    if (axesAsInput)
      return this.op(opType, [x, this.constInt64(axes)], { keepdims: keepdims ? 1 : 0 }, opType);
    return this.op(opType, [x], { axes: [...axes], keepdims: keepdims ? 1 : 0 }, opType);
  }

  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    if (this.opset >= 13) return this.op('Unsqueeze', [x, this.constInt64(axes)]);
    return this.op('Unsqueeze', [x], { axes: [...axes] });
  }

  squeeze(x: string, axes: readonly number[]): string {
    if (this.opset >= 13) return this.op('Squeeze', [x, this.constInt64(axes)]);
    return this.op('Squeeze', [x], { axes: [...axes] });
  }

  split(x: string, axis: number, sizes: readonly number[]): string[] {
    if (this.opset >= 13) return this.ops('Split', [x, this.constInt64(sizes)], sizes.length, { axis });
    return this.ops('Split', [x], sizes.length, { axis, split: [...sizes] });
  }

  clip(x: string, min?: number, max?: number): string {
    const bound = (v: number | undefined): string => (v === undefined ? '' : this.constFloat(v));
    const inputs = [x, bound(min), bound(max)];
    while (inputs[inputs.length - 1] === '') inputs.pop();
    return this.op('Clip', inputs);
  }

  reshapeLike(x: string, like: string): string {
    // A 0 in a Reshape target copies the input's dim unless allowzero is set (opset 14+): an empty tensor's
    // gradient is the empty tensor of its shape, whatever the opset.
    if (this.shape(like).includes(0)) return this.zerosLike(like);
    return this.op('Reshape', [x, this.reshapeTarget(like)]);
  }

  zerosLike(like: string): string {
    return this.op('ConstantOfShape', [this.shapeTensor(like)], {}, 'zeros');
  }

  reduceToShape(grad: string, gradShape: readonly number[], operand: string | readonly number[]): string {
    const target = typeof operand === 'string' ? this.shape(operand) : operand;
    const lead = gradShape.length - target.length;
    if (lead < 0) {
      throw new NetlensError(
        'INVALID_INPUT',
        `an operand of '${grad}' has a higher rank than its broadcast result`,
      );
    }
    const axes: number[] = [];
    for (let i = 0; i < gradShape.length; i++) {
      if (i < lead || (target[i - lead] === 1 && gradShape[i] !== 1)) axes.push(i);
    }
    if (axes.length === 0) return grad;
    const summed = this.reduceSum(grad, axes, true);
    if (lead === 0) return summed;
    return this.squeeze(
      summed,
      Array.from({ length: lead }, (_, i) => i),
    );
  }
}

/** The RuleContext of one forward node. */
export class NodeContext implements RuleContext {
  constructor(
    private readonly emitter: Emitter,
    private readonly node: NodeProto,
    private readonly needs: readonly boolean[],
    private readonly exact: (dOutputs: readonly (string | undefined)[]) => (string | undefined)[],
    private readonly describe: (reason: string) => UnsupportedError,
  ) {}

  get opset(): number {
    return this.emitter.opset;
  }
  get rule(): BackpropRule {
    return this.emitter.rule;
  }
  needsGradient(index: number): boolean {
    return this.needs[index] ?? false;
  }
  fresh(hint: string): string {
    return this.emitter.fresh(hint);
  }
  soleProducer(index: number): NodeProto | undefined {
    return this.emitter.soleProducer(this.node.input?.[index] ?? '', this.node);
  }
  emit(node: NodeProto): void {
    this.emitter.emit(node);
  }
  op(opType: string, inputs: readonly string[], attrs?: AttrMap, hint?: string): string {
    return this.emitter.op(opType, inputs, attrs, hint);
  }
  ops(opType: string, inputs: readonly string[], count: number, attrs?: AttrMap, hint?: string): string[] {
    return this.emitter.ops(opType, inputs, count, attrs, hint);
  }
  constFloat(values: number | ArrayLike<number>, dims?: readonly number[]): string {
    return this.emitter.constFloat(values, dims);
  }
  constInt64(values: readonly number[], dims?: readonly number[]): string {
    return this.emitter.constInt64(values, dims);
  }
  shape(name: string): number[] {
    return this.emitter.shape(name);
  }
  staticShape(name: string): number[] | undefined {
    return this.emitter.staticShape(name);
  }
  shapeTensor(name: string): string {
    return this.emitter.shapeTensor(name);
  }
  reshapeTarget(name: string): string {
    return this.emitter.reshapeTarget(name);
  }
  constantValue(name: string): number[] | undefined {
    return this.emitter.constantValue(name);
  }
  constantFloats(name: string): { data: Float32Array; dims: number[] } | undefined {
    return this.emitter.constantFloats(name);
  }
  isFloat(name: string): boolean {
    return this.emitter.index.isFloat(name);
  }
  elemType(name: string): number {
    return this.emitter.index.elemType.get(name) ?? DataType.FLOAT;
  }
  forwardOutput(index: number): string {
    const outputs = this.node.output ?? (this.node.output = []);
    while (outputs.length <= index) outputs.push('');
    if (!outputs[index]) outputs[index] = this.emitter.fresh(`${this.node.opType ?? 'node'}_out${index}`);
    return outputs[index];
  }
  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    return this.emitter.reduceSum(x, axes, keepdims);
  }
  reduce(opType: string, x: string, axes: readonly number[], keepdims: boolean): string {
    return this.emitter.reduce(opType, x, axes, keepdims);
  }
  unsqueeze(x: string, axes: readonly number[]): string {
    return this.emitter.unsqueeze(x, axes);
  }
  squeeze(x: string, axes: readonly number[]): string {
    return this.emitter.squeeze(x, axes);
  }
  split(x: string, axis: number, sizes: readonly number[]): string[] {
    return this.emitter.split(x, axis, sizes);
  }
  clip(x: string, min?: number, max?: number): string {
    return this.emitter.clip(x, min, max);
  }
  reshapeLike(x: string, like: string): string {
    return this.emitter.reshapeLike(x, like);
  }
  zerosLike(like: string): string {
    return this.emitter.zerosLike(like);
  }
  reduceToShape(grad: string, gradShape: readonly number[], operand: string | readonly number[]): string {
    return this.emitter.reduceToShape(grad, gradShape, operand);
  }
  exactGradient(dOutputs: readonly (string | undefined)[]): (string | undefined)[] {
    return this.exact(dOutputs);
  }
  unsupported(reason: string): UnsupportedError {
    return this.describe(reason);
  }
}
