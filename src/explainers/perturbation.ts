/** Occlusion sensitivity, image LIME and Kernel SHAP as explainers (map methods driven by forward passes). */
import { timeFrequencyGrid, type TimeFrequencyOptions } from '../methods/audio/segments.js';
import { imageLime, type ImageLimeOptions } from '../methods/lime/image-lime.js';
import { occlusionSensitivity, type OcclusionOptions } from '../methods/occlusion.js';
import { imageShap, type ImageShapOptions } from '../methods/shapley/image-shap.js';
import type { TensorData } from '../types.js';
import type { Explainer, ExplainerOption } from './spec.js';

const SCORE_OPTION = {
  key: 'score',
  flag: '--score',
  kind: 'choice',
  choices: ['probability', 'logit'],
  description: "class score to perturb: the softmax 'probability' (MATLAB's) or the 'logit'",
} as const;

const UPSAMPLING_OPTION = {
  key: 'outputUpsampling',
  flag: '--output-upsampling',
  kind: 'choice',
  choices: ['bicubic', 'nearest', 'none'],
  description: 'how the coarse map is up-sampled to the input size (default bicubic)',
} as const;

const NUM_FEATURES_OPTION: ExplainerOption = {
  key: 'numFeatures',
  flag: '--num-features',
  kind: 'int',
  description: 'about how many segments (default 49)',
};

const SEGMENTATION_OPTION: ExplainerOption = {
  key: 'segmentation',
  flag: '--segmentation',
  kind: 'choice',
  choices: ['superpixels', 'grid'],
  description: 'segments: SLIC superpixels or a grid',
};

const TIME_SEGMENTS_OPTION: ExplainerOption = {
  key: 'numTimeSegments',
  flag: '--num-time-segments',
  kind: 'int',
  description: 'spectrograms: time segments of the time x frequency grid (default 8 on audio models)',
};

const FREQUENCY_SEGMENTS_OPTION: ExplainerOption = {
  key: 'numFrequencySegments',
  flag: '--num-frequency-segments',
  kind: 'int',
  description: 'spectrograms: frequency segments of the time x frequency grid (default 8 on audio models)',
};

/** Options with the time x frequency grid as the segmentation where it applies (see methods/audio). */
function withTimeFrequencyGrid(model: object, options: Record<string, unknown>): Record<string, unknown> {
  const grid = timeFrequencyGrid(model, options as TimeFrequencyOptions);
  return grid ? { ...options, segmentation: grid } : options;
}

const TOP_FEATURES_OPTION: ExplainerOption = {
  key: 'numTopFeatures',
  flag: '--num-top-features',
  kind: 'int',
  description: 'features listed as most important',
};

/** One [H, W] map per explanation → [N, H, W]. */
function stackMaps(maps: readonly TensorData[]): TensorData {
  const [h, w] = maps[0].dims.slice(-2);
  const data = new Float32Array(maps.length * h * w);
  maps.forEach((m, i) => data.set(m.data, i * h * w));
  return { data, dims: [maps.length, h, w] };
}

function labelOf(labels: readonly string[] | undefined, c: number): string {
  return labels?.[c] ?? String(c);
}

export const occlusionExplainer: Explainer = {
  id: 'occlusion',
  generalTargets: true,
  title: 'Occlusion sensitivity',
  description: 'score change when a sliding mask hides each region (MATLAB occlusionSensitivity)',
  signed: true,
  seeded: false,
  options: [
    {
      key: 'maskSize',
      flag: '--mask-size',
      kind: 'size',
      allowAuto: true,
      description: "mask size HxW or 'auto'",
    },
    {
      key: 'stride',
      flag: '--stride',
      kind: 'size',
      allowAuto: true,
      description: "step between masks HxW or 'auto'",
    },
    {
      key: 'maskValue',
      flag: '--mask-value',
      kind: 'numbers',
      allowAuto: true,
      description: "value under the mask: 'auto' (per-channel image mean), a number, or one per channel",
    },
    UPSAMPLING_OPTION,
    {
      key: 'maskClipping',
      flag: '--mask-clipping',
      kind: 'choice',
      choices: ['on', 'off'],
      description: 'clip masks at the borders',
    },
    SCORE_OPTION,
    {
      key: 'inference',
      flag: '--inference',
      kind: 'choice',
      choices: ['auto', 'full', 'incremental'],
      description:
        "'auto': per mask, run only the part of the network's local prefix the mask changes where that pays; " +
        "'full': full passes; 'incremental': the partial path or an error saying why not",
    },
  ],
  async run(model, input, options) {
    const result = await occlusionSensitivity(model, input, options as OcclusionOptions);
    return {
      maps: result.map,
      classes: result.targets.map((c) => (c < 0 ? undefined : c)),
      descriptions: result.descriptions ?? result.targets.map((c) => `class ${labelOf(model.labels, c)}`),
      numbers: {
        baseScores: result.baseScores,
        maskSize: result.maskSize,
        stride: result.stride,
        maskValues: result.maskValues,
        score: result.score,
        forwardPasses: result.forwardPasses,
        inference: result.inference,
      },
    };
  },
};

