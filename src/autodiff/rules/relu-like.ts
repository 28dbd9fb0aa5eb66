/**
 * What the guided and deconvnet variants treat as ReLU-like: Relu, and Clip with a constant lower bound of 0
 * (ReLU6 and friends). Every other op, Clip with another lower bound included, keeps its exact rule.
 */
import { DataType, type NodeProto } from '../../onnx/proto.js';
import type { RuleContext } from '../context.js';

/** The Clip's constant upper bound when it is a ReLU with a ceiling (lower bound 0), else undefined. */
export function clipCeilingOfReluLike(node: NodeProto, ctx: RuleContext): number | undefined {
  const [, min, max] = node.input ?? [];
  const lower = min ? ctx.constantValue(min) : undefined;
  if (!lower || lower.length !== 1 || lower[0] !== 0) return undefined;
  const upper = max ? ctx.constantValue(max) : undefined;
  if (max && (!upper || upper.length !== 1)) return undefined;
  return upper ? upper[0] : Infinity;
}

/** 1 where the forward op's output lies strictly inside (0, ceiling), i.e. it passed x on; else 0 (floats). */
export function passMask(node: NodeProto, ctx: RuleContext, ceiling: number): string {
  const y = node.output![0];
  let inside = ctx.op('Greater', [y, ctx.constFloat(0)]);
  if (ceiling !== Infinity) inside = ctx.op('And', [inside, ctx.op('Less', [y, ctx.constFloat(ceiling)])]);
  return ctx.op('Cast', [inside], { to: DataType.FLOAT }, 'pass_mask');
}
