/**
 * Image LIME (MATLAB `imageLIME`; Ribeiro et al. 2016): cut the image into features (superpixels, grid
 * cells or user labels), score many copies with random features switched off, and fit a weighted
 * interpretable model of the score on the on/off pattern. A feature's importance is its coefficient
 * (linear) or its split gain (tree).
 *
 * - Sample 0 is the unmodified image; every other sample switches each feature on or off with
 *   probability 1/2, from the seeded generator (same seed, same bytes).
 * - A switched-off feature is replaced by the image's channel means (default, as MATLAB), the mean of
 *   its own pixels per channel, or given values — in the model's input space.
 * - Sample weights: exponential kernel on the cosine distance d between the on/off vector z and the
 *   all-on vector, d = 1 - sqrt(|z| / K), weight = sqrt(exp(-d² / kernelWidth²)), kernelWidth 0.25.
 */
import { OptionError } from '../../errors.js';
import type { BatchOptions, Model, TensorData } from '../../types.js';
import { createRandom, checkSeed, DEFAULT_SEED } from '../../util/random.js';
import { classScorer, requireClassScores, type ScoreKind } from '../class-scores.js';
import { imageGeometry } from '../image-layout.js';
import { runPerturbed } from '../perturbed-batches.js';
import { resolveTargets, targetOfImage, type TargetOption } from '../target.js';
import { segmentMasking, segmentValueMap, type ReplacementOption } from './feature-masking.js';
import { segmentImage, type SegmentationOption } from './segment.js';
import { fitWeightedRidge, fitWeightedTree, type SurrogateData } from './surrogate.js';

export interface ImageLimeOptions extends BatchOptions {
  target?: TargetOption;
  /** Target number of features (segments) the image is cut into (default 49). */
  numFeatures?: number;
  /** Random samples, the unmodified image included (default 2048). */
  numSamples?: number;
  /** 'superpixels' (SLIC, default), 'grid', or a label matrix {data, dims: [H, W]}. */
  segmentation?: SegmentationOption;
  /** Surrogate: 'tree' (weighted regression tree, default as in MATLAB) or 'linear' (weighted ridge). */
  model?: 'linear' | 'tree';
  /** Grid segmentation only: 'bicubic' (default) smooths between cell centres, 'nearest' keeps cells flat,
   * 'none' returns one value per cell. Other segmentations always give a flat value per segment. */
  outputUpsampling?: 'bicubic' | 'nearest' | 'none';
  /**
   * What a switched-off feature shows, in input space: 'image-mean' (default, MATLAB's choice) = the
   * image's channel means, 'segment-mean' = the feature's own channel means, or given values.
   */
  replacement?: ReplacementOption;
  /** Width of the exponential kernel on cosine distance (default 0.25). */
  kernelWidth?: number;
  /** SLIC compactness (default 10). */
  compactness?: number;
  /** Ridge penalty of the linear surrogate (default 1). */
  ridgeLambda?: number;
  /** How many of the most important features to list in `topFeatures` (default 5). */
  numTopFeatures?: number;
  /** Seed of the random on/off masks. Default 0. */
  seed?: number;
  score?: ScoreKind;
  layout?: 'NCHW' | 'NHWC';
}

export interface ImageLimeExplanation {
  target: number;
  /** Score of the unmodified image for the target. */
  baseScore: number;
  /** Importance of each pixel's feature: [H, W], or [rows, cols] for grid with 'none'. */
  scoreMap: TensorData;
  /** Feature id (0..numFeatures-1) of every pixel, [H, W]. */
  featureMap: { data: Int32Array; dims: [number, number] };
  /** Number of features the image was actually cut into. */
  numFeatures: number;
  featureImportance: Float32Array;
  /** Feature ids by decreasing importance, `numTopFeatures` of them. */
  topFeatures: number[];
  fit: { model: 'linear' | 'tree'; r2: number; intercept?: number };
  /** With a user label matrix: the user's label of each feature id. */
  labelValues?: number[];
}

export interface ImageLimeResult {
  explanations: ImageLimeExplanation[];
  score: ScoreKind;
  seed: number;
  /** Network evaluations made. */
  forwardPasses: number;
}

