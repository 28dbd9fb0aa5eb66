/**
 * Reverse-mode differentiation of ONNX graphs: builds a second ONNX graph that returns an output tensor and
 * the vector–Jacobian products with respect to chosen tensors, for ONNX Runtime to run like any model.
 */
import { NetlensError } from '../errors.js';
import type { ModelProto } from '../onnx/proto.js';
import type { BackpropRule } from '../types.js';

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

export function buildVjpGraph(_model: ModelProto, _request: VjpGraphRequest): VjpGraph {
  throw new NetlensError('NOT_IMPLEMENTED', 'reverse-mode differentiation of ONNX graphs is not implemented yet');
}
