/**
 * Reverse mode over a small graph that a rule writes itself: a recurrent op is unrolled into standard ops
 * (MatMul, Add, Mul, Sigmoid, Tanh, Split, Concat, ...) on this tape, and its backward pass is the registered
 * exact rules of those ops, run in reverse order. The unrolled forward nodes go into the VJP graph too (the
 * rules read forward tensors), so the recurrence is recomputed there from the op's inputs.
 */
import { DataType, makeNode, type AttrMap, type NodeProto } from '../../onnx/proto.js';
import type { UnsupportedError } from '../../errors.js';
import type { BackpropRule } from '../../types.js';
import type { Rule, RuleContext } from '../context.js';

/** A tape entry: the forward node and, when the op has no registered rule, its own backward step. */
interface Entry {
  node: NodeProto;
  backward?: Rule;
}

export class Tape {
  private readonly entries: Entry[] = [];
  private readonly shapes = new Map<string, number[]>();
  private readonly active = new Set<string>();

  constructor(
    readonly ctx: RuleContext,
    private readonly exactRuleFor: (opType: string) => Rule | undefined,
  ) {}

  /** Mark a tensor (an input of the unrolled op) as one whose gradient is wanted. */
  source(name: string): void {
    this.active.add(name);
  }

  isActive(name: string): boolean {
    return this.active.has(name);
  }

  /** Shape of a tape tensor, else the probed shape of a forward tensor. */
  shape(name: string): number[] {
    const known = this.shapes.get(name);
    return known ? [...known] : this.ctx.shape(name);
  }

  /** Record the shape of a tensor emitted outside the tape (masks, constants). */
  note(name: string, shape: readonly number[]): string {
    this.shapes.set(name, [...shape]);
    return name;
  }

  constFloat(values: number | ArrayLike<number>, dims?: readonly number[]): string {
    const shape = dims ?? (typeof values === 'number' ? [] : [values.length]);
    return this.note(this.ctx.constFloat(values, dims), shape);
  }

  /**
   * Emit a node whose outputs have `shapes`. It is recorded for the backward pass when an input is active
   * (then its outputs are active); `backward` replaces the registered rule of its op type.
   */
  ops(
    opType: string,
    inputs: readonly string[],
    shapes: readonly (readonly number[])[],
    attrs: AttrMap = {},
    backward?: Rule,
  ): string[] {
    const outputs = shapes.map(() => this.ctx.fresh(opType.toLowerCase()));
    const node = makeNode(opType, inputs, outputs, attrs);
    this.ctx.emit(node);
    outputs.forEach((o, i) => this.shapes.set(o, [...shapes[i]]));
    if (inputs.some((i) => this.active.has(i))) {
      if (!backward && !this.exactRuleFor(opType)) throw this.ctx.unsupported(`no rule for ${opType}`);
      this.entries.push({ node, backward });
      for (const o of outputs) this.active.add(o);
    }
    return outputs;
  }

  op(opType: string, inputs: readonly string[], shape: readonly number[], attrs?: AttrMap, backward?: Rule) {
    return this.ops(opType, inputs, [shape], attrs, backward)[0];
  }

  /**
   * Gradients of `wanted` tensors given the seeds (tape tensor → its gradient). Contributions to a tensor used
   * several times are summed, as in the graph-level builder.
   */
  backward(seeds: ReadonlyMap<string, string>, wanted: readonly string[]): (string | undefined)[] {
    const contributions = new Map<string, string[]>();
    for (const [tensor, grad] of seeds) contributions.set(tensor, [grad]);
    const total = (tensor: string): string | undefined => {
      const parts = contributions.get(tensor) ?? [];
      if (parts.length <= 1) return parts[0];
      const sum = this.ctx.op(parts.length === 2 ? 'Add' : 'Sum', parts, {}, 'grad_sum');
      contributions.set(tensor, [sum]);
      return sum;
    };
    for (let k = this.entries.length - 1; k >= 0; k--) {
      const { node, backward } = this.entries[k];
      const dOutputs = (node.output ?? []).map(total);
      if (dOutputs.every((d) => d === undefined)) continue;
      const needs = (node.input ?? []).map((i) => Boolean(i) && this.active.has(i));
      const rule = backward ?? this.exactRuleFor(node.opType ?? '')!;
      const dInputs = rule(node, new TapeContext(this, node, needs, this.exactRuleFor), dOutputs);
      (node.input ?? []).forEach((name, i) => {
        const grad = dInputs[i];
        if (!grad || !needs[i]) return;
        const list = contributions.get(name);
        if (list) list.push(grad);
        else contributions.set(name, [grad]);
      });
    }
    return wanted.map(total);
  }
}

