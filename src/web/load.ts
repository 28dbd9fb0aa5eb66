/** Loading a model in the browser: bytes (or a URL, or a TF.js model.json with its weights) → `OnnxModel`. */
import { ModelError, OptionError } from '../errors.js';
import { OnnxModel, type OnnxModelOptions } from '../model.js';
import { encodeModel } from '../onnx/proto.js';
import { fromTfjsLayers } from '../tfjs/import.js';
import { checkWebGpu, webRuntime, type WebRuntimeOptions } from './runtime.js';

export interface WebLoadOptions extends OnnxModelOptions, WebRuntimeOptions {}

/** A TF.js LayersModel: its model.json value and the weight shards concatenated in manifest order. */
export interface TfjsModelFiles {
  modelJson: unknown;
  weights: Uint8Array;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new ModelError('INVALID_MODEL', `cannot fetch ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** ONNX bytes of a TF.js model (converted by netlens's importer, in memory). */
export function tfjsToOnnx(files: TfjsModelFiles): Uint8Array {
  return encodeModel(fromTfjsLayers(files.modelJson, files.weights));
}

/** Load an ONNX model from bytes, a URL, or TF.js files, running on onnxruntime-web. */
export async function loadModel(
  source: Uint8Array | ArrayBuffer | string | TfjsModelFiles,
  options: WebLoadOptions = {},
): Promise<OnnxModel> {
  const { backend, wasmPaths, threads, ...modelOptions } = options;
  let bytes: Uint8Array;
  if (typeof source === 'string') bytes = await fetchBytes(source);
  else if (source instanceof Uint8Array) bytes = source;
  else if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
  else if (typeof source === 'object' && source !== null && 'modelJson' in source) bytes = tfjsToOnnx(source);
  else throw new OptionError('INVALID_OPTION', 'loadModel takes model bytes, a URL or TF.js model files');
  if (backend === 'webgpu') await checkWebGpu();
  const runtime = webRuntime({ backend, wasmPaths, threads });
  return OnnxModel.create(bytes, runtime, {
    ...modelOptions,
    source: modelOptions.source ?? (typeof source === 'string' ? source : 'model'),
  });
}
