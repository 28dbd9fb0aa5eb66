/**
 * Pointing game (Zhang et al., "Top-down Neural Attention by Excitation Backprop", 2016): a map scores a
 * hit when its maximum falls inside the object's box. The score of a method is the share of hits.
 *
 * Maps often have flat maxima (a LIME segment, a nearest-up-sampled occlusion cell); then every pixel
 * holding the maximum votes, and the image is a hit when more than half of them lie in the box.
 */
import { OptionError } from '../errors.js';
import type { TensorData } from '../types.js';

/** [x0, y0, x1, y1]: inclusive pixel columns x0..x1 and rows y0..y1 (the fixtures' box format). */
export type Box = readonly [number, number, number, number];

export interface PointingGameOptions {
  /** Size of the image the boxes are given in (default: the map size); maps of another size are scaled to it. */
  frame?: { width: number; height: number };
  /** Extra margin around each box, in frame pixels (the original game uses 15 px on 224 px images). */
  tolerance?: number;
}

export interface PointingGameResult {
  hits: boolean[];
  /** Share of hits, 0..1. */
  accuracy: number;
  /** Position of each map's maximum (centroid of the maximal pixels), in map pixels. */
  maxima: { row: number; col: number }[];
}

/** Scores a batch of maps [N, H, W] (or [N, 1, H, W]) against one box per map. */
export function pointingGame(
  maps: TensorData,
  boxes: readonly Box[],
  options: PointingGameOptions = {},
): PointingGameResult {
  const dims =
    maps.dims.length === 4 && maps.dims[1] === 1 ? [maps.dims[0], maps.dims[2], maps.dims[3]] : maps.dims;
  if (dims.length !== 3)
    throw new OptionError('INVALID_OPTION', `maps must be [N, H, W], got [${maps.dims}]`);
  const [n, height, width] = dims;
  if (boxes.length !== n)
    throw new OptionError('INVALID_OPTION', `expected ${n} boxes (one per map), got ${boxes.length}`);
  const frame = options.frame ?? { width, height };
  const sx = width / frame.width;
  const sy = height / frame.height;
  const tolerance = options.tolerance ?? 0;
  const hits: boolean[] = [];
  const maxima: { row: number; col: number }[] = [];
  const size = height * width;
  for (let i = 0; i < n; i++) {
    const map = maps.data.subarray(i * size, (i + 1) * size);
    let max = -Infinity;
    for (const v of map) if (v > max) max = v;
    const [bx0, by0, bx1, by1] = boxes[i];
    // Box edges in frame coordinates (pixel k spans [k, k + 1)).
    const x0 = bx0 - tolerance;
    const x1 = bx1 + 1 + tolerance;
    const y0 = by0 - tolerance;
    const y1 = by1 + 1 + tolerance;
    let count = 0;
    let inside = 0;
    let sumRow = 0;
    let sumCol = 0;
    for (let p = 0; p < size; p++) {
      if (map[p] !== max) continue;
      const row = Math.floor(p / width);
      const col = p - row * width;
      count++;
      sumRow += row;
      sumCol += col;
      // The map pixel's centre, in frame coordinates, decides membership.
      const fx = (col + 0.5) / sx;
      const fy = (row + 0.5) / sy;
      if (fx >= x0 && fx <= x1 && fy >= y0 && fy <= y1) inside++;
    }
    hits.push(count > 0 && inside * 2 > count);
    maxima.push(count > 0 ? { row: sumRow / count, col: sumCol / count } : { row: NaN, col: NaN });
  }
  const accuracy = n > 0 ? hits.filter(Boolean).length / n : 0;
  return { hits, accuracy, maxima };
}
