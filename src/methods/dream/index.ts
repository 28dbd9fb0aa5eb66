/** Activation maximisation: Deep Dream and class-score maximisation. */
export { deepDream, type DeepDreamOptions, type DeepDreamResult } from './deep-dream.js';
export {
  classMaximization,
  type ClassMaximizationOptions,
  type ClassMaximizationResult,
} from './class-maximization.js';
export { dreamFigure } from './figure.js';
