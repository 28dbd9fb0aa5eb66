/** Gradient attributions as explainers: saliency, input × gradient, guided backprop, deconvnet, guided
 * Grad-CAM, integrated gradients, and the noise tunnel around them. */
import {
  CHANNEL_REDUCTIONS,
  deconvnet,
  guidedBackprop,
  guidedGradCam,
  inputXGradient,
  integratedGradients,
  INTEGRATION_METHODS,
  BASELINE_KINDS,
  NOISE_TUNNEL_TYPES,
  noiseTunnel,
  saliency,
  type AttributionOptions,
  type AttributionResult,
  type IntegratedGradientsOptions,
} from '../methods/attribution/index.js';
import type { Model, TensorData } from '../types.js';
import { OptionError } from '../errors.js';
import { asMapStack, type Explainer, type ExplainerOption, type ExplainerRun } from './spec.js';

const COMMON: readonly ExplainerOption[] = [
  {
    key: 'reductionLayer',
    flag: '--reduction-layer',
    kind: 'string',
    description: 'tensor the class scores are read from (default: the input of the final Softmax)',
  },
  {
    key: 'channelReduction',
    flag: '--channel-reduction',
    kind: 'choice',
    choices: CHANNEL_REDUCTIONS,
    description: 'how channels become one map: maxAbs, sum (signed), sumAbs or l2',
  },
];

const IG_OPTIONS: readonly ExplainerOption[] = [
  {
    key: 'baseline',
    flag: '--baseline',
    kind: 'choice',
    choices: BASELINE_KINDS,
    description: 'path start: black, white, blurred or uniform noise (default black)',
  },
  { key: 'numSteps', flag: '--num-steps', kind: 'int', description: 'path points (default 50)' },
  {
    key: 'method',
    flag: '--method',
    kind: 'choice',
    choices: INTEGRATION_METHODS,
    description: 'quadrature rule (default gaussLegendre)',
  },
  {
    key: 'tolerance',
    flag: '--tolerance',
    kind: 'number',
    description:
      'completeness target |delta|/|f(x) - f(baseline)|: refine the path where it fails (e.g. 0.01)',
  },
  {
    key: 'maxSteps',
    flag: '--max-steps',
    kind: 'int',
    description: 'with --tolerance: path points per image at most (default 16 x num-steps)',
  },
  {
    key: 'blurSigma',
    flag: '--blur-sigma',
    kind: 'number',
    description: "sigma in pixels of the 'blurred' baseline",
  },
];

function toRun(result: AttributionResult, numbers: Record<string, unknown> = {}): ExplainerRun {
  return {
    maps: asMapStack(result.map),
    classes: result.classes,
    descriptions: result.descriptions,
    numbers: {
      tensor: result.tensor,
      rule: result.rule,
      channelReduction: result.channelReduction,
      scores: result.scores,
      cost: result.cost,
      ...numbers,
    },
  };
}

type Attribute = (model: Model, input: TensorData, options: AttributionOptions) => Promise<AttributionResult>;

/**
 * Pixel-level gradient maps of photos have a few pixels orders of magnitude above the rest: their pictures let
 * the largest 1 % of magnitudes saturate so the remaining structure stays visible (captions say so).
 */
const PIXEL_MAP_CLIP_PERCENT = 1;

function simple(
  id: string,
  title: string,
  description: string,
  signed: boolean,
  attribute: Attribute,
): Explainer {
  return {
    id,
    title,
    description,
    signed,
    seeded: false,
    generalTargets: true,
    clipPercent: PIXEL_MAP_CLIP_PERCENT,
    options: COMMON,
    async run(model, input, options) {
      return toRun(await attribute(model, input, options as AttributionOptions));
    },
  };
}

export const saliencyExplainer = simple(
  'saliency',
  'Saliency',
  'gradient of the class score with respect to the pixels, largest magnitude over channels',
  false,
  saliency,
);
export const inputXGradientExplainer = simple(
  'input-x-gradient',
  'Input × gradient',
  'each input value times the gradient there',
  true,
  inputXGradient,
);
export const guidedBackpropExplainer = simple(
  'guided-backprop',
  'Guided backpropagation',
  'gradient with only positive signals passed back through ReLUs',
  false,
  guidedBackprop,
);
export const deconvnetExplainer = simple(
  'deconvnet',
  'Deconvnet',
  'gradient with ReLU applied to the backward signal',
  false,
  deconvnet,
);

