/**
 * Builds the VJP graph: the forward nodes the result needs (recomputed from the model inputs), then one
 * backward step per node on a path from a `wrt` tensor to `output`, in reverse topological order. Gradients
 * of tensors used several times are summed. Nothing is emitted for weights, integer tensors or nodes off
 * the path.
 */
import { UnsupportedError } from '../errors.js';
import { nodeInputs } from '../onnx/graph.js';
import {
  DataType,
  cloneModel,
  makeValueInfo,
  opsetVersion,
  type ModelProto,
  type NodeProto,
  type ValueInfoProto,
} from '../onnx/proto.js';
import { upgradeOpset } from '../onnx/opset-upgrade.js';
import type { BackpropRule } from '../types.js';
import { Emitter, NodeContext } from './context.js';
import { GraphIndex } from './graph.js';
import { batchNormIntoConv, padIntoConv, poolBeforeRelu } from './rewrite.js';
import { exactRuleFor, ruleFor } from './rules/index.js';
import { noRuleReason } from './refusals.js';
import { opsetForScatterAdd } from './scatter-opset.js';
import { unrollControlFlow } from './unroll.js';

export interface BuildRequest {
  output: string;
  wrt: string[];
  rule: BackpropRule;
  shapes: Record<string, number[]>;
}

export interface BuiltVjp {
  model: ModelProto;
  seedName: string;
  outputName: string;
  gradNames: string[];
}

/** Oldest opset whose op signatures the rules emit (Clip/Pad/Split/Squeeze forms). */
export const MIN_OPSET = 11;

/** Tensors and nodes on a path from any `wrt` tensor to `output`. */
export interface BackwardPlan {
  active: Set<string>;
  /** Active nodes in topological order. */
  nodes: NodeProto[];
}

export function planBackward(index: GraphIndex, output: string, wrt: readonly string[]): BackwardPlan {
  const forward = index.forwardReach(wrt);
  const { tensors: upstream, nodes: upstreamNodes } = index.ancestors(output);
  const active = new Set<string>();
  for (const t of forward) if (upstream.has(t) && index.isFloat(t)) active.add(t);
  const nodes = index.nodes.filter(
    (n) =>
      upstreamNodes.has(n) &&
      nodeInputs(n).some((i) => i && active.has(i)) &&
      (n.output ?? []).some((o) => o && active.has(o)),
  );
  return { active, nodes };
}

export function buildVjp(model: ModelProto, request: BuildRequest): BuiltVjp {
  // An older model is upgraded first, as `Model` upgrades it when it loads (the upgrade adds only constants,
  // so the probed shapes still name every tensor); the copy is this build's own either way.
  const work = upgradeOpset(model, 'the model')?.model ?? cloneModel(model);
  const shapes = { ...request.shapes };
  const keep = new Set([request.output, ...request.wrt]);
  const opset = opsetVersion(work);
  if (opset < MIN_OPSET) {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      `gradients need a model of opset ${MIN_OPSET} or newer, this one is opset ${opset} after the upgrade (re-export it)`,
    );
  }
  const notUnrolled = unrollControlFlow(work, shapes, request.output, request.wrt);
  poolBeforeRelu(work, request.rule, keep, shapes);
  padIntoConv(work, keep);
  batchNormIntoConv(work, keep);
  const index = new GraphIndex(work);
  checkRequest(index, request);
  const { output, wrt } = request;
  const plan = planBackward(index, output, wrt);
  const describe = (node: NodeProto, reason: string): UnsupportedError =>
    new UnsupportedError(
      'UNSUPPORTED_OP',
      `cannot differentiate ${node.opType} node '${nodeLabel(node)}' (${reason}) on the path ` +
        `${pathThrough(index, plan.active, node, output, wrt)}`,
    );
  for (const node of plan.nodes) {
    if (!ruleFor(node.opType ?? '', request.rule)) {
      throw describe(node, notUnrolled.get(node) ?? noRuleReason(node.opType ?? ''));
    }
  }

  const emitter = new Emitter(index, opsetForScatterAdd(work, opset, plan.nodes), request.rule, shapes, keep);
  const seedName = emitter.fresh('seed');
  const contributions = new Map<string, string[]>([[output, [seedName]]]);
  const summed = new Map<string, string | undefined>();
  const gradientOf = (tensor: string): string | undefined => {
    if (summed.has(tensor)) return summed.get(tensor);
    const parts = contributions.get(tensor) ?? [];
    const total =
      parts.length <= 1 ? parts[0] : emitter.op(parts.length === 2 ? 'Add' : 'Sum', parts, {}, `grad_sum`);
    summed.set(tensor, total);
    return total;
  };

  for (let k = plan.nodes.length - 1; k >= 0; k--) {
    const node = plan.nodes[k];
    const dOutputs = (node.output ?? []).map((o) => (o && plan.active.has(o) ? gradientOf(o) : undefined));
    if (dOutputs.every((d) => d === undefined)) continue;
    const inputs = node.input ?? [];
    const needs = inputs.map((i) => Boolean(i) && plan.active.has(i));
    const opType = node.opType ?? '';
    const exact = exactRuleFor(opType);
    const failure = (reason: string): UnsupportedError => describe(node, reason);
    const exactContext = new NodeContext(emitter, node, needs, () => [], failure);
    const ctx = new NodeContext(
      emitter,
      node,
      needs,
      (d) => {
        if (!exact) throw failure('no exact backprop rule for this op');
        return exact(node, exactContext, d);
      },
      failure,
    );
    const rule = ruleFor(opType, request.rule);
    if (!rule) throw failure('no backprop rule for this op');
    const dInputs = rule(node, ctx, dOutputs);
    inputs.forEach((name, i) => {
      const grad = dInputs[i];
      if (!grad || !needs[i]) return;
      const list = contributions.get(name);
      if (list) list.push(grad);
      else contributions.set(name, [grad]);
    });
  }

  const gradTensors = wrt.map((w) => gradientOf(w) ?? emitter.zerosLike(w));
  return assemble(work, index, emitter, request, seedName, gradTensors);
}