const DEFAULTS = {
  numFeatures: 49,
  numSamples: 2048,
  miniBatchSize: 128,
  kernelWidth: 0.25,
  compactness: 10,
  ridgeLambda: 1,
  numTopFeatures: 5,
};

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new OptionError('INVALID_OPTION', `${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function choice<T extends string>(name: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) {
    throw new OptionError(
      'INVALID_OPTION',
      `${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export async function imageLime(
  model: Model,
  input: TensorData,
  options: ImageLimeOptions = {},
): Promise<ImageLimeResult> {
  const geo = imageGeometry(input, model.inputSpec, options.layout);
  const numFeatures = positiveInteger('numFeatures', options.numFeatures ?? DEFAULTS.numFeatures);
  const numSamples = positiveInteger('numSamples', options.numSamples ?? DEFAULTS.numSamples);
  const miniBatchSize = positiveInteger('miniBatchSize', options.miniBatchSize ?? DEFAULTS.miniBatchSize);
  const numTopFeatures = positiveInteger('numTopFeatures', options.numTopFeatures ?? DEFAULTS.numTopFeatures);
  const surrogate = choice('model', options.model, ['tree', 'linear'], 'tree');
  const upsampling = choice(
    'outputUpsampling',
    options.outputUpsampling,
    ['bicubic', 'nearest', 'none'],
    'bicubic',
  );
  const scoreKind = choice<ScoreKind>('score', options.score, ['probability', 'logit'], 'probability');
  const kernelWidth = options.kernelWidth ?? DEFAULTS.kernelWidth;
  if (!(kernelWidth > 0))
    throw new OptionError('INVALID_OPTION', `kernelWidth must be positive, got ${kernelWidth}`);
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  const random = createRandom(seed);
  const segmentationOption = options.segmentation ?? 'superpixels';

  // Bad explicit targets fail before any pass is run (the class count is checked again with the scores).
  if (options.target !== undefined) resolveTargets(model, options.target, geo.batch);
  requireClassScores(model, 'LIME');
  const scorer = await classScorer(model, scoreKind);
  const progressTotal = geo.batch * numSamples;
  const explanations: ImageLimeExplanation[] = [];

  for (let b = 0; b < geo.batch; b++) {
    const segments = segmentImage(
      input,
      geo,
      b,
      model.inputSpec,
      segmentationOption,
      numFeatures,
      options.compactness ?? DEFAULTS.compactness,
    );
    const K = segments.count;
    const masking = segmentMasking(input, geo, b, segments, options.replacement);

    // On/off pattern per sample; 32 features per random draw.
    const masks = new Uint8Array(numSamples * K).fill(1);
    for (let s = 1; s < numSamples; s++) {
      for (let j = 0; j < K; j += 32) {
        const bits = random.nextUint32();
        for (let t = 0; t < 32 && j + t < K; t++) masks[s * K + j + t] = (bits >>> t) & 1;
      }
    }

    // Sample 0 is the unmodified image: it rides in the first mini-batch and gives the base score and,
    // when no target is given, the predicted class.
    const targetScores = new Float64Array(numSamples);
    let target = -1;
    await runPerturbed(scorer, {
      total: numSamples,
      size: geo.size,
      itemDims: input.dims.slice(1),
      miniBatchSize,
      write: (buffer, offset, s) => masking.write(buffer, offset, (seg) => masks[s * K + seg] === 1),
      collect: (scores, first, count) => {
        const numClasses = scores.dims[1];
        if (first === 0) {
          const row = { data: scores.data.slice(0, numClasses), dims: [1, numClasses] };
          target = resolveTargets(model, targetOfImage(options.target, b), 1, row)[0];
        }
        for (let k = 0; k < count; k++) targetScores[first + k] = scores.data[k * numClasses + target];
      },
      onProgress: options.onProgress,
      progressOffset: b * numSamples,
      progressTotal,
    });
    const baseScore = targetScores[0];

    const features = new Float64Array(numSamples * K);
    const weights = new Float64Array(numSamples);
    for (let s = 0; s < numSamples; s++) {
      let on = 0;
      for (let j = 0; j < K; j++) {
        features[s * K + j] = masks[s * K + j];
        on += masks[s * K + j];
      }
      const distance = 1 - Math.sqrt(on / K);
      weights[s] = Math.sqrt(Math.exp(-(distance * distance) / (kernelWidth * kernelWidth)));
    }
    const data: SurrogateData = {
      features,
      samples: numSamples,
      numFeatures: K,
      targets: targetScores,
      weights,
    };
    const fit =
      surrogate === 'linear'
        ? fitWeightedRidge(data, options.ridgeLambda ?? DEFAULTS.ridgeLambda)
        : fitWeightedTree(data);
    const importance = Float32Array.from(fit.importance);

    explanations.push({
      target,
      baseScore,
      scoreMap: segmentValueMap(segments, importance, upsampling),
      featureMap: { data: segments.labels, dims: [geo.height, geo.width] },
      numFeatures: K,
      featureImportance: importance,
      topFeatures: Array.from({ length: K }, (_, i) => i)
        .sort((x, y) => importance[y] - importance[x] || x - y)
        .slice(0, numTopFeatures),
      fit: {
        model: surrogate,
        r2: fit.r2,
        ...(fit.intercept !== undefined ? { intercept: fit.intercept } : {}),
      },
      ...(segments.labelValues ? { labelValues: segments.labelValues } : {}),
    });
  }
  return { explanations, score: scoreKind, seed, forwardPasses: geo.batch * numSamples };
}
