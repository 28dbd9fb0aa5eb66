/** netlens library entry point: a plain list of the public API. */
export type * from './types.js';
export * from './errors.js';
export { OnnxModel, softmaxAxis1, type OnnxModelOptions } from './model.js';
export { loadModel, nodeRuntime, type LoadOptions, type Sidecar } from './node/load.js';
export type { OnnxRuntime, SessionSettings, GraphOptimizationLevel } from './onnx/runtime.js';