function checkRequest(index: GraphIndex, request: BuildRequest): void {
  index.requireTensor(request.output, 'output');
  for (const w of request.wrt) index.requireTensor(w, 'wrt tensor');
  if (!index.isFloat(request.output)) {
    throw new UnsupportedError('UNSUPPORTED_LAYER', `output '${request.output}' is not a float tensor`);
  }
  for (const w of request.wrt) {
    if (index.initializers.has(w)) {
      throw new UnsupportedError(
        'UNSUPPORTED_LAYER',
        `'${w}' is a weight (initializer); gradients are computed for inputs and activations only`,
      );
    }
    if (!index.isFloat(w)) throw new UnsupportedError('UNSUPPORTED_LAYER', `'${w}' is not a float tensor`);
  }
}

/** Forward nodes (possibly extended by rules) + backward nodes, pruned to what the outputs need. */
function assemble(
  work: ModelProto,
  index: GraphIndex,
  emitter: Emitter,
  request: BuildRequest,
  seedName: string,
  gradTensors: string[],
): BuiltVjp {
  const feeds = new Set(index.feeds);
  const taken = new Set<string>([seedName, ...feeds]);
  const distinct = (name: string, hint: string): string => {
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
    // Graph outputs must be distinct and must not alias an input: copy.
    const copy = emitter.op('Identity', [name], {}, hint);
    taken.add(copy);
    return copy;
  };
  const outputName = distinct(request.output, 'output');
  const gradNames = gradTensors.map((g, i) => distinct(g, `grad_${request.wrt[i]}`));

  const allNodes = [...index.nodes, ...emitter.nodes];
  const needed = new Set<string>([outputName, ...gradNames]);
  const kept: NodeProto[] = [];
  for (let i = allNodes.length - 1; i >= 0; i--) {
    const node = allNodes[i];
    if (!(node.output ?? []).some((o) => o && needed.has(o))) continue;
    kept.push(node);
    for (const inp of node.input ?? []) if (inp) needed.add(inp);
  }
  kept.reverse();

  const graph = work.graph!;
  const shapeOf = (name: string): (number | string)[] | undefined =>
    request.shapes[name]?.map((d) => (d < 0 ? 'batch' : d));
  const inputs: ValueInfoProto[] = (graph.input ?? []).filter(
    (vi) => vi.name && feeds.has(vi.name) && needed.has(vi.name),
  );
  inputs.push(makeValueInfo(seedName, shapeOf(request.output)));
  const outputs = [
    makeValueInfo(outputName, shapeOf(request.output), index.elemType.get(request.output) ?? DataType.FLOAT),
    ...gradNames.map((g, i) => makeValueInfo(g, shapeOf(request.wrt[i]))),
  ];
  const initializers = [...(graph.initializer ?? []), ...emitter.initializers].filter(
    (t) => t.name && needed.has(t.name),
  );

  // `work` is this build's own copy of the model: reuse it rather than copying the weights again.
  for (const n of kept) if (!n.name) n.name = n.output?.[0] ?? '';
  graph.node = kept;
  graph.input = inputs;
  graph.output = outputs;
  graph.initializer = initializers;
  graph.valueInfo = [];
  return { model: work, seedName, outputName, gradNames };
}

function nodeLabel(node: NodeProto): string {
  return node.name || node.output?.[0] || '?';
}

/** "wrt → … → in → out → … → output": one path through `node`, shortened to stay on one line. */
function pathThrough(
  index: GraphIndex,
  active: Set<string>,
  node: NodeProto,
  output: string,
  wrt: readonly string[],
): string {
  const sources = new Set(wrt);
  const back: string[] = [];
  let tensor = (node.input ?? []).find((i) => i && active.has(i));
  while (tensor) {
    back.unshift(tensor);
    if (sources.has(tensor)) break;
    const producer = index.producer.get(tensor);
    tensor = producer ? (producer.input ?? []).find((i) => i && active.has(i)) : undefined;
  }
  const ahead: string[] = [];
  tensor = (node.output ?? []).find((o) => o && active.has(o));
  const seen = new Set<string>();
  while (tensor && !seen.has(tensor)) {
    seen.add(tensor);
    ahead.push(tensor);
    if (tensor === output) break;
    const next: NodeProto | undefined = (index.consumers.get(tensor) ?? []).find((c) =>
      (c.output ?? []).some((o) => o && active.has(o)),
    );
    tensor = next ? (next.output ?? []).find((o) => o && active.has(o)) : undefined;
  }
  const shorten = (names: string[]): string[] =>
    names.length > 3 ? [names[0], '…', names[names.length - 1]] : names;
  return [...shorten(back), ...shorten(ahead)].join(' → ');
}
