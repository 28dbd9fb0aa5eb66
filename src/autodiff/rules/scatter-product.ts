/**
 * ScatterND with reduction 'mul': y[p] = data[p]·Π u_k over the update slices k aimed at p (indices may
 * repeat). dData = dY·Π u_k; dU_k = dY[p]·data[p]·Π u_k' over the other slices k' ≠ k aimed at the same p.
 * The products of the others are taken, never divided out, so zero factors are exact: slices that collide
 * are found by comparing every pair of index tuples (a K × K mask, K slices), and ReduceProd runs over
 * [K, K, slice] with 1 where a pair does not collide. That tensor is capped.
 */
import type { NodeProto } from '../../onnx/proto.js';
import type { RuleContext } from '../context.js';

/** Largest K·K·slice tensor built for the products of the other colliding updates. */
export const SCATTER_PRODUCT_MAX_ELEMENTS = 2 ** 22;

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

export function scatterNdProduct(node: NodeProto, ctx: RuleContext, dY: string): (string | undefined)[] {
  const [data, indices, updates] = node.input!;
  let dData: string | undefined;
  if (ctx.needsGradient(0)) {
    const ones = ctx.op('Add', [ctx.op('Mul', [data, ctx.constFloat(0)]), ctx.constFloat(1)]);
    const factors = ctx.op('ScatterND', [ones, indices, updates], { reduction: 'mul' }, 'scatter_factors');
    dData = ctx.op('Mul', [dY, factors], {}, 'scatter_mul_grad');
  }
  if (!ctx.needsGradient(2)) return [dData, undefined, undefined];
  const indexDims = ctx.staticShape(indices);
  const updateDims = ctx.staticShape(updates);
  if (!indexDims || !updateDims) throw ctx.unsupported("reduction 'mul' with a batch-dependent update count");
  const q = indexDims[indexDims.length - 1];
  const k = product(indexDims.slice(0, -1));
  const slice = product(updateDims.slice(indexDims.length - 1));
  if (k * k * slice > SCATTER_PRODUCT_MAX_ELEMENTS) {
    throw ctx.unsupported(
      `reduction 'mul' over ${k} updates of ${slice} elements (the collision products take K²·slice)`,
    );
  }
  // Negative indices count from the end: Mod by the sizes (floor mod for integers) makes them comparable.
  const sizes = ctx.op('Slice', [ctx.shapeTensor(data), ctx.constInt64([0]), ctx.constInt64([q])]);
  const tuples = ctx.op('Mod', [ctx.op('Reshape', [indices, ctx.constInt64([k, q])]), sizes]);
  const equal = ctx.op('Equal', [ctx.unsqueeze(tuples, [1]), ctx.unsqueeze(tuples, [0])]);
  const same = ctx.reduce('ReduceMin', ctx.op('Cast', [equal], { to: 1 }), [2], false);
  const offDiagonal = Array.from({ length: k * k }, (_, i) => (Math.floor(i / k) === i % k ? 0 : 1));
  const collide = ctx.op('Cast', [ctx.op('Mul', [same, ctx.constFloat(offDiagonal, [k, k])])], { to: 9 });
  const slices = ctx.op('Reshape', [updates, ctx.constInt64([1, k, slice])]);
  const factors = ctx.op('Where', [ctx.unsqueeze(collide, [2]), slices, ctx.constFloat(1)]);
  const others = ctx.reduce('ReduceProd', factors, [1], false);
  const at = ctx.op('GatherND', [ctx.op('Mul', [dY, data]), indices], {}, 'scatter_mul_at');
  const dUpdates = ctx.op('Mul', [at, ctx.reshapeLike(others, updates)], {}, 'scatter_mul_updates_grad');
  return [dData, undefined, dUpdates];
}