export const limeExplainer: Explainer = {
  id: 'lime',
  title: 'Image LIME',
  description:
    'a weighted linear (or tree) surrogate over superpixels switched on and off (MATLAB imageLIME)',
  signed: true,
  seeded: true,
  options: [
    NUM_FEATURES_OPTION,
    {
      key: 'numSamples',
      flag: '--num-samples',
      kind: 'int',
      description: 'random on/off masks (default 2048)',
    },
    SEGMENTATION_OPTION,
    TIME_SEGMENTS_OPTION,
    FREQUENCY_SEGMENTS_OPTION,
    {
      key: 'model',
      flag: '--surrogate',
      kind: 'choice',
      choices: ['linear', 'tree'],
      description: 'surrogate model',
    },
    UPSAMPLING_OPTION,
    TOP_FEATURES_OPTION,
    SCORE_OPTION,
  ],
  reportOptions: { numSamples: 512 },
  async run(model, input, options) {
    const result = await imageLime(model, input, withTimeFrequencyGrid(model, options) as ImageLimeOptions);
    return {
      maps: stackMaps(result.explanations.map((e) => e.scoreMap)),
      classes: result.explanations.map((e) => e.target),
      descriptions: result.explanations.map(
        (e) => `class ${labelOf(model.labels, e.target)}, R² ${e.fit.r2.toFixed(2)}`,
      ),
      numbers: {
        seed: result.seed,
        forwardPasses: result.forwardPasses,
        explanations: result.explanations.map((e) => ({
          target: e.target,
          baseScore: e.baseScore,
          numFeatures: e.numFeatures,
          topFeatures: e.topFeatures,
          featureImportance: e.featureImportance,
          fit: e.fit,
        })),
      },
    };
  },
};

export const kernelShapExplainer: Explainer = {
  id: 'kernel-shap',
  title: 'Kernel SHAP',
  description:
    "each superpixel's Shapley value: its fair share of the score change when every segment is switched off",
  signed: true,
  seeded: true,
  options: [
    NUM_FEATURES_OPTION,
    {
      key: 'maxNumSubsets',
      flag: '--max-num-subsets',
      kind: 'int',
      description: 'coalitions scored per image at most (default min(2^segments, 1024))',
    },
    SEGMENTATION_OPTION,
    TIME_SEGMENTS_OPTION,
    FREQUENCY_SEGMENTS_OPTION,
    UPSAMPLING_OPTION,
    TOP_FEATURES_OPTION,
    SCORE_OPTION,
  ],
  reportOptions: { maxNumSubsets: 256 },
  async run(model, input, options) {
    const result = await imageShap(model, input, withTimeFrequencyGrid(model, options) as ImageShapOptions);
    return {
      maps: stackMaps(result.explanations.map((e) => e.scoreMap)),
      classes: result.explanations.map((e) => e.target),
      descriptions: result.explanations.map((e) => `class ${labelOf(model.labels, e.target)}`),
      numbers: {
        seed: result.seed,
        forwardPasses: result.forwardPasses,
        explanations: result.explanations.map((e) => ({
          target: e.target,
          baseScore: e.baseScore,
          emptyScore: e.emptyScore,
          numFeatures: e.numFeatures,
          topFeatures: e.topFeatures,
          shapleyValues: e.shapleyValues,
          exact: e.exact,
          numSubsets: e.numSubsets,
        })),
      },
    };
  },
};
