/**
 * Every heat-map explainer, in report order. Each gets a CLI subcommand (`netlens <id>`) and a report
 * section generated from its description; a new map method adds its entry here.
 */
import { ATTRIBUTION_EXPLAINERS } from './attribution.js';
import { CAM_EXPLAINERS } from './cam.js';
import { kernelShapExplainer, limeExplainer, occlusionExplainer } from './perturbation.js';
import type { Explainer } from './spec.js';

export type { Explainer, ExplainerOption, ExplainerRun } from './spec.js';

export const EXPLAINERS: readonly Explainer[] = [
  ...CAM_EXPLAINERS,
  ...ATTRIBUTION_EXPLAINERS,
  occlusionExplainer,
  limeExplainer,
  kernelShapExplainer,
];
