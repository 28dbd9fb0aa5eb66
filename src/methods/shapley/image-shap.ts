/**
 * Kernel SHAP over image segments: the players are the image's features (SLIC superpixels, grid cells or a
 * label matrix, as image LIME cuts them); a coalition's value is the target's score with every feature
 * outside it switched off (replaced as in LIME, by default with the image's channel means). Each feature's
 * Shapley value is its fair share of score(image) − score(all features off), and the shares sum to that
 * difference exactly.
 */
import type { BatchOptions, Model, TensorData } from '../../types.js';
import { checkSeed, DEFAULT_SEED } from '../../util/random.js';
import { checkChoice, checkPositiveInt } from '../batch.js';
import { classScorer, requireClassScores, type ScoreKind } from '../class-scores.js';
import { imageGeometry } from '../image-layout.js';
import { segmentMasking, segmentValueMap, type ReplacementOption } from '../lime/feature-masking.js';
import { segmentImage, type SegmentationOption } from '../lime/segment.js';
import { runPerturbed } from '../perturbed-batches.js';
import { resolveTargets, targetOfImage, type TargetOption } from '../target.js';
import { kernelShap } from './kernel-shap.js';

export interface ImageShapOptions extends BatchOptions {
  target?: TargetOption;
  /** Target number of features (segments) the image is cut into (default 49). */
  numFeatures?: number;
  /** Coalitions scored per image at most, all features on and off included (default min(2^K, 1024)). */
  maxNumSubsets?: number;
  /** 'superpixels' (SLIC, default), 'grid', or a label matrix {data, dims: [H, W]}. */
  segmentation?: SegmentationOption;
  /** What a switched-off feature shows (default 'image-mean', as image LIME). */
  replacement?: ReplacementOption;
  /** Grid segmentation only: 'bicubic' (default), 'nearest' or 'none' (one value per cell). */
  outputUpsampling?: 'bicubic' | 'nearest' | 'none';
  /** SLIC compactness (default 10). */
  compactness?: number;
  /** How many features to list in `topFeatures` (default 5). */
  numTopFeatures?: number;
  /** Seed of the coalition sampling (default 0). */
  seed?: number;
  /** 'probability' (default) or 'logit'. */
  score?: ScoreKind;
  layout?: 'NCHW' | 'NHWC';
}

export interface ImageShapExplanation {
  target: number;
  /** Score of the unmodified image, and of the image with every feature switched off. */
  baseScore: number;
  emptyScore: number;
  /** Shapley value of each pixel's feature: [H, W] (grid with 'none': [rows, cols]). */
  scoreMap: TensorData;
  /** Feature id (0..numFeatures-1) of every pixel, [H, W]. */
  featureMap: { data: Int32Array; dims: [number, number] };
  numFeatures: number;
  /** Shapley value per feature; they sum to baseScore − emptyScore. */
  shapleyValues: Float32Array;
  /** Feature ids by decreasing Shapley value. */
  topFeatures: number[];
  /** Whether every coalition was scored (exact Shapley values). */
  exact: boolean;
  numSubsets: number;
  labelValues?: number[];
}

export interface ImageShapResult {
  explanations: ImageShapExplanation[];
  score: ScoreKind;
  seed: number;
  forwardPasses: number;
}

const DEFAULTS = { numFeatures: 49, compactness: 10, numTopFeatures: 5, miniBatchSize: 128 };

export async function imageShap(
  model: Model,
  input: TensorData,
  options: ImageShapOptions = {},
): Promise<ImageShapResult> {
  const geo = imageGeometry(input, model.inputSpec, options.layout);
  const numFeatures = checkPositiveInt('numFeatures', options.numFeatures, DEFAULTS.numFeatures);
  const numTopFeatures = checkPositiveInt('numTopFeatures', options.numTopFeatures, DEFAULTS.numTopFeatures);
  const miniBatchSize = checkPositiveInt('miniBatchSize', options.miniBatchSize, DEFAULTS.miniBatchSize);
  const upsampling = checkChoice(
    'outputUpsampling',
    options.outputUpsampling,
    ['bicubic', 'nearest', 'none'],
    'bicubic',
  );
  const scoreKind = checkChoice<ScoreKind>('score', options.score, ['probability', 'logit'], 'probability');
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  if (options.target !== undefined) resolveTargets(model, options.target, geo.batch);
  requireClassScores(model, 'Kernel SHAP');
  const scorer = await classScorer(model, scoreKind);
  const explanations: ImageShapExplanation[] = [];
  let forwardPasses = 0;

  for (let b = 0; b < geo.batch; b++) {
    const segments = segmentImage(
      input,
      geo,
      b,
      model.inputSpec,
      options.segmentation ?? 'superpixels',
      numFeatures,
      options.compactness ?? DEFAULTS.compactness,
    );
    const masking = segmentMasking(input, geo, b, segments, options.replacement);
    const K = masking.count;
    // The unmodified image names the class to explain when no target is given.
    const scores = await scorer(
      { data: input.data.slice(b * geo.size, (b + 1) * geo.size), dims: [1, ...input.dims.slice(1)] },
      { miniBatchSize },
    );
    const target = resolveTargets(model, targetOfImage(options.target, b), 1, scores)[0];
    forwardPasses += 1;
    const shap = await kernelShap(
      {
        numPlayers: K,
        numOutputs: 1,
        values: async (coalitions) => {
          const out = new Float64Array(coalitions.length);
          await runPerturbed(scorer, {
            total: coalitions.length,
            size: geo.size,
            itemDims: input.dims.slice(1),
            miniBatchSize,
            write: (buffer, offset, j) => masking.write(buffer, offset, (seg) => coalitions[j][seg] === 1),
            collect: (batchScores, first, count) => {
              const numClasses = batchScores.dims[1];
              for (let i = 0; i < count; i++) out[first + i] = batchScores.data[i * numClasses + target];
            },
          });
          forwardPasses += coalitions.length;
          return out;
        },
      },
      {
        maxNumSubsets: options.maxNumSubsets,
        seed,
        onProgress: options.onProgress
          ? (e) => options.onProgress!({ ...e, stage: `coalitions, image ${b + 1}/${geo.batch}` })
          : undefined,
      },
    );
    const values = Float32Array.from(shap.values);
    explanations.push({
      target,
      baseScore: shap.fullValue[0],
      emptyScore: shap.emptyValue[0],
      scoreMap: segmentValueMap(segments, values, upsampling),
      featureMap: { data: segments.labels, dims: [geo.height, geo.width] },
      numFeatures: K,
      shapleyValues: values,
      topFeatures: Array.from({ length: K }, (_, i) => i)
        .sort((x, y) => values[y] - values[x] || x - y)
        .slice(0, numTopFeatures),
      exact: shap.exact,
      numSubsets: shap.numSubsets,
      ...(segments.labelValues ? { labelValues: segments.labelValues } : {}),
    });
  }
  return { explanations, score: scoreKind, seed, forwardPasses };
}
