/**
 * TF.js / Keras LayersModel → ONNX importer (browser-safe; file helpers live in `./node.js`).
 */
export { fromTfjsLayers, asLayersModelJson, TFJS_OPSET } from './import.js';
export { isTfjsModelJson, parseTfjsModelJson } from './detect.js';
export { supportedLayerClasses } from './layers/index.js';
export type { TfjsImportOptions } from './metadata.js';
export type { TfjsModelJson, TfjsWeightGroup, TfjsWeightSpec } from './types.js';
