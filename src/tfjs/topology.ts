/**
 * Keras topology JSON → one uniform description. Sequential models become chains, functional models keep
 * their inbound nodes, and a Model/Sequential used as a layer carries its own description. Node indices
 * are turned into plain "application number" indices here, so the converter never deals with Keras's
 * convention that a nested model's node 0 is its own construction.
 */
import { ModelError, UnsupportedError } from '../errors.js';
import { isObject, LayerConfig } from './config.js';
import type { JsonObject } from './types.js';

/** Output `tensor` of the `call`-th application of layer `layer`. */
export interface TensorRef {
  layer: string;
  call: number;
  tensor: number;
}

export interface LayerSpec {
  /** Unique per layer object in the whole model: keys the initializer cache of shared layers. */
  uid: number;
  className: string;
  name: string;
  config: LayerConfig;
  /** Inputs of each application, in application order. */
  calls: TensorRef[][];
  /** Set for a Model/Sequential used as a layer. */
  model?: ModelSpec;
}

export interface ModelSpec {
  name: string;
  layers: LayerSpec[];
  inputs: TensorRef[];
  outputs: TensorRef[];
}

const MODEL_CLASSES = new Set(['Model', 'Functional', 'Sequential']);

/** Parse `modelTopology` from model.json (Keras-converted or TF.js-saved). */
export function parseTopology(modelTopology: unknown): ModelSpec {
  if (!isObject(modelTopology))
    throw new ModelError('INVALID_MODEL', 'model.json has no modelTopology object');
  // Keras-converted files wrap the model in `model_config`; TF.js-saved ones put it at the top.
  const modelConfig = isObject(modelTopology.model_config) ? modelTopology.model_config : modelTopology;
  const counter = { next: 0 };
  return parseModel(modelConfig, counter);
}

function parseModel(json: JsonObject, counter: { next: number }): ModelSpec {
  const className = json.class_name;
  if (className === undefined) {
    throw new ModelError('INVALID_MODEL', 'model.json describes no model (modelTopology has no class_name)');
  }
  if (typeof className !== 'string' || !MODEL_CLASSES.has(className)) {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      `model class ${JSON.stringify(className)} is not supported, expected Sequential or Model (functional)`,
    );
  }
  return className === 'Sequential'
    ? parseSequential(json.config, counter)
    : parseFunctional(json.config, counter);
}

function layerName(json: JsonObject): string {
  const config = isObject(json.config) ? json.config : {};
  const name = json.name ?? config.name;
  if (typeof name !== 'string' || name === '')
    throw new ModelError('INVALID_MODEL', 'a layer in model.json has no name');
  return name;
}

function makeLayer(json: JsonObject, calls: TensorRef[][], counter: { next: number }): LayerSpec {
  if (!isObject(json) || typeof json.class_name !== 'string') {
    throw new ModelError('INVALID_MODEL', 'a layer in model.json has no class_name');
  }
  const name = layerName(json);
  const config = new LayerConfig(json.class_name, name, isObject(json.config) ? json.config : {});
  const layer: LayerSpec = { uid: counter.next++, className: json.class_name, name, config, calls };
  if (MODEL_CLASSES.has(json.class_name)) layer.model = parseModel(json, counter);
  return layer;
}

function parseSequential(config: unknown, counter: { next: number }): ModelSpec {
  // Keras 2.2 stores a bare list of layers; later versions and TF.js store {name, layers}.
  const layersJson = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  const name = isObject(config) && typeof config.name === 'string' ? config.name : 'sequential';
  if (!Array.isArray(layersJson) || layersJson.length === 0) {
    throw new ModelError('INVALID_MODEL', `Sequential model '${name}' has no layers`);
  }
  const items = layersJson.filter(isObject);
  let inputLayer: LayerSpec;
  let rest: JsonObject[];
  if (items[0].class_name === 'InputLayer') {
    inputLayer = makeLayer(items[0], [], counter);
    rest = items.slice(1);
  } else {
    // Keras and TF.js create an implicit input layer named `<first layer>_input`.
    const first = new LayerConfig(
      String(items[0].class_name),
      layerName(items[0]),
      (items[0].config ?? {}) as JsonObject,
    );
    const shape = declaredInputShape(first) ?? nestedInputShape(items[0]);
    inputLayer = {
      uid: counter.next++,
      className: 'InputLayer',
      name: `${first.layerName}_input`,
      config: new LayerConfig('InputLayer', `${first.layerName}_input`, { batch_input_shape: shape }),
      calls: [],
    };
    rest = items;
  }
  const layers: LayerSpec[] = [inputLayer];
  let previous = inputLayer.name;
  for (const item of rest) {
    const layer = makeLayer(item, [[{ layer: previous, call: 0, tensor: 0 }]], counter);
    layers.push(layer);
    previous = layer.name;
  }
  return {
    name,
    layers,
    inputs: [{ layer: inputLayer.name, call: 0, tensor: 0 }],
    outputs: [{ layer: previous, call: 0, tensor: 0 }],
  };
}

