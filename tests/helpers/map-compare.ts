/** Comparing explanation maps computed two ways (browser vs Node, exported graph vs library). */
import type { Explainer } from '../../src/explainers/index.js';
import { makeBaseline } from '../../src/methods/attribution/baselines.js';
import { imageGeometry } from '../../src/methods/image-layout.js';
import type { InputSpec, Model, TensorData } from '../../src/types.js';
import { createRandom } from '../../src/util/random.js';

export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/**
 * The dither of the committed reference-gradient fixtures (tools/fixtures/common.py: std 0.01): quantised images
 * have flat regions where max-pool windows and ReLUs sit exactly on ties, and there the routed gradient flips
 * with the last bits of the input, so two runtimes summing in different orders may both be right and still
 * differ. Off the ties the gradient is unique and two computations must agree to float32 accuracy.
 */
export const COMPARISON_DITHER = { std: 0.01, seed: 99 } as const;

/** Seeded Gaussian noise of the comparison dither, float32, one value per element; `stream` picks the stream. */
export function ditherNoise(length: number, stream = 0): Float32Array {
  const random = createRandom(COMPARISON_DITHER.seed + stream);
  return Float32Array.from({ length }, () => random.normal(0, COMPARISON_DITHER.std));
}

/** The tensor plus the noise, element by element in float32 (a page does the same arithmetic). */
export function dithered(input: TensorData, noise: Float32Array): TensorData {
  return { data: Float32Array.from(input.data, (v, i) => v + noise[i]), dims: [...input.dims] };
}

/**
 * The black baseline of integrated gradients plus its own dither: a flat baseline makes the first path points
 * (α ≈ 0.005 with 16 Gauss–Legendre points) nearly flat images whose max-pool windows are within float32
 * rounding of a tie (measured on shapes-cnn: the gradient there moved by 16 % of its maximum between ONNX
 * Runtime Web and Node while the later points agreed to 3e-7).
 */
export function ditheredBlackBaseline(input: TensorData, spec: InputSpec, stream: number): TensorData {
  const geo = imageGeometry(input, spec);
  return dithered(makeBaseline('black', input, geo, spec), ditherNoise(input.data.length, stream));
}

export interface TieFreeInput {
  input: TensorData;
  /** What was added to the image to make `input` (float32, element by element). */
  noise: Float32Array;
  /** The dithered black baseline integrated gradients starts from (none with baselineKind 'black'). */
  baseline?: TensorData;
  /** Which dither stream pair was taken (0 = the first). */
  attempt: number;
  /** The largest move of any map under the nudges, relative to its max |map|. */
  worstMove: number;
}

/** Relative input nudges of float32 rounding size (±1 ulp-ish) in a few patterns. */
const NUDGES = [1e-7, -1e-7].flatMap((eps) => [0.37, 1.3, 2.9].map((frequency) => ({ eps, frequency })));

/**
 * Dithers an image (and the integrated-gradients baseline) so that every method's map is tie-free: a ReLU /
 * max-pool network's gradient is piecewise constant, and a path point lying within float32 rounding of a kink
 * takes either side's value depending on the last bits of a sum, so two correct runtimes may differ there by a
 * sizeable share of the map. An input is taken only when, in Node, each map moves by at most `moveLimit` of its
 * maximum when input and baseline move by ±1e-7 relative (three patterns): then nothing lies within rounding
 * of a kink. On shapes-cnn a 16-point path crosses so many ReLU kinks that some dithers fail (measured: 3 of
 * the first 12 pass); the dither streams are tried in order, independently of what is compared afterwards.
 * With `baselineKind: 'black'` integrated gradients keeps its flat black baseline (for graphs that carry it).
 */
export async function tieFreeInput(
  model: Model,
  image: TensorData,
  methods: { explainer: Explainer; options: Record<string, unknown> }[],
  {
    attempts = 12,
    moveLimit = 1e-5,
    baselineKind = 'dithered',
  }: { attempts?: number; moveLimit?: number; baselineKind?: 'dithered' | 'black' } = {},
): Promise<TieFreeInput> {
  let worstSeen = Infinity;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const noise = ditherNoise(image.data.length, 2 * attempt);
    const input = dithered(image, noise);
    const baseline =
      baselineKind === 'dithered'
        ? ditheredBlackBaseline(input, model.inputSpec!, 2 * attempt + 1)
        : undefined;
    // Integrated gradients gets the dithered baseline, or keeps its own flat black one.
    const withBaselineOf = (options: Record<string, unknown>, b: TensorData | undefined) =>
      b ? { ...options, baseline: b } : options;
    let worstMove = 0;
    for (const { explainer, options } of methods) {
      const ig = explainer.id === 'integrated-gradients';
      const withBaseline = ig ? withBaselineOf(options, baseline) : options;
      const reference = await explainer.run(model, input, withBaseline);
      const scale = maxAbs(reference.maps.data);
      for (const { eps, frequency } of NUDGES) {
        const nudge = (t: TensorData): TensorData => ({
          data: t.data.map((v, i) => v * (1 + eps * Math.sin(i * frequency))),
          dims: t.dims,
        });
        const moved = await explainer.run(
          model,
          nudge(input),
          ig ? withBaselineOf(options, baseline && nudge(baseline)) : options,
        );
        worstMove = Math.max(worstMove, maxAbsDiff(moved.maps.data, reference.maps.data) / scale);
        if (worstMove > moveLimit) break;
      }
      if (worstMove > moveLimit) break;
    }
    if (worstMove <= moveLimit) return { input, noise, baseline, attempt, worstMove };
    worstSeen = Math.min(worstSeen, worstMove);
  }
  throw new Error(
    `no tie-free dither in ${attempts} attempts (smallest move under ±1e-7 nudges: ${worstSeen} of max |map|)`,
  );
}
