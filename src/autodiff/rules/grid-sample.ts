/**
 * GridSample with respect to its image. For a fixed grid the output is linear in the image, per sample the
 * same [Ho·Wo × H·W] matrix for every channel; the op itself applied to the H·W one-hot images (as channels)
 * writes that matrix out, whatever the mode, padding and align_corners, and dX is dY times it. The matrix
 * grows with (H·W)·(Ho·Wo), so larger images are refused by name, as are gradients with respect to the grid.
 */
import type { Rule } from '../context.js';

/** Largest H·W·Ho·Wo per sample materialized (16 MiB of float32). */
const MAX_MATRIX = 1 << 22;

const gridSample: Rule = (node, ctx, [dY]) => {
  if (ctx.needsGradient(1)) throw ctx.unsupported('gradient with respect to the sampling grid');
  const [x, grid] = node.input!;
  const [, channels, ...spatial] = ctx.shape(x);
  const outSpatial = ctx.shape(node.output![0]).slice(2);
  if (spatial.length !== 2 || [channels, ...spatial, ...outSpatial].some((d) => d < 0)) {
    throw ctx.unsupported('GridSample other than 2-D with sizes fixed up to the batch');
  }
  const pixels = spatial[0] * spatial[1];
  const samples = outSpatial[0] * outSpatial[1];
  if (pixels * samples > MAX_MATRIX) {
    throw ctx.unsupported(
      `a ${spatial.join('x')} image sampled at ${outSpatial.join('x')} points (too large)`,
    );
  }
  const identity = ctx.constFloat(
    Array.from({ length: pixels * pixels }, (_, i) => (i % (pixels + 1) === 0 ? 1 : 0)),
    [1, pixels, ...spatial],
  );
  const batch = ctx.op('Slice', [ctx.op('Shape', [x]), ctx.constInt64([0]), ctx.constInt64([1])]);
  const basis = ctx.op('Expand', [
    identity,
    ctx.op('Concat', [batch, ctx.constInt64([pixels, ...spatial])], { axis: 0 }),
  ]);
  const probe = ctx.fresh('grid_sample_weights');
  ctx.emit({ ...node, name: probe, input: [basis, grid], output: [probe] });
  // [N, H·W, Ho·Wo] → [N, Ho·Wo, H·W]
  const weights = ctx.op('Transpose', [ctx.op('Reshape', [probe, ctx.constInt64([0, pixels, samples])])], {
    perm: [0, 2, 1],
  });
  const flatGrad = ctx.op('Reshape', [dY!, ctx.constInt64([0, channels, samples])]);
  const dX = ctx.op('MatMul', [flatGrad, weights], {}, 'grid_sample_grad');
  return [ctx.reshapeLike(dX, x), undefined];
};

export const gridSampleRules = { GridSample: gridSample };
