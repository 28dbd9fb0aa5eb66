/**
 * Gradients of Conv and ConvTranspose weights computed in the graph (exported weights are initializers and
 * never need one). Both are correlations of the input with dY over the batch, written as a Conv with the batch
 * axis as the channel axis, strides and dilations swapped, and the result cropped to the kernel:
 *   Conv:          dW[m, c, k] = Σ_n Σ_o dY[n, m, o]·x_pad[n, c, o·s + k·d]          (input x, weights dY)
 *   ConvTranspose: dW[c, m, k] = Σ_n Σ_i x[n, c, i]·dY_pad[n, m, i·s + k·d]          (input dY, weights x)
 * one Conv per group, concatenated.
 */
import type { RuleContext } from '../context.js';

export interface WeightGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Pads of the correlation's input (the forward begin pads; end pads large enough for the kernel). */
  begin: number[];
  end: number[];
  group: number;
}

const swapBatchAndChannels = (ctx: RuleContext, t: string, rank: number): string =>
  ctx.op('Transpose', [t], { perm: [1, 0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)] });

/**
 * Σ over the batch of `input` correlated with `weights` ([N, A, …] and [N, B, …]), as [B/G, A/G, kernel…]
 * per group, concatenated along axis 0: [B, A/G, kernel…].
 */
export function correlateOverBatch(
  ctx: RuleContext,
  input: string,
  weights: string,
  rank: number,
  g: WeightGeometry,
  /** Channel counts of `input` and `weights` (forward tensors' probed sizes). */
  [aSize, bSize]: [number, number],
): string {
  const a = swapBatchAndChannels(ctx, input, rank);
  const b = swapBatchAndChannels(ctx, weights, rank);
  if (aSize < 0 || bSize < 0) throw ctx.unsupported('channel counts that vary with the batch size');
  const aParts = g.group === 1 ? [a] : ctx.split(a, 0, new Array<number>(g.group).fill(aSize / g.group));
  const bParts = g.group === 1 ? [b] : ctx.split(b, 0, new Array<number>(g.group).fill(bSize / g.group));
  const spatial = g.kernel.map((_, i) => i + 2);
  const perm = [1, 0, ...spatial];
  const parts = aParts.map((part, i) => {
    // [A/G, B/G, K'…]: input channels a, output channels b; crop the extra positions past the kernel.
    const full = ctx.op('Conv', [part, bParts[i]], {
      strides: g.dilations,
      dilations: g.strides,
      pads: [...g.begin, ...g.end],
    });
    const cropped = ctx.op('Slice', [
      full,
      ctx.constInt64(g.kernel.map(() => 0)),
      ctx.constInt64(g.kernel),
      ctx.constInt64(spatial),
    ]);
    // [B/G, A/G, k…]: Conv weights are [M, C/G, k] (b = dY), ConvTranspose weights [C, M/G, k] (b = x).
    return ctx.op('Transpose', [cropped], { perm });
  });
  if (parts.length === 1) return parts[0];
  return ctx.op('Concat', parts, { axis: 0 }, 'conv_weight_grad');
}
