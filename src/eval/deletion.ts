/**
 * Deletion and insertion games (Petsiuk et al., "RISE", 2018). Deletion replaces the most relevant pixels
 * first and follows the class score as it falls (a faithful map makes it fall fast: low area under the
 * curve); insertion starts from the replacement image and puts the most relevant pixels back first (a
 * faithful map makes the score rise fast: high area).
 */
import { OptionError } from '../errors.js';
import type { Model, TensorData } from '../types.js';
import { areaUnderCurve } from './stats.js';
import {
  evalContext,
  imageOf,
  mapOf,
  relevanceOrder,
  scoreCopies,
  writeMixed,
  type MapBatch,
  type MetricOptions,
} from './context.js';
import { replacementImages, type ReplacementOptions } from './replacement.js';

export interface DeletionOptions extends MetricOptions, ReplacementOptions {
  /** Points of the curve after the start (default 32): step k has k/steps of the pixels changed. */
  steps?: number;
}

export interface GameCurves {
  /** Fraction of pixels changed at each point, 0..1. */
  fractions: number[];
  /** curves[i][k]: class score of image i at point k. */
  curves: number[][];
  /** Trapezoidal area under each image's curve. */
  auc: number[];
}

export type Game = 'deletion' | 'insertion';

export function checkSteps(steps: number, pixels: number): number {
  if (!Number.isInteger(steps) || steps < 1 || steps > pixels) {
    throw new OptionError('INVALID_OPTION', `steps must be an integer in 1..${pixels}, got ${steps}`);
  }
  return steps;
}

/** Pixels changed after step k of `steps` (rounded, so the last step changes every pixel). */
export function pixelsAtStep(k: number, steps: number, pixels: number): number {
  return Math.round((k * pixels) / steps);
}

export async function relevanceGame(
  game: Game,
  model: Model,
  input: TensorData,
  batch: MapBatch,
  options: DeletionOptions = {},
): Promise<GameCurves> {
  const ctx = evalContext(model, input, batch);
  const steps = checkSteps(options.steps ?? 32, ctx.pixels);
  const replaced = replacementImages(ctx, options);
  const orders = Array.from({ length: ctx.geo.batch }, (_, i) => relevanceOrder(mapOf(ctx, i)));
  const points = steps + 1;
  const size = ctx.geo.size;
  const scores = await scoreCopies(
    ctx,
    ctx.geo.batch * points,
    (item) => Math.floor(item / points),
    (buffer, offset, item) => {
      const i = Math.floor(item / points);
      const changed = pixelsAtStep(item % points, steps, ctx.pixels);
      const image = imageOf(ctx, i);
      const other = replaced.subarray(i * size, (i + 1) * size);
      // Deletion: the image with its top pixels taken from the replacement; insertion: the reverse.
      if (game === 'deletion') writeMixed(ctx, buffer, offset, image, other, orders[i], changed);
      else writeMixed(ctx, buffer, offset, other, image, orders[i], changed);
    },
    options,
  );
  const fractions = Array.from({ length: points }, (_, k) => pixelsAtStep(k, steps, ctx.pixels) / ctx.pixels);
  const curves = Array.from({ length: ctx.geo.batch }, (_, i) =>
    Array.from(scores.subarray(i * points, (i + 1) * points)),
  );
  return { fractions, curves, auc: curves.map(areaUnderCurve) };
}

export function deletionCurves(model: Model, input: TensorData, batch: MapBatch, options?: DeletionOptions) {
  return relevanceGame('deletion', model, input, batch, options);
}

export function insertionCurves(model: Model, input: TensorData, batch: MapBatch, options?: DeletionOptions) {
  return relevanceGame('insertion', model, input, batch, options);
}