/** The batch input shape a first Sequential layer declares, or null dims when it declares none. */
function declaredInputShape(config: LayerConfig): (number | null)[] | null {
  if (config.has('batch_input_shape')) return config.shape('batch_input_shape');
  if (config.has('batch_shape')) return config.shape('batch_shape');
  if (config.has('input_shape')) return [null, ...config.shape('input_shape')];
  if (config.has('input_dim')) return [null, config.number('input_dim')];
  return null;
}

/** The input shape of a nested model used as the first layer of a Sequential. */
function nestedInputShape(json: JsonObject): (number | null)[] | null {
  if (typeof json.class_name !== 'string' || !MODEL_CLASSES.has(json.class_name)) return null;
  const config = json.config;
  const list = Array.isArray(config)
    ? config
    : isObject(config) && Array.isArray(config.layers)
      ? config.layers
      : [];
  const first = list.find(isObject);
  if (!first) return null;
  const firstConfig = new LayerConfig(
    String(first.class_name),
    layerName(first),
    (first.config ?? {}) as JsonObject,
  );
  return declaredInputShape(firstConfig) ?? nestedInputShape(first);
}

function parseFunctional(config: unknown, counter: { next: number }): ModelSpec {
  if (!isObject(config) || !Array.isArray(config.layers)) {
    throw new ModelError('INVALID_MODEL', 'functional model config has no layers list');
  }
  const name = typeof config.name === 'string' ? config.name : 'model';
  const raw = config.layers.filter(isObject);
  const byName = new Map<string, { json: JsonObject; offset: number }>();
  for (const json of raw) byName.set(layerName(json), { json, offset: nodeOffset(json) });

  const ref = (entry: unknown, where: string): TensorRef => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') {
      if (isObject(entry) && 'args' in entry) {
        throw new UnsupportedError('UNSUPPORTED_MODEL', 'the Keras 3 topology format is not supported');
      }
      throw new ModelError('INVALID_MODEL', `${where}: malformed tensor reference ${JSON.stringify(entry)}`);
    }
    const target = byName.get(entry[0]);
    if (!target) throw new ModelError('INVALID_MODEL', `${where}: refers to unknown layer '${entry[0]}'`);
    const node = typeof entry[1] === 'number' ? entry[1] : 0;
    const call = node - target.offset;
    if (call < 0 && target.offset > 0) {
      throw new ModelError(
        'INVALID_MODEL',
        `${where}: refers to the internal node of nested model '${entry[0]}'`,
      );
    }
    return { layer: entry[0], call: Math.max(call, 0), tensor: typeof entry[2] === 'number' ? entry[2] : 0 };
  };

  const layers = raw.map((json) => {
    const name = layerName(json);
    const inbound = Array.isArray(json.inbound_nodes) ? json.inbound_nodes : [];
    const calls = inbound.map((node) => {
      if (!Array.isArray(node)) {
        throw new UnsupportedError('UNSUPPORTED_MODEL', 'the Keras 3 topology format is not supported');
      }
      return node.map((entry) => ref(entry, `layer '${name}'`));
    });
    return makeLayer(json, calls, counter);
  });
  const refList = (value: unknown, what: string): TensorRef[] => {
    if (!Array.isArray(value) || value.length === 0)
      throw new ModelError('INVALID_MODEL', `model '${name}' has no ${what}`);
    const list = typeof value[0] === 'string' ? [value] : value;
    return list.map((entry) => ref(entry, `model '${name}' ${what}`));
  };
  return {
    name,
    layers,
    inputs: refList(config.input_layers, 'input_layers'),
    outputs: refList(config.output_layers, 'output_layers'),
  };
}

/**
 * Keras numbers the applications of a nested model from 1 when the model was built on its own inputs
 * (node 0 is that construction); a Sequential without an input shape has no such node.
 */
function nodeOffset(json: JsonObject): number {
  if (typeof json.class_name !== 'string' || !MODEL_CLASSES.has(json.class_name)) return 0;
  if (json.class_name !== 'Sequential') return 1;
  const config = json.config;
  const items = Array.isArray(config)
    ? config
    : isObject(config) && Array.isArray(config.layers)
      ? config.layers
      : [];
  const first = items.find(isObject);
  if (!first) return 0;
  if (first.class_name === 'InputLayer') return 1;
  const firstConfig = new LayerConfig(
    String(first.class_name),
    layerName(first),
    (first.config ?? {}) as JsonObject,
  );
  return declaredInputShape(firstConfig) || nestedInputShape(first) ? 1 : 0;
}
