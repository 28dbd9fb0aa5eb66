/** netlens library entry point: a plain list of the public API. */
export type * from './types.js';
export * from './errors.js';
export { OnnxModel, softmaxAxis1, type OnnxModelOptions } from './model.js';
export { loadModel, nodeRuntime, type LoadOptions, type Sidecar } from './node/load.js';
export type { OnnxRuntime, SessionSettings, GraphOptimizationLevel } from './onnx/runtime.js';
export * from './image/index.js';
export * from './render/index.js';
export * from './methods/index.js';
export * from './audio/index.js';
export * from './methods/audio/index.js';
export { readWavFile } from './node/wav-file.js';
export { loadAudioSamples, type AudioSample } from './data/audio-samples.js';
export {
  activations,
  channelStats,
  type ActivationsOptions,
  type ActivationsResult,
} from './methods/activations.js';
export { activationFigure, activationPictures } from './methods/activation-figure.js';
export { topK, type ClassScore } from './methods/classify.js';
export { describeModel, formatModelDescription, type ModelDescription } from './methods/describe.js';
export {
  fromTfjsLayers,
  isTfjsModelJson,
  parseTfjsModelJson,
  supportedLayerClasses,
  type TfjsImportOptions,
  type TfjsModelJson,
} from './tfjs/index.js';
export { convertTfjsFile, convertTfjsFileToProto, isTfjsModelFile, readTfjsModelFiles } from './tfjs/node.js';
export * from './methods/dataset/index.js';
export {
  imageFileSource,
  imageFolderSource,
  listImageFiles,
  sampleSetSource,
  type ImageFileOptions,
  type SampleSetOptions,
} from './methods/dataset/node-sources.js';
export {
  pointingGame,
  type Box,
  type PointingGameOptions,
  type PointingGameResult,
} from './eval/pointing-game.js';
export * from './eval/index.js';
export { EXPLAINERS, type Explainer, type ExplainerOption, type ExplainerRun } from './explainers/index.js';
export { learnedLayers, randomizeLayers, type LearnedLayer } from './onnx/randomize.js';
export { fixtureModelPath } from './data/manifest.js';
export {
  loadImageSamples,
  loadSequenceSamples,
  loadTableSamples,
  imagePixels,
  sampleImagePaths,
  sequenceTensor,
  type ImageSampleSet,
  type SequenceSampleSet,
  type TableLoadOptions,
  type TableSampleSet,
} from './data/samples.js';
export { explainSequences, type SequenceExplanation, type SequenceItem } from './methods/sequence/explain.js';
export { sequenceActivations, type SequenceActivations } from './methods/sequence/activations.js';
export { loadSequenceArgs, readSequenceFile, type SequenceFile } from './data/sequence-files.js';
export {
  parseTableCsv,
  readTableCsv,
  selectRows,
  type TableColumns,
  type TableData,
} from './data/table-csv.js';
export { tsneThreads, defaultTsneThreads } from './node/tsne-threads.js';
export { gemmNeighbours, ortNeighbourSearch } from './node/gemm-neighbours.js';
export { ortMatrixProducts } from './node/gemm-products.js';
export { tableRowWorker, TableRowWorker } from './node/table-rows.js';
export type { PhaseExecutor } from './projection/tasks.js';
