/**
 * What a layer converter receives and the registry that maps Keras class names to converters. Each layer
 * family registers itself from its own file.
 */
import { UnsupportedError } from '../../errors.js';
import type { LayerConfig } from '../config.js';
import type { GraphBuilder, Value } from '../graph.js';
import type { WeightTensor } from '../types.js';

export interface LayerCall {
  readonly className: string;
  readonly layerName: string;
  readonly config: LayerConfig;
  readonly inputs: Value[];
  readonly g: GraphBuilder;
  /** Name the layer's output tensor will get; intermediate tensors are named `${base}/...`. */
  readonly base: string;
  /** The layer's stored weight, shape-checked (null = any size). */
  weight(name: string, expectedShape?: readonly (number | null)[]): WeightTensor;
  /**
   * An initializer built once per layer (shared layers reuse it on every application): `make`
   * returns its dims and values.
   */
  param(key: string, make: () => { dims: number[]; data: ArrayLike<number> }): string;
  /** The only input, checked to have `rank` dims when given. */
  single(rank?: number): Value;
}

export type LayerConverter = (call: LayerCall) => Value;

const registry = new Map<string, LayerConverter>();

export function registerLayers(converters: Record<string, LayerConverter>): void {
  for (const [className, converter] of Object.entries(converters)) registry.set(className, converter);
}

export function converterFor(className: string, layerName: string): LayerConverter {
  const converter = registry.get(className);
  if (!converter) {
    throw new UnsupportedError(
      'UNSUPPORTED_LAYER',
      `layer '${layerName}' has class ${className}, which the TF.js importer does not support`,
    );
  }
  return converter;
}

export function supportedLayerClasses(): string[] {
  return [...registry.keys()].sort();
}
