/**
 * netlens in the browser (`netlens/web`): the same Model, autodiff and methods as in Node, over
 * onnxruntime-web. Image decode and PNG encode go through the browser's own codecs; long work can run in a
 * Web Worker (`NetlensWorker`) that reports progress.
 */
export type * from '../types.js';
export * from '../errors.js';
export { OnnxModel, softmaxAxis1, type OnnxModelOptions } from '../model.js';
export { loadModel, tfjsToOnnx, type WebLoadOptions, type TfjsModelFiles } from './load.js';
export {
  checkWebGpu,
  webRuntime,
  webGpuAvailable,
  defaultWasmPaths,
  type WebBackend,
  type WebRuntimeOptions,
} from './runtime.js';
export { decodeImageBlob, encodePng, toRgba, type WebDecodeOptions } from './image.js';
export { NetlensWorker, WorkerError } from './client.js';
export type { ModelSummary, EmbeddingResult } from './protocol.js';
export * from '../image/types.js';
export * from '../image/channels.js';
export * from '../image/resample.js';
export * from '../image/resize.js';
export * from '../image/upsample.js';
export * from '../image/normalize.js';
export * from '../render/colormap.js';
export * from '../render/scale.js';
export * from '../render/overlay.js';
export * from '../render/montage.js';
// The image methods (the library's methods/index also carries table plots, rendered with sharp in Node).
export * from '../methods/target.js';
export { occlusionSensitivity, autoMaskSize, autoStride, maskPositions } from '../methods/occlusion.js';
export type { OcclusionOptions, OcclusionResult } from '../methods/occlusion.js';
export { imageLime } from '../methods/lime/image-lime.js';
export type { ImageLimeOptions, ImageLimeResult } from '../methods/lime/image-lime.js';
export { slic } from '../methods/lime/slic.js';
export * from '../methods/cam/index.js';
export * from '../methods/attribution/index.js';
export * from '../methods/dream/index.js';
export { gaussianBlur } from '../methods/gaussian-blur.js';
export * from '../methods/shapley/index.js';
export { activations, channelStats } from '../methods/activations.js';
export { topK, type ClassScore } from '../methods/classify.js';
export { EXPLAINERS, type Explainer, type ExplainerOption, type ExplainerRun } from '../explainers/index.js';
export { project, type ProjectionResult } from '../projection/index.js';
