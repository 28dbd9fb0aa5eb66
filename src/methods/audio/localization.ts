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

/** The `count` grid cells with the highest mean of `map` ([H, W]), best first, and the grid's feature map. */
export function topGridCells(
  map: ArrayLike<number>,
  height: number,
  width: number,
  shape: GridShape,
  count = 1,
): { cells: number[]; labels: Int32Array } {
  const grid = gridCells(height, width, shape.rows, shape.cols);
  const sums = new Float64Array(grid.count);
  const sizes = new Float64Array(grid.count);
  for (let i = 0; i < height * width; i++) {
    sums[grid.labels[i]] += map[i];
    sizes[grid.labels[i]] += 1;
  }
  const means = Array.from(sums, (s, c) => s / sizes[c]);
  const cells = means
    .map((_, c) => c)
    .sort((a, b) => means[b] - means[a] || a - b)
    .slice(0, count);
  return { cells, labels: grid.labels };
}

/**
 * The most important segments of explanation `m` of a run: the method's own top features when it worked on
 * the grid's segments (`ownFeatures`: LIME, Kernel SHAP report `topFeatures` per explanation), else the grid
 * cells with the highest mean map value.
 */
export function explainedSegments(
  run: { maps: { data: ArrayLike<number>; dims: readonly number[] }; numbers: Record<string, unknown> },
  m: number,
  shape: GridShape,
  count: number,
  ownFeatures: boolean,
): { cells: number[]; labels: Int32Array } {
  const [, height, width] = run.maps.dims;
  const explanations = run.numbers.explanations as { topFeatures?: number[] }[] | undefined;
  const own = ownFeatures ? explanations?.[m]?.topFeatures : undefined;
  if (own && own.length > 0) {
    return { cells: own.slice(0, count), labels: gridCells(height, width, shape.rows, shape.cols).labels };
  }
  const size = height * width;
  const map = Array.prototype.slice.call(run.maps.data, m * size, (m + 1) * size) as number[];
  return topGridCells(map, height, width, shape, count);
}
