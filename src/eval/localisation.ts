/**
 * Localisation against ground truth: the pointing game (pointing-game.ts), the energy-based pointing game
 * (Wang et al., "Score-CAM", 2020: share of the positive map inside the box), relevance mass accuracy and
 * relevance rank accuracy (Arras et al., "CLEVR-XAI", 2022: share of positive relevance inside the object
 * mask; share of the top-K pixels inside it, K = the mask's size).
 */
import { OptionError } from '../errors.js';
import type { TensorData } from '../types.js';
import { pointingGame, type Box } from './pointing-game.js';

export interface GroundTruth {
  /** One box per image, [x0, y0, x1, y1] inclusive, in `frame` pixels. */
  boxes?: readonly Box[];
  /** Object masks, N × H × W at the map size, non-zero inside the object. */
  masks?: Uint8Array;
  /** Size of the image the boxes are given in (default: the map size). */
  frame?: { width: number; height: number };
}

export interface LocalisationResult {
  pointingGame: number[];
  energyPointingGame: number[];
  relevanceMass: number[];
  relevanceRank: number[];
}

/** The box of image i as a mask at the map size (pixel centres inside the scaled box). */
function boxMask(
  box: Box,
  height: number,
  width: number,
  frame: { width: number; height: number },
): Uint8Array {
  const sx = width / frame.width;
  const sy = height / frame.height;
  const mask = new Uint8Array(height * width);
  for (let y = 0; y < height; y++) {
    const fy = (y + 0.5) / sy;
    if (fy < box[1] || fy > box[3] + 1) continue;
    for (let x = 0; x < width; x++) {
      const fx = (x + 0.5) / sx;
      if (fx >= box[0] && fx <= box[2] + 1) mask[y * width + x] = 1;
    }
  }
  return mask;
}

function positiveShareInside(map: Float32Array, mask: Uint8Array): number {
  let inside = 0;
  let total = 0;
  for (let p = 0; p < map.length; p++) {
    const v = Math.max(0, map[p]);
    total += v;
    if (mask[p]) inside += v;
  }
  return total > 0 ? inside / total : NaN;
}

function rankAccuracy(map: Float32Array, mask: Uint8Array): number {
  let k = 0;
  for (const m of mask) if (m) k++;
  if (k === 0) return NaN;
  const order = Int32Array.from({ length: map.length }, (_, i) => i).sort((a, b) => map[b] - map[a] || a - b);
  let hits = 0;
  for (let j = 0; j < k; j++) if (mask[order[j]]) hits++;
  return hits / k;
}

/** Needs boxes for the pointing games and masks (or boxes, used as masks) for the relevance metrics. */
export function localisation(maps: TensorData, truth: GroundTruth): LocalisationResult {
  if (maps.dims.length !== 3)
    throw new OptionError('INVALID_OPTION', `maps must be [N, H, W], got [${maps.dims}]`);
  const [n, height, width] = maps.dims;
  const size = height * width;
  if (!truth.boxes && !truth.masks) {
    throw new OptionError('INVALID_OPTION', 'localisation needs ground truth: boxes or masks');
  }
  if (truth.boxes && truth.boxes.length !== n) {
    throw new OptionError('INVALID_OPTION', `expected ${n} boxes (one per map), got ${truth.boxes.length}`);
  }
  if (truth.masks && truth.masks.length !== n * size) {
    throw new OptionError(
      'INVALID_OPTION',
      `masks must be ${n} × ${height} × ${width} (the map size), got ${truth.masks.length} values`,
    );
  }
  const frame = truth.frame ?? { width, height };
  const maskOf = (i: number) =>
    truth.masks
      ? truth.masks.subarray(i * size, (i + 1) * size)
      : boxMask(truth.boxes![i], height, width, frame);
  const boxesMasks = truth.boxes ? truth.boxes.map((b) => boxMask(b, height, width, frame)) : undefined;
  const result: LocalisationResult = {
    pointingGame: truth.boxes
      ? pointingGame(maps, truth.boxes, { frame }).hits.map(Number)
      : new Array(n).fill(NaN),
    energyPointingGame: [],
    relevanceMass: [],
    relevanceRank: [],
  };
  for (let i = 0; i < n; i++) {
    const map = maps.data.subarray(i * size, (i + 1) * size);
    result.energyPointingGame.push(boxesMasks ? positiveShareInside(map, boxesMasks[i]) : NaN);
    const mask = maskOf(i);
    result.relevanceMass.push(positiveShareInside(map, mask));
    result.relevanceRank.push(rankAccuracy(map, mask));
  }
  return result;
}
