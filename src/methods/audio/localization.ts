/**
 * Whether an explanation points at the right place of a spectrogram: its most important time × frequency
 * segment overlaps the ground-truth event box. For segment methods (LIME, Kernel SHAP) the segment is their
 * own top feature; for map methods (occlusion, Grad-CAM, gradients) it is the grid cell with the highest mean
 * map value.
 */
import type { Box } from '../../data/samples.js';
import type { GridShape } from '../lime/segment.js';
import { gridCells } from '../lime/grid.js';

/** Whether any pixel of `segment` in the [H, W] feature map lies inside the inclusive box [x0, y0, x1, y1]. */
export function segmentOverlapsBox(
  featureMap: ArrayLike<number>,
  width: number,
  segment: number,
  box: Box,
): boolean {
  const [x0, y0, x1, y1] = box;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) if (featureMap[y * width + x] === segment) return true;
  }
  return false;
}

/** The grid cell with the highest mean of `map` ([H, W]); its labels are the grid's feature map. */
export function topGridCell(
  map: ArrayLike<number>,
  height: number,
  width: number,
  shape: GridShape,
): { cell: number; labels: Int32Array } {
  const grid = gridCells(height, width, shape.rows, shape.cols);
  const sums = new Float64Array(grid.count);
  const counts = new Float64Array(grid.count);
  for (let i = 0; i < height * width; i++) {
    sums[grid.labels[i]] += map[i];
    counts[grid.labels[i]] += 1;
  }
  let cell = 0;
  for (let c = 1; c < grid.count; c++) if (sums[c] / counts[c] > sums[cell] / counts[cell]) cell = c;
  return { cell, labels: grid.labels };
}