/** The RuleContext a registered rule sees for a tape node: the outer context with the tape's shapes. */
class TapeContext implements RuleContext {
  private readonly ctx: RuleContext;

  constructor(
    private readonly tape: Tape,
    private readonly node: NodeProto,
    private readonly needs: readonly boolean[],
    private readonly exactRuleFor: (opType: string) => Rule | undefined,
  ) {
    this.ctx = tape.ctx;
  }

  get opset(): number {
    return this.ctx.opset;
  }
  get rule(): BackpropRule {
    return 'gradient';
  }
  needsGradient(index: number): boolean {
    return this.needs[index] ?? false;
  }
  fresh(hint: string): string {
    return this.ctx.fresh(hint);
  }
  emit(node: NodeProto): void {
    this.ctx.emit(node);
  }
  op(opType: string, inputs: readonly string[], attrs?: AttrMap, hint?: string): string {
    return this.ctx.op(opType, inputs, attrs, hint);
  }
  ops(opType: string, inputs: readonly string[], count: number, attrs?: AttrMap, hint?: string): string[] {
    return this.ctx.ops(opType, inputs, count, attrs, hint);
  }
  constFloat(values: number | ArrayLike<number>, dims?: readonly number[]): string {
    return this.ctx.constFloat(values, dims);
  }
  constInt64(values: readonly number[], dims?: readonly number[]): string {
    return this.ctx.constInt64(values, dims);
  }
  shape(name: string): number[] {
    return this.tape.shape(name);
  }
  staticShape(name: string): number[] | undefined {
    const dims = this.shape(name);
    return dims.every((d) => d >= 0) ? dims : undefined;
  }
  shapeTensor(name: string): string {
    const dims = this.staticShape(name);
    return dims ? this.ctx.constInt64(dims) : this.ctx.op('Shape', [name], {}, 'shape');
  }
  reshapeTarget(name: string): string {
    const dims = this.shape(name);
    return dims.filter((d) => d < 0).length <= 1 ? this.ctx.constInt64(dims) : this.shapeTensor(name);
  }
  constantValue(): number[] | undefined {
    return undefined;
  }
  constantFloats(): { data: Float32Array; dims: number[] } | undefined {
    return undefined;
  }
  isFloat(): boolean {
    return true;
  }
  elemType(): number {
    return DataType.FLOAT;
  }
  forwardOutput(index: number): string {
    const output = this.node.output?.[index];
    if (!output) throw this.unsupported(`output ${index} of an unrolled ${this.node.opType} node`);
    return output;
  }
  /** Tape steps are differentiated one by one: nothing is folded. */
  soleProducer(): undefined {
    return undefined;
  }
  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    return this.ctx.reduceSum(x, axes, keepdims);
  }
  reduce(opType: string, x: string, axes: readonly number[], keepdims: boolean): string {
    return this.ctx.reduce(opType, x, axes, keepdims);
  }
  unsqueeze(x: string, axes: readonly number[]): string {
    return this.ctx.unsqueeze(x, axes);
  }
  squeeze(x: string, axes: readonly number[]): string {
    return this.ctx.squeeze(x, axes);
  }
  split(x: string, axis: number, sizes: readonly number[]): string[] {
    return this.ctx.split(x, axis, sizes);
  }
  clip(x: string, min?: number, max?: number): string {
    return this.ctx.clip(x, min, max);
  }
  reshapeLike(x: string, like: string): string {
    return this.ctx.op('Reshape', [x, this.reshapeTarget(like)]);
  }
  zerosLike(like: string): string {
    return this.ctx.op('ConstantOfShape', [this.shapeTensor(like)], {}, 'zeros');
  }
  reduceToShape(grad: string, gradShape: readonly number[], operand: string | readonly number[]): string {
    return this.ctx.reduceToShape(
      grad,
      gradShape,
      typeof operand === 'string' ? this.shape(operand) : operand,
    );
  }
  exactGradient(dOutputs: readonly (string | undefined)[]): (string | undefined)[] {
    const rule = this.exactRuleFor(this.node.opType ?? '');
    if (!rule) throw this.unsupported(`no rule for ${this.node.opType}`);
    return rule(this.node, this, dOutputs);
  }
  unsupported(reason: string): UnsupportedError {
    return this.ctx.unsupported(reason);
  }
}
