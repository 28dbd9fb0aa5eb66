/**
 * ROAD, RemOve And Debias (Rong et al. 2022): remove a growing share of pixels, most relevant first (MoRF:
 * the score should fall fast, low area) or least relevant first (LeRF: the score should hold, high area),
 * filling them by noisy linear imputation so the removal itself does not tell the model where the pixels
 * were. The model is not retrained (the paper shows imputation makes that unnecessary).
 */
import { OptionError } from '../errors.js';
import type { Model, TensorData } from '../types.js';
import { createRandom } from '../util/random.js';
import {
  evalContext,
  imageOf,
  mapOf,
  relevanceOrder,
  scoreCopies,
  type MapBatch,
  type MetricOptions,
} from './context.js';
import { imputeLinear } from './imputation.js';
import { areaUnderCurve } from './stats.js';

export interface RoadOptions extends MetricOptions {
  /** Shares of pixels removed (default 0.1, 0.2, ..., 0.9). */
  fractions?: number[];
  /** Imputation noise, as a fraction of each channel's value range (default 0.01). */
  noise?: number;
}

export interface RoadResult {
  fractions: number[];
  /** Scores per image at each fraction, most relevant removed first. */
  morf: number[][];
  /** Scores per image at each fraction, least relevant removed first. */
  lerf: number[][];
  morfAuc: number[];
  lerfAuc: number[];
}

export const DEFAULT_ROAD_FRACTIONS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

export async function road(
  model: Model,
  input: TensorData,
  batch: MapBatch,
  options: RoadOptions = {},
): Promise<RoadResult> {
  const ctx = evalContext(model, input, batch);
  const fractions = options.fractions ?? DEFAULT_ROAD_FRACTIONS;
  if (fractions.length === 0 || fractions.some((f) => !(f > 0 && f < 1))) {
    throw new OptionError('INVALID_OPTION', `ROAD fractions must lie in (0, 1), got [${fractions}]`);
  }
  const noise = options.noise ?? 0.01;
  const random = createRandom(options.seed ?? 0);
  const n = ctx.geo.batch;
  const f = fractions.length;
  // Copy index: ((i · 2) + order) · f + k, order 0 = MoRF, 1 = LeRF.
  const orders = Array.from({ length: n }, (_, i) => relevanceOrder(mapOf(ctx, i)));
  const removed = new Uint8Array(ctx.pixels);
  const scores = await scoreCopies(
    ctx,
    n * 2 * f,
    (item) => Math.floor(item / (2 * f)),
    (buffer, offset, item) => {
      const i = Math.floor(item / (2 * f));
      const lerf = Math.floor(item / f) % 2 === 1;
      const count = Math.round(fractions[item % f] * ctx.pixels);
      const order = orders[i];
      removed.fill(0);
      for (let k = 0; k < count; k++) removed[lerf ? order[ctx.pixels - 1 - k] : order[k]] = 1;
      const image = buffer.subarray(offset, offset + ctx.geo.size);
      image.set(imageOf(ctx, i));
      imputeLinear(image, removed, ctx.geo, noise, random);
    },
    options,
  );
  const curve = (i: number, o: number) => Array.from(scores.subarray((i * 2 + o) * f, (i * 2 + o + 1) * f));
  const morf = Array.from({ length: n }, (_, i) => curve(i, 0));
  const lerf = Array.from({ length: n }, (_, i) => curve(i, 1));
  return { fractions, morf, lerf, morfAuc: morf.map(areaUnderCurve), lerfAuc: lerf.map(areaUnderCurve) };
}
