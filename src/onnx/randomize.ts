/**
 * Model-parameter randomisation for the sanity checks of Adebayo et al. ("Sanity Checks for Saliency
 * Maps", 2018): copies of a model whose learned layers are re-initialised. A learned layer is a Conv,
 * ConvTranspose, Gemm or MatMul node with a float32 initializer as its weight; re-initialising it replaces
 * every float32 initializer the node reads (weight and bias) by normal noise with the original tensor's
 * standard deviation, so activations keep their scale while the learned structure is gone. A
 * BatchNormalization right after the layer belongs to it and returns to its freshly built state (scale 1,
 * shift 0, running mean 0, running variance 1): its statistics describe the trained layer's outputs.
 *
 * Each layer's noise comes from its own seeded stream, so the cascade (top layer, then the top two, ...)
 * and the independent randomisations re-initialise a given layer identically.
 */
import { UnsupportedError } from '../errors.js';
import { createRandom } from '../util/random.js';
import { consumersOf, findInitializer, nodeInputs, topologicalNodes } from './graph.js';
import {
  cloneModel,
  DataType,
  decodeTensor,
  floatTensor,
  type ModelProto,
  type TensorProto,
} from './proto.js';

const LEARNED_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

export interface LearnedLayer {
  /** Node name (or its first output when unnamed). */
  name: string;
  opType: string;
  /** The float32 initializers the node reads. */
  parameters: string[];
  /** Initializers of a BatchNormalization that directly follows: [scale, B, mean, var]. */
  normalization?: string[];
}

/** Learned layers from the output back to the input (the order of the cascade). */
export function learnedLayers(model: ModelProto): LearnedLayer[] {
  const graph = model.graph!;
  const layers: LearnedLayer[] = [];
  for (const node of topologicalNodes(graph)) {
    if (!LEARNED_OPS.has(node.opType ?? '')) continue;
    const floatInit = (name: string) => {
      const t = findInitializer(graph, name);
      return t !== undefined && (t.dataType ?? DataType.FLOAT) === DataType.FLOAT;
    };
    const weight = node.input?.[1];
    if (!weight || !floatInit(weight)) continue;
    const consumers = consumersOf(graph, node.output?.[0] ?? '');
    const norm =
      consumers.length === 1 && consumers[0].opType === 'BatchNormalization' ? consumers[0] : undefined;
    const normParams = norm ? nodeInputs(norm).slice(1, 5) : [];
    layers.push({
      name: node.name || (node.output?.[0] ?? ''),
      opType: node.opType ?? '',
      parameters: nodeInputs(node).filter(floatInit),
      ...(normParams.length === 4 && normParams.every(floatInit) ? { normalization: normParams } : {}),
    });
  }
  return layers.reverse();
}

function layerSeed(seed: number, index: number): number {
  return ((seed >>> 0) ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
}

function reinitialised(tensor: TensorProto, seed: number): TensorProto {
  const { dims, data } = decodeTensor(tensor);
  const values = data as Float32Array;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length || 1;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2;
  const std = Math.sqrt(variance / (values.length || 1));
  const random = createRandom(seed);
  return floatTensor(
    tensor.name ?? '',
    dims,
    Float32Array.from(values, () => (std > 0 ? random.normal(0, std) : 0)),
  );
}

/**
 * A copy of `model` with the learned layers at positions `which` of `learnedLayers(model)` re-initialised
 * (position 0 is the top layer).
 */
export function randomizeLayers(model: ModelProto, which: readonly number[], seed = 0): ModelProto {
  const layers = learnedLayers(model);
  if (layers.length === 0) {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      'the model has no learned layer to randomise (Conv, ConvTranspose, Gemm or MatMul with a float32 weight initializer)',
    );
  }
  const copy = cloneModel(model);
  const graph = copy.graph!;
  const done = new Set<string>();
  for (const index of which) {
    const layer = layers[index];
    if (!layer)
      throw new UnsupportedError(
        'UNSUPPORTED_MODEL',
        `layer position ${index} is out of range 0..${layers.length - 1}`,
      );
    layer.parameters.forEach((name, k) => {
      if (done.has(name)) return;
      done.add(name);
      const position = (graph.initializer ?? []).findIndex((t) => t.name === name);
      graph.initializer![position] = reinitialised(
        graph.initializer![position],
        layerSeed(seed, index * 16 + k),
      );
    });
    layer.normalization?.forEach((name, k) => {
      if (done.has(name)) return;
      done.add(name);
      const position = (graph.initializer ?? []).findIndex((t) => t.name === name);
      const { dims, data } = decodeTensor(graph.initializer![position]);
      // scale and variance 1, shift and mean 0.
      graph.initializer![position] = floatTensor(
        name,
        dims,
        new Float32Array(data.length).fill(k === 0 || k === 3 ? 1 : 0),
      );
    });
  }
  return copy;
}
