/**
 * `fromTfjsLayers`: a TF.js LayersModel (model.json + weight bytes) → an ONNX ModelProto (opset 17,
 * dynamic batch). Pure and browser-safe: no file system access here (see node.ts for files).
 */
import { ModelError, UnsupportedError } from '../errors.js';
import { makeModel, makeNode, makeValueInfo, type ModelProto } from '../onnx/proto.js';
import { isObject } from './config.js';
import { TopologyWalker, inputLayers } from './converter.js';
import { GraphBuilder, type Value } from './graph.js';
import { importMetadata, type TfjsImportOptions } from './metadata.js';
import { parseTopology } from './topology.js';
import type { TfjsModelJson } from './types.js';
import { decodeWeights, WeightStore, weightSpecsOf } from './weights.js';
import './layers/index.js';

export const TFJS_OPSET = 17;

/** Check the parsed JSON is a TF.js LayersModel description. */
export function asLayersModelJson(json: unknown): TfjsModelJson {
  if (!isObject(json) || !('modelTopology' in json)) {
    throw new ModelError('INVALID_MODEL', 'not a TF.js model.json: no modelTopology');
  }
  if (json.format === 'graph-model') {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      'this model.json is a TF.js graph model; only layers models (Keras topology) can be imported',
    );
  }
  return json as unknown as TfjsModelJson;
}

/**
 * Convert a TF.js LayersModel. `weightData` is the concatenation of the weight shards in manifest
 * order (or the `weightData` of in-memory model artifacts).
 */
export function fromTfjsLayers(
  modelJson: TfjsModelJson | unknown,
  weightData: Uint8Array | ArrayBuffer,
  options: TfjsImportOptions = {},
): ModelProto {
  const json = asLayersModelJson(modelJson);
  const bytes = weightData instanceof Uint8Array ? weightData : new Uint8Array(weightData);
  const store = new WeightStore(decodeWeights(weightSpecsOf(json), bytes));
  const model = parseTopology(json.modelTopology);

  const g = new GraphBuilder();
  for (const layer of model.layers) g.reserve(layer.name);
  const inputs = new Map<string, Value>();
  for (const layer of inputLayers(model)) {
    const shape = layer.config.has('batch_input_shape')
      ? layer.config.shape('batch_input_shape')
      : layer.config.has('batch_shape')
        ? layer.config.shape('batch_shape')
        : undefined;
    if (!shape) throw new ModelError('INVALID_MODEL', `input layer '${layer.name}' declares no input shape`);
    inputs.set(layer.name, { name: layer.name, shape: [null, ...shape.slice(1)], layout: 'keras' });
  }

  const walker = new TopologyWalker(g, store);
  const results = walker.run(model, inputs, { path: [], suffix: '' });

  const inputNames = new Set(inputs.keys());
  const outputNames = new Set<string>();
  const outputs = results.map((value) => {
    // Model outputs keep Keras's channels_last layout.
    let out = g.asKeras(value);
    if (inputNames.has(out.name) || outputNames.has(out.name)) {
      const name = g.fresh(`${out.name}_output`);
      g.nodes.push(makeNode('Identity', [out.name], [name], {}, name));
      out = { ...out, name };
    }
    outputNames.add(out.name);
    return out;
  });
  const producer = (name: string) => g.nodes[g.producerIndex(name)];
  const endsInSoftmax =
    outputs.length === 1 && outputs[0].shape.length === 2 && producer(outputs[0].name)?.opType === 'Softmax';
  const firstInput = [...inputs.values()][0];
  return makeModel({
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [...inputs.values()].map((v) => makeValueInfo(v.name, symbolicShape(v))),
    outputs: outputs.map((v) => makeValueInfo(v.name, symbolicShape(v))),
    opset: TFJS_OPSET,
    name: model.name,
    metadata: importMetadata(firstInput, endsInSoftmax, options),
  });
}

/** Batch is the symbolic 'N'; other open dims get per-tensor names. */
function symbolicShape(value: Value): (number | string)[] {
  return value.shape.map((d, i) => (i === 0 ? 'N' : d === null ? `${value.name}_d${i}` : d));
}
