/**
 * Overlapping max-pool windows route their gradient with one ScatterElements that sums colliding updates
 * (reduction 'add', opset 16+). A build of an opset 13–15 model that needs it declares opset 16: between 13
 * and 16 no op changes meaning except RoiAlign, whose default coordinate transformation became half_pixel,
 * and BatchNormalization, whose training form lost its two saved-statistics outputs at 14: a model holding a
 * RoiAlign or a BatchNormalization with more than one output anywhere (subgraphs included) keeps its opset
 * and the older route.
 */
import type { ModelProto, NodeProto } from '../onnx/proto.js';
import { overlaps } from './rewrite.js';

/** First opset whose ScatterElements takes reduction 'add'. */
export const SCATTER_ADD_OPSET = 16;

/** Oldest opset raised to SCATTER_ADD_OPSET: from 13 on, op signatures read and emitted are those of 16. */
const RAISED_FROM = 13;

type Graph = { node?: NodeProto[] | null } | null | undefined;

function holdsNode(graph: Graph, matches: (node: NodeProto) => boolean): boolean {
  for (const node of graph?.node ?? []) {
    if (matches(node)) return true;
    for (const a of node.attribute ?? []) {
      if (holdsNode(a.g, matches) || (a.graphs ?? []).some((g) => holdsNode(g, matches))) return true;
    }
  }
  return false;
}

/** Nodes whose meaning or signature at 13–15 differs from 16's. */
function changesBy16(node: NodeProto): boolean {
  if (node.opType === 'RoiAlign') return true;
  return node.opType === 'BatchNormalization' && (node.output ?? []).filter(Boolean).length > 1;
}

/**
 * The opset the build emits at: `opset`, or SCATTER_ADD_OPSET when `planned` (the nodes that get a backward
 * step) holds an overlapping MaxPool and raising is safe — the model's opset import (and IR version, 8 for
 * opset 16) are then raised in place on the build's own copy.
 */
export function opsetForScatterAdd(work: ModelProto, opset: number, planned: readonly NodeProto[]): number {
  if (opset >= SCATTER_ADD_OPSET || opset < RAISED_FROM) return opset;
  if (!planned.some((n) => n.opType === 'MaxPool' && overlaps(n))) return opset;
  if (holdsNode(work.graph, changesBy16)) return opset;
  for (const imp of work.opsetImport ?? []) {
    if (!imp.domain || imp.domain === 'ai.onnx') imp.version = SCATTER_ADD_OPSET;
  }
  if (Number(work.irVersion ?? 0) < 8) work.irVersion = 8;
  return SCATTER_ADD_OPSET;
}
