/** Gradient attributions: one "VJP over a batch of derived inputs" path, one small file per method. */
export * from './common.js';
export { saliency } from './saliency.js';
export { inputXGradient } from './input-x-gradient.js';
export { guidedBackprop, deconvnet } from './guided-backprop.js';
export { guidedGradCam, type GuidedGradCamOptions } from './guided-grad-cam.js';
export {
  integratedGradients,
  type IntegratedGradientsOptions,
  type IntegratedGradientsResult,
} from './integrated-gradients.js';
export {
  integratePathAdaptively,
  type AdaptivePathProblem,
  type AdaptivePathResult,
  type PathJob,
} from './adaptive-path.js';
export {
  quadrature,
  gaussLegendre,
  INTEGRATION_METHODS,
  type IntegrationMethod,
  type Quadrature,
} from './quadrature.js';
export { makeBaseline, BASELINE_KINDS, type Baseline, type BaselineKind } from './baselines.js';
export {
  noiseTunnel,
  NOISE_TUNNEL_TYPES,
  type NoiseTunnelType,
  type NoiseTunnelOptions,
  type NoiseTunnelResult,
  type AttributionFunction,
} from './noise-tunnel.js';
export { runDerivedGradients, type DerivedGradientRun } from './gradient-batches.js';
