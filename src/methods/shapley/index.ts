/** Shapley values of coalition games: exact enumeration and Kernel SHAP. */
export { binomial, type CoalitionGame, type ShapleyProgress, type ShapleyResult } from './game.js';
export { exactShapley, MAX_EXACT_PLAYERS } from './exact.js';
export { kernelShap, MAX_KERNEL_PLAYERS, type KernelShapOptions } from './kernel-shap.js';
export {
  imageShap,
  type ImageShapExplanation,
  type ImageShapOptions,
  type ImageShapResult,
} from './image-shap.js';
