/**
 * Reverse-mode differentiation of ONNX graphs: builds a second ONNX graph that returns an output tensor and
 * the vector–Jacobian products with respect to chosen tensors, for ONNX Runtime to run like any model.
 */
import type { ModelProto } from '../onnx/proto.js';
import type { BackpropRule } from '../types.js';
import { buildVjp } from './builder.js';

export { differentiableTensors, type Differentiability } from './differentiable.js';
export { differentiableOps } from './rules/index.js';

export interface VjpGraphRequest {
  /** Tensor to differentiate (model output or intermediate). */
  output: string;
  /** Tensors to differentiate with respect to (graph inputs and/or intermediates). */
  wrt: string[];
  rule: BackpropRule;
  /**
   * Concrete shapes of every tensor in the model, from probe runs. A dim is -1 when it depends on the batch
   * size (found by probing with two batch sizes); the built graph must work for any batch size.
   */
  shapes: Record<string, number[]>;
}

export interface VjpGraph {
  /** Inputs: the model inputs the computation needs, plus `seedName`; outputs: `outputName`, then `gradNames`. */
  model: ModelProto;
  seedName: string;
  outputName: string;
  gradNames: string[];
}

/**
 * The VJP graph of `model` for (output, wrt, rule). Throws LayerError for unknown tensor names and
 * UnsupportedError('UNSUPPORTED_OP') naming the op, the node and the path when an op on a path from `wrt` to
 * `output` has no backprop rule. A `wrt` tensor that does not influence `output` gets a zero gradient.
 */
export function buildVjpGraph(model: ModelProto, request: VjpGraphRequest): VjpGraph {
  return buildVjp(model, request);
}