export const guidedGradCamExplainer: Explainer = {
  id: 'guided-gradcam',
  title: 'Guided Grad-CAM',
  description: 'guided backpropagation times the up-sampled Grad-CAM map',
  signed: false,
  seeded: false,
  generalTargets: true,
  clipPercent: PIXEL_MAP_CLIP_PERCENT,
  options: [
    ...COMMON,
    {
      key: 'featureLayer',
      flag: '--feature-layer',
      kind: 'string',
      description: 'layer of the Grad-CAM part (default: the last layer with spatial dims)',
    },
  ],
  async run(model, input, options) {
    return toRun(await guidedGradCam(model, input, options as AttributionOptions));
  },
};

export const integratedGradientsExplainer: Explainer = {
  id: 'integrated-gradients',
  title: 'Integrated gradients',
  description: 'gradients averaged along the path from a baseline image, times the difference to it',
  signed: true,
  seeded: true,
  generalTargets: true,
  clipPercent: PIXEL_MAP_CLIP_PERCENT,
  options: [...COMMON, ...IG_OPTIONS],
  // Adaptive, so the report's maps meet completeness: fixed rules miss it by tens of percent on real CNNs.
  reportOptions: { numSteps: 32, tolerance: 0.01 },
  summarize: summarizeCompleteness,
  async run(model, input, options) {
    const r = await integratedGradients(model, input, options as IntegratedGradientsOptions);
    return toRun(r, {
      baselineScores: r.baselineScores,
      delta: r.delta,
      relativeDelta: r.delta.map((d, i) => d / (r.scores[i] - r.baselineScores[i])),
      numSteps: r.numSteps,
      integration: r.integration,
      stepsUsed: r.stepsUsed,
      ...(r.converged ? { converged: r.converged } : {}),
    });
  },
};

/** Completeness in words: the largest |delta| / |f(x) − f(x')| and the path points spent. */
function summarizeCompleteness(run: ExplainerRun): string {
  // An image whose score equals the baseline's has no relative error to report (0 / 0).
  const all = run.numbers.relativeDelta as number[];
  const relative = all.map(Math.abs).filter(Number.isFinite);
  const steps = run.numbers.stepsUsed as number[];
  if (relative.length === 0) return 'Completeness: f(x) equals f(baseline) for every image.';
  const worst = Math.max(...relative);
  const fewest = Math.min(...steps);
  const most = Math.max(...steps);
  const range = fewest === most ? `${fewest}` : `${fewest}–${most}`;
  return (
    `Completeness: attributions sum to f(x) − f(baseline) within ${(100 * worst).toPrecision(2)} % ` +
    `for every image${relative.length < all.length ? " whose score differs from the baseline's" : ''} ` +
    `(${range} path points per image).`
  );
}

const TUNNELED: Record<string, Attribute> = {
  saliency,
  inputXGradient,
  guidedBackprop,
  integratedGradients,
};

export const noiseTunnelExplainer: Explainer = {
  id: 'smoothgrad',
  title: 'SmoothGrad (noise tunnel)',
  description: 'an attribution averaged over noisy copies of the image (SmoothGrad, SmoothGrad², VarGrad)',
  signed: false,
  seeded: true,
  generalTargets: true,
  clipPercent: PIXEL_MAP_CLIP_PERCENT,
  options: [
    ...COMMON,
    {
      key: 'type',
      flag: '--type',
      kind: 'choice',
      choices: NOISE_TUNNEL_TYPES,
      description: 'aggregate: smoothGrad (mean), smoothGradSquared or varGrad',
    },
    {
      key: 'numSamples',
      flag: '--num-samples',
      kind: 'int',
      description: 'noisy copies per image (default 25)',
    },
    {
      key: 'noiseLevel',
      flag: '--noise-level',
      kind: 'number',
      description: "noise sigma as a fraction of the image's value range (default 0.15)",
    },
    {
      key: 'base',
      flag: '--base',
      kind: 'choice',
      choices: Object.keys(TUNNELED),
      description: 'attribution inside the tunnel (default saliency)',
    },
    ...IG_OPTIONS,
  ],
  reportOptions: { numSamples: 10 },
  async run(model, input, options) {
    const { base = 'saliency', ...rest } = options as { base?: string } & Record<string, unknown>;
    const attribute = TUNNELED[base];
    if (!attribute) {
      throw new OptionError(
        'INVALID_OPTION',
        `base must be one of ${Object.keys(TUNNELED).join(', ')}, got '${base}'`,
      );
    }
    const r = await noiseTunnel(attribute, model, input, rest as AttributionOptions);
    return toRun(r, { type: r.type, numSamples: r.numSamples, noiseLevel: r.noiseLevel, base });
  },
};

export const ATTRIBUTION_EXPLAINERS: readonly Explainer[] = [
  saliencyExplainer,
  inputXGradientExplainer,
  guidedBackpropExplainer,
  deconvnetExplainer,
  guidedGradCamExplainer,
  integratedGradientsExplainer,
  noiseTunnelExplainer,
];
