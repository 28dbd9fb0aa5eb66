/**
 * Which tensors gradients of a given output can be taken with respect to, and for the others what blocks
 * them: the op without a backprop rule nearest to the tensor on its way to the output.
 */
import type { ModelProto, NodeProto } from '../onnx/proto.js';
import { nodeInputs } from '../onnx/graph.js';
import { GraphIndex } from './graph.js';
import { exactRuleFor } from './rules/index.js';
import { CONTROL_FLOW_OPS } from './unroll.js';

export interface Differentiability {
  /** Tensor name: a graph input or a node output, in topological order. */
  name: string;
  differentiable: boolean;
  /** When not differentiable because of an op without a backprop rule: that op. */
  blockedBy?: { opType: string; nodeName: string };
  /** When not differentiable: why, in words. */
  reason?: string;
}

export function differentiableTensors(model: ModelProto, output: string): Differentiability[] {
  const index = new GraphIndex(model);
  index.requireTensor(output, 'output');
  const { tensors: upstream, nodes: upstreamNodes } = index.ancestors(output);
  // For every float tensor that reaches the output: the blocking node, or null when every path is supported.
  const blocker = new Map<string, NodeProto | null>();
  if (index.isFloat(output)) blocker.set(output, null);
  for (let k = index.nodes.length - 1; k >= 0; k--) {
    const node = index.nodes[k];
    if (!upstreamNodes.has(node)) continue;
    const outputs = (node.output ?? []).filter((o) => o && blocker.has(o));
    if (outputs.length === 0) continue;
    // Control flow is unrolled when a VJP graph is built (unroll.ts); whether it can be is known only then.
    const passes = exactRuleFor(node.opType ?? '') || CONTROL_FLOW_OPS.has(node.opType ?? '');
    let blocked: NodeProto | null = passes ? null : node;
    for (const o of outputs) blocked ??= blocker.get(o) ?? null;
    for (const inp of nodeInputs(node)) {
      if (!inp || !index.isFloat(inp) || index.initializers.has(inp)) continue;
      // A tensor is blocked when any of its paths to the output is.
      if (!blocker.has(inp) || (blocker.get(inp) === null && blocked)) blocker.set(inp, blocked);
    }
  }
  const describe = (name: string): Differentiability => {
    if (!index.isFloat(name)) return { name, differentiable: false, reason: 'integer tensor' };
    if (!upstream.has(name)) return { name, differentiable: false, reason: `does not influence '${output}'` };
    const node = blocker.get(name);
    if (node === undefined) return { name, differentiable: false, reason: `does not influence '${output}'` };
    if (node === null) return { name, differentiable: true };
    const nodeName = node.name || node.output?.[0] || '?';
    return {
      name,
      differentiable: false,
      blockedBy: { opType: node.opType ?? '?', nodeName },
      reason: `${node.opType} node '${nodeName}' has no backprop rule`,
    };
  };
  return index.tensorNames().map(describe);
}
