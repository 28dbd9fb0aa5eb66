/**
 * A small emitter of ONNX nodes for the map arithmetic appended to an explanation graph: unique names under
 * one prefix, constants as initializers, and reductions in the form the model's opset wants.
 */
import {
  floatTensor,
  int64Tensor,
  makeNode,
  type AttrMap,
  type NodeProto,
  type TensorProto,
} from '../onnx/proto.js';

export class GraphOps {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private count = 0;

  constructor(
    private readonly prefix: string,
    /** Opset of the default domain: Reduce* take axes as an input from 13 (ReduceSum) or 18 (the rest). */
    private readonly opset: number,
  ) {}

  name(hint: string): string {
    return `${this.prefix}${hint}_${this.count++}`;
  }

  op(opType: string, inputs: readonly string[], attrs: AttrMap = {}, hint = opType): string {
    const out = this.name(hint);
    this.nodes.push(makeNode(opType, inputs, [out], attrs, out));
    return out;
  }

  floats(dims: readonly number[], data: ArrayLike<number>, hint = 'const'): string {
    const name = this.name(hint);
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  ints(dims: readonly number[], data: ArrayLike<number>, hint = 'ints'): string {
    const name = this.name(hint);
    this.initializers.push(int64Tensor(name, dims, data));
    return name;
  }

  reduce(
    opType: 'ReduceSum' | 'ReduceMax' | 'ReduceMean',
    x: string,
    axes: readonly number[],
    keepdims: boolean,
  ): string {
    const axesAsInput = opType === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    if (axesAsInput)
      return this.op(opType, [x, this.ints([axes.length], axes, 'axes')], { keepdims: keepdims ? 1 : 0 });
    return this.op(opType, [x], { axes: [...axes], keepdims: keepdims ? 1 : 0 });
  }

  reshape(x: string, shape: readonly number[]): string {
    return this.op('Reshape', [x, this.ints([shape.length], shape, 'shape')]);
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    if (this.opset >= 13) return this.op('Unsqueeze', [x, this.ints([axes.length], axes, 'axes')]);
    return this.op('Unsqueeze', [x], { axes: [...axes] });
  }
}
