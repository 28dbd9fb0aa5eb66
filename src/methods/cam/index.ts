/** The CAM family: one shared base (`base.ts`), one small file per variant giving its channel weighting. */
import type { Model, TensorData } from '../../types.js';
import { runCam, type CamMethodName, type CamOptions, type CamResult, type CamVariant } from './base.js';
import { ablationCamVariant } from './ablation-cam.js';
import { camVariant } from './cam.js';
import { eigenCamVariant } from './eigen-cam.js';
import { eigenGradCamVariant } from './eigen-grad-cam.js';
import { gradCamPlusPlusVariant } from './grad-cam-plus-plus.js';
import { gradCamVariant } from './grad-cam.js';
import { hiResCamVariant } from './hires-cam.js';
import { layerCamVariant } from './layer-cam.js';
import { scoreCamVariant, type ScoreCamOptions } from './score-cam.js';
import { xGradCamVariant } from './xgrad-cam.js';
import { OptionError } from '../../errors.js';

export * from './base.js';
export { cam, camVariant } from './cam.js';
export { gradCam, gradCamVariant } from './grad-cam.js';
export { hiResCam, hiResCamVariant } from './hires-cam.js';
export { gradCamPlusPlus, gradCamPlusPlusVariant } from './grad-cam-plus-plus.js';
export { xGradCam, xGradCamVariant } from './xgrad-cam.js';
export { layerCam, layerCamVariant } from './layer-cam.js';
export { eigenGradCam, eigenGradCamVariant } from './eigen-grad-cam.js';
export { eigenCam, eigenCamVariant } from './eigen-cam.js';
export { scoreCam, scoreCamVariant, type ScoreCamOptions } from './score-cam.js';
export { ablationCam, ablationCamVariant } from './ablation-cam.js';
export { firstComponentProjection, featureMaps, type FeatureMaps } from './feature-maps.js';

/** Every variant by name, in the order the docs and reports list them. */
export const CAM_VARIANTS: Readonly<Record<CamMethodName, CamVariant>> = {
  cam: camVariant,
  gradcam: gradCamVariant,
  hirescam: hiResCamVariant,
  'gradcam++': gradCamPlusPlusVariant,
  xgradcam: xGradCamVariant,
  layercam: layerCamVariant,
  eigengradcam: eigenGradCamVariant,
  scorecam: scoreCamVariant,
  ablationcam: ablationCamVariant,
  eigencam: eigenCamVariant,
};

export const CAM_METHODS = Object.keys(CAM_VARIANTS) as CamMethodName[];

/** Any CAM variant by name. */
export async function classActivationMap(
  method: CamMethodName,
  model: Model,
  input: TensorData,
  options?: CamOptions & ScoreCamOptions,
): Promise<CamResult> {
  const variant = CAM_VARIANTS[method];
  if (!variant) {
    throw new OptionError(
      'INVALID_OPTION',
      `unknown CAM method '${method}', expected one of ${CAM_METHODS.join(', ')}`,
    );
  }
  return runCam(variant, model, input, options);
}
