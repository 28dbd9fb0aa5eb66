/**
 * Det: d det(A) = det(A)·A⁻ᵀ = cof(A), the cofactor matrix. ONNX has no inverse in the standard domain, and
 * dividing by det(A) would fail on singular matrices where the derivative exists, so the cofactors are
 * computed directly: every (n−1)×(n−1) minor is gathered at once (two Gathers by constant index tables) and
 * one Det takes all their determinants. The minors tensor has n⁴ elements per matrix, so n is capped.
 */
import type { Rule } from '../context.js';

/** Largest matrix size differentiated: the minors tensor holds n⁴ elements per matrix. */
export const DET_MAX_SIZE = 16;

const det: Rule = (node, ctx, [dY]) => {
  const x = node.input![0];
  const dims = ctx.shape(x);
  const n = dims[dims.length - 1];
  if (n < 0 || dims[dims.length - 2] !== n) throw ctx.unsupported('matrix size varies with the batch size');
  if (n > DET_MAX_SIZE) {
    throw ctx.unsupported(
      `${n}×${n} matrices: the cofactors take n⁴ elements, differentiated up to n = ${DET_MAX_SIZE}`,
    );
  }
  const rank = dims.length;
  // dY has the batch shape; one trailing [1, 1] broadcasts it over each matrix.
  const seed = ctx.unsqueeze(dY!, [rank - 2, rank - 1]);
  if (n === 1) return [ctx.op('Expand', [seed, ctx.shapeTensor(x)])];
  // others[i] = every index but i: gathering rows then columns by it gives [..., i, r, j, c] = A[r≠i, c≠j].
  const others: number[] = [];
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) if (k !== i) others.push(k);
  const table = ctx.constInt64(others, [n, n - 1]);
  const rows = ctx.op('Gather', [x, table], { axis: rank - 2 });
  const minors = ctx.op('Gather', [rows, table], { axis: rank });
  const batchAxes = Array.from({ length: rank - 2 }, (_, a) => a);
  const b = rank - 2;
  const ordered = ctx.op('Transpose', [minors], { perm: [...batchAxes, b, b + 2, b + 1, b + 3] });
  const signs: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) signs.push((i + j) % 2 === 0 ? 1 : -1);
  const cofactors = ctx.op('Mul', [ctx.op('Det', [ordered]), ctx.constFloat(signs, [n, n])], {}, 'cofactors');
  return [ctx.op('Mul', [cofactors, seed], {}, 'det_grad')];
};

export const linearAlgebraRules = { Det: det };
