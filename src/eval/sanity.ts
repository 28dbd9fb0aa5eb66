/**
 * Sanity checks (Adebayo et al., "Sanity Checks for Saliency Maps", 2018). A map that explains the model
 * must change when the model's learned parameters are destroyed:
 *  - cascading randomisation re-initialises the learned layers from the top down, one more at each step;
 *  - independent randomisation re-initialises one layer at a time;
 * and at each step the map is compared with the original one (Spearman of |φ|, SSIM, HOG similarity).
 * The random-logit test (as in Quantus, after Sixt et al. 2020) compares the map of the explained class
 * with the map of a random other class: a class-sensitive map changes.
 */
import { OptionError } from '../errors.js';
import { classCount } from '../methods/target.js';
import { learnedLayers, randomizeLayers } from '../onnx/randomize.js';
import type { ModelProto } from '../onnx/proto.js';
import type { Model, ProgressCallback, TensorData } from '../types.js';
import { createRandom } from '../util/random.js';
import { evalContext, type MapBatch } from './context.js';
import type { ExplainFunction } from './explain-fn.js';
import { mapSimilarity, type SimilarityMeasure } from './similarity.js';

/** The model as an ONNX graph, and how to open an edited copy of it with the same settings. */
export interface RandomizationSource {
  proto: ModelProto;
  open(proto: ModelProto): Promise<Model>;
}

export type RandomizationMode = 'cascading' | 'independent';

export interface RandomizationOptions {
  mode?: RandomizationMode;
  seed?: number;
  /** Randomise at most this many layers from the top (default: all). */
  maxLayers?: number;
  /**
   * Measure only this many steps, evenly spread and always including the last one (default: every step);
   * deep models have dozens of learned layers and each step opens a new model.
   */
  checkpoints?: number;
  onProgress?: ProgressCallback;
}

export type SimilarityValues = Record<SimilarityMeasure, number[]>;

export interface RandomizationStep {
  /** The layer re-initialised at this step (cascading: the lowest one so far). */
  layer: string;
  /** Every layer re-initialised in this step's model. */
  randomized: string[];
  /** Similarity of each image's map to its original map. */
  similarity: SimilarityValues;
}

export interface RandomizationResult {
  mode: RandomizationMode;
  steps: RandomizationStep[];
}

/** Spearman below this after full cascading randomisation: the map depends on the learned parameters. */
export const SANITY_SPEARMAN_THRESHOLD = 0.5;

function compare(original: TensorData, changed: TensorData): SimilarityValues {
  const [n, h, w] = original.dims;
  const size = h * w;
  const out: SimilarityValues = { spearman: [], ssim: [], hog: [] };
  for (let i = 0; i < n; i++) {
    const s = mapSimilarity(
      original.data.subarray(i * size, (i + 1) * size),
      changed.data.subarray(i * size, (i + 1) * size),
      h,
      w,
    );
    out.spearman.push(s.spearman);
    out.ssim.push(s.ssim);
    out.hog.push(s.hog);
  }
  return out;
}

export async function modelRandomization(
  source: RandomizationSource,
  input: TensorData,
  batch: MapBatch,
  explain: ExplainFunction,
  options: RandomizationOptions = {},
): Promise<RandomizationResult> {
  const mode = options.mode ?? 'cascading';
  if (mode !== 'cascading' && mode !== 'independent') {
    throw new OptionError(
      'INVALID_OPTION',
      `randomisation mode must be cascading or independent, got '${String(mode)}'`,
    );
  }
  const layers = learnedLayers(source.proto);
  const count = Math.min(layers.length, options.maxLayers ?? layers.length);
  const checkpoints = Math.min(count, options.checkpoints ?? count);
  if (!Number.isInteger(checkpoints) || checkpoints < 1) {
    throw new OptionError(
      'INVALID_OPTION',
      `checkpoints must be a positive integer, got ${options.checkpoints}`,
    );
  }
  const chosen =
    checkpoints === 1
      ? [count - 1]
      : [
          ...new Set(
            Array.from({ length: checkpoints }, (_, j) => Math.round((j * (count - 1)) / (checkpoints - 1))),
          ),
        ];
  const steps: RandomizationStep[] = [];
  for (const [done, k] of chosen.entries()) {
    const which = mode === 'cascading' ? Array.from({ length: k + 1 }, (_, j) => j) : [k];
    const model = await source.open(randomizeLayers(source.proto, which, options.seed ?? 0));
    try {
      const maps = await explain(model, input, batch.classes);
      steps.push({
        layer: layers[k].name,
        randomized: which.map((j) => layers[j].name),
        similarity: compare(batch.maps, maps),
      });
    } finally {
      await model.dispose();
    }
    options.onProgress?.({ done: done + 1, total: chosen.length, stage: `${mode} randomisation` });
  }
  return { mode, steps };
}

export interface RandomLogitResult {
  /** The other class drawn for each image. */
  otherClasses: number[];
  similarity: SimilarityValues;
}

export async function randomLogit(
  model: Model,
  input: TensorData,
  batch: MapBatch,
  explain: ExplainFunction,
  options: { seed?: number } = {},
): Promise<RandomLogitResult> {
  const ctx = evalContext(model, input, batch);
  const classes = classCount(model);
  if (classes === undefined || classes < 2) {
    throw new OptionError(
      'INVALID_OPTION',
      'the random-logit test needs a classifier with at least 2 classes',
    );
  }
  const random = createRandom(options.seed ?? 0);
  const otherClasses = ctx.classes.map((c) => (c + 1 + random.nextInt(classes - 1)) % classes);
  const maps = await explain(model, input, otherClasses);
  return { otherClasses, similarity: compare(batch.maps, maps) };
}
