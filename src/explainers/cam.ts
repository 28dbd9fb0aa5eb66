/** The CAM family as explainers: one generated CLI subcommand and report section per variant. */
import {
  CAM_VARIANTS,
  runCam,
  type CamMethodName,
  type CamOptions,
  type CamResult,
} from '../methods/cam/index.js';
import { asMapStack, type Explainer, type ExplainerOption } from './spec.js';

const LAYER_OPTIONS: readonly ExplainerOption[] = [
  {
    key: 'featureLayer',
    flag: '--feature-layer',
    kind: 'string',
    description: 'layer whose channels are weighted (default: the last layer with spatial dims)',
  },
  {
    key: 'reductionLayer',
    flag: '--reduction-layer',
    kind: 'string',
    description: 'tensor the class scores are read from (default: the input of the final Softmax)',
  },
  {
    key: 'outputUpsampling',
    flag: '--output-upsampling',
    kind: 'choice',
    choices: ['bicubic', 'bilinear', 'nearest'],
    description: 'how the map is up-sampled to the input size (default bicubic)',
  },
  { key: 'normalize', flag: '--normalize', kind: 'flag', description: 'scale each map to [0, 1]' },
];

const SCORE_OPTION: ExplainerOption = {
  key: 'score',
  flag: '--score',
  kind: 'choice',
  choices: ['probability', 'logit'],
  description: "score on masked inputs: softmax 'probability' (default for classes) or the linear 'logit'",
};

const DESCRIPTIONS: Record<CamMethodName, string> = {
  cam: 'feature maps weighted by the linear layer after global average pooling (needs that architecture)',
  gradcam: 'feature maps weighted by the mean gradient of the class score (MATLAB gradCAM)',
  hirescam: 'feature maps times the gradient element by element, then summed',
  'gradcam++': 'feature maps weighted by positive gradients with pixel-wise coefficients',
  xgradcam: 'feature maps weighted by activation-normalised gradients',
  layercam: 'feature maps times their positive gradients, pixel by pixel',
  eigengradcam: 'first principal component of gradient-weighted feature maps',
  scorecam: 'feature maps weighted by the class score of the input masked by each map (no gradients)',
  ablationcam: 'feature maps weighted by the score drop when each map is zeroed (no gradients)',
  eigencam: 'first principal component of the feature maps (no gradients, not class-specific)',
};

/** CLI-friendly ids ('gradcam++' is not a good command name). */
const IDS: Record<CamMethodName, string> = {
  cam: 'cam',
  gradcam: 'gradcam',
  hirescam: 'hirescam',
  'gradcam++': 'gradcampp',
  xgradcam: 'xgradcam',
  layercam: 'layercam',
  eigengradcam: 'eigengradcam',
  scorecam: 'scorecam',
  ablationcam: 'ablationcam',
  eigencam: 'eigencam',
};

function camNumbers(result: CamResult): Record<string, unknown> {
  return {
    featureLayer: result.featureLayer,
    reductionLayer: result.reductionLayer,
    featureMapDims: result.featureMap.dims,
    scores: result.scores,
    cost: result.cost,
  };
}

export function camExplainer(method: CamMethodName): Explainer {
  const variant = CAM_VARIANTS[method];
  return {
    id: IDS[method],
    title: variant.title,
    description: DESCRIPTIONS[method],
    signed: !variant.relu && method !== 'eigencam',
    seeded: false,
    generalTargets: true,
    options: method === 'scorecam' ? [...LAYER_OPTIONS, SCORE_OPTION] : LAYER_OPTIONS,
    async run(model, input, options) {
      const result = await runCam(variant, model, input, options as CamOptions);
      return {
        maps: asMapStack(result.map),
        classes: result.classes,
        descriptions: result.descriptions,
        numbers: camNumbers(result),
      };
    },
  };
}

export const CAM_EXPLAINERS: readonly Explainer[] = (Object.keys(CAM_VARIANTS) as CamMethodName[]).map(
  camExplainer,
);
