/**
 * netlens's map up-sampling (`image/upsample.ts`) as matrices: resampling is linear and separable, so the
 * explanation graph applies it as two MatMuls whose matrices are netlens's own resampler applied to unit
 * vectors — the graph reproduces the library's interpolation exactly, whatever ONNX Resize would do at edges.
 */
import { upsample } from '../image/upsample.js';
import type { ResizeMethod } from '../image/resample.js';
import type { GraphOps } from './ops.js';

/** [from, to]: row i is the resampled unit vector e_i (a 1-pixel-high map), i.e. out = in · M. */
export function resampleMatrix(from: number, to: number, method: ResizeMethod): Float32Array {
  const matrix = new Float32Array(from * to);
  for (let i = 0; i < from; i++) {
    const unit = new Float32Array(from);
    unit[i] = 1;
    const row = upsample({ data: unit, width: from, height: 1 }, { width: to, height: 1 }, method).data;
    matrix.set(row, i * to);
  }
  return matrix;
}

/** [N, h, w] → [N, H, W] in the graph. */
export function emitUpsample(
  ops: GraphOps,
  map: string,
  from: { height: number; width: number },
  to: { height: number; width: number },
  method: ResizeMethod,
): string {
  const cols = ops.floats([from.width, to.width], resampleMatrix(from.width, to.width, method), 'upsample_x');
  const rows = ops.floats(
    [from.height, to.height],
    resampleMatrix(from.height, to.height, method),
    'upsample_y',
  );
  const wide = ops.op('MatMul', [map, cols]); // [N, h, W]
  const turned = ops.op('Transpose', [wide], { perm: [0, 2, 1] }); // [N, W, h]
  const tall = ops.op('MatMul', [turned, rows]); // [N, W, H]
  return ops.op('Transpose', [tall], { perm: [0, 2, 1] }); // [N, H, W]
}
