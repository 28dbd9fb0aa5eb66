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
import { classScorer, type ScoreKind } from '../class-scores.js';
import { upsampleGrid } from '../grid-upsample.js';
import { channelMeans, imageGeometry, type ImageGeometry } from '../image-layout.js';
import { runPerturbed } from '../perturbed-batches.js';
import { resolveTargets, type ClassTarget, type TargetOption } from '../target.js';
import { segmentImage, type ImageSegments, type SegmentationOption } from './segment.js';
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
  replacement?: 'image-mean' | 'segment-mean' | number | readonly number[];
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

/** Pixel ids of each segment, grouped: pixels[start[s] .. start[s + 1]), ascending. */
interface SegmentPixels {
  start: Int32Array;
  pixels: Int32Array;
}

function groupPixels(segments: ImageSegments): SegmentPixels {
  const start = new Int32Array(segments.count + 1);
  for (const label of segments.labels) start[label + 1]++;
  for (let s = 0; s < segments.count; s++) start[s + 1] += start[s];
  const cursor = start.slice(0, segments.count);
  const pixels = new Int32Array(segments.labels.length);
  segments.labels.forEach((label, p) => {
    pixels[cursor[label]++] = p;
  });
  return { start, pixels };
}

/**
 * Each segment as runs of consecutive pixel ids [runs[2r], runs[2r + 1]) for r in
 * runStart[s] .. runStart[s + 1]: switching a segment off is then a few tight loops per row.
 */
interface SegmentRuns {
  runStart: Int32Array;
  runs: Int32Array;
}

function segmentRuns(groups: SegmentPixels, count: number): SegmentRuns {
  const runStart = new Int32Array(count + 1);
  const runs: number[] = [];
  for (let s = 0; s < count; s++) {
    runStart[s] = runs.length / 2;
    let i = groups.start[s];
    while (i < groups.start[s + 1]) {
      let j = i;
      while (j + 1 < groups.start[s + 1] && groups.pixels[j + 1] === groups.pixels[j] + 1) j++;
      runs.push(groups.pixels[i], groups.pixels[j] + 1);
      i = j + 1;
    }
  }
  runStart[count] = runs.length / 2;
  return { runStart, runs: Int32Array.from(runs) };
}

/** Replacement value per segment and channel, [segment * channels + c]. */
function replacementValues(
  option: ImageLimeOptions['replacement'],
  input: TensorData,
  geo: ImageGeometry,
  index: number,
  groups: SegmentPixels,
  count: number,
): Float32Array {
  const C = geo.channels;
  const out = new Float32Array(count * C);
  if (option === 'segment-mean') {
    const base = index * geo.size;
    for (let s = 0; s < count; s++) {
      const n = groups.start[s + 1] - groups.start[s];
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let i = groups.start[s]; i < groups.start[s + 1]; i++) {
          sum += input.data[base + c * geo.channelStride + groups.pixels[i] * geo.pixelStride];
        }
        out[s * C + c] = n > 0 ? sum / n : 0;
      }
    }
    return out;
  }
  let perChannel: number[];
  if (option === undefined || option === 'image-mean') perChannel = channelMeans(input, geo, index);
  else if (typeof option === 'number' && Number.isFinite(option)) perChannel = new Array(C).fill(option);
  else if (Array.isArray(option) && option.length === C && option.every(Number.isFinite))
    perChannel = [...option];
  else {
    throw new OptionError(
      'INVALID_OPTION',
      `replacement must be 'image-mean', 'segment-mean', a number or ${C} per-channel numbers, got ${JSON.stringify(option)}`,
    );
  }
  for (let s = 0; s < count; s++) for (let c = 0; c < C; c++) out[s * C + c] = perChannel[c];
  return out;
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
  const targetOf = (b: number): TargetOption => {
    const t = options.target;
    if (t === undefined || !Array.isArray(t)) return t as TargetOption;
    return (t as readonly ClassTarget[])[t.length === 1 ? 0 : b];
  };
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
    const groups = groupPixels(segments);
    const replacement = replacementValues(options.replacement, input, geo, b, groups, K);
    const { runStart, runs } = segmentRuns(groups, K);

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
    const image = input.data.subarray(b * geo.size, (b + 1) * geo.size);
    const { channelStride, pixelStride, channels } = geo;
    await runPerturbed(scorer, {
      total: numSamples,
      size: geo.size,
      itemDims: input.dims.slice(1),
      miniBatchSize,
      write: (buffer, offset, s) => {
        buffer.set(image, offset);
        if (s === 0) return;
        const row = s * K;
        for (let seg = 0; seg < K; seg++) {
          if (masks[row + seg]) continue;
          const r0 = runStart[seg];
          const r1 = runStart[seg + 1];
          for (let c = 0; c < channels; c++) {
            const v = replacement[seg * channels + c];
            const o = offset + c * channelStride;
            for (let r = r0; r < r1; r++) {
              const end = o + runs[2 * r + 1] * pixelStride;
              for (let q = o + runs[2 * r] * pixelStride; q < end; q += pixelStride) buffer[q] = v;
            }
          }
        }
      },
      collect: (scores, first, count) => {
        const numClasses = scores.dims[1];
        if (first === 0) {
          const row = { data: scores.data.slice(0, numClasses), dims: [1, numClasses] };
          target = resolveTargets(model, targetOf(b), 1, row)[0];
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
      scoreMap: scoreMapOf(segments, importance, upsampling),
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

function scoreMapOf(
  segments: ImageSegments,
  importance: Float32Array,
  upsampling: 'bicubic' | 'nearest' | 'none',
): TensorData {
  const { height, width, grid } = segments;
  if (grid && upsampling === 'none') {
    return { data: Float32Array.from(importance), dims: [grid.rows, grid.cols] };
  }
  if (grid && upsampling === 'bicubic') {
    return {
      data: upsampleGrid(importance, grid.yAxis, grid.xAxis, height, width, 'bicubic'),
      dims: [height, width],
    };
  }
  const data = new Float32Array(height * width);
  for (let p = 0; p < data.length; p++) data[p] = importance[segments.labels[p]];
  return { data, dims: [height, width] };
}
