/**
 * The converter core: walks a Keras topology (Sequential, functional, nested models, shared layers) in
 * dependency order, asks each layer's converter for ONNX nodes, and names every layer's output tensor
 * after the Keras layer.
 *
 * Naming: a layer's output tensor is the layer name (`Conv_1`); later applications of a shared layer get
 * `__1`, `__2`, ... suffixes; layers inside a nested model keep their own names unless an outer layer has
 * the same name, in which case they become `<nested model>/<layer>`. 4-D layer tensors are NCHW (the
 * model input and outputs stay NHWC as in Keras; a 4-D output `x` is exposed as `x_nhwc`).
 */
import { ModelError } from '../errors.js';
import { makeNode } from '../onnx/proto.js';
import type { WeightTensor } from './types.js';
import { type GraphBuilder, type Value } from './graph.js';
import { converterFor, type LayerCall } from './layers/registry.js';
import type { LayerSpec, ModelSpec, TensorRef } from './topology.js';
import type { WeightStore } from './weights.js';

interface Scope {
  /** Names of the nested-model layers enclosing this model, outermost first. */
  path: string[];
  /** Appended to every tensor name: marks a later application of an enclosing nested model. */
  suffix: string;
}

const refKey = (layer: string, call: number, tensor: number) => `${layer}|${call}|${tensor}`;

export class TopologyWalker {
  private readonly weightCache = new Map<string, WeightTensor>();
  private readonly paramCache = new Map<string, string>();

  constructor(
    private readonly g: GraphBuilder,
    private readonly weights: WeightStore,
  ) {}

  /** Convert `model` with its input layers bound to `inputs` (by input-layer name); returns its outputs. */
  run(model: ModelSpec, inputs: ReadonlyMap<string, Value>, scope: Scope): Value[] {
    const values = new Map<string, Value>();
    for (const ref of model.inputs) {
      const bound = inputs.get(ref.layer);
      if (!bound) {
        throw new ModelError(
          'INVALID_MODEL',
          `input '${ref.layer}' of model '${model.name}' is not connected`,
        );
      }
      values.set(refKey(ref.layer, 0, 0), bound);
    }
    const pending: { layer: LayerSpec; call: number }[] = [];
    for (const layer of model.layers) {
      if (layer.className === 'InputLayer') continue;
      layer.calls.forEach((_, call) => pending.push({ layer, call }));
    }
    // Keras lists layers in dependency order in practice, but nothing guarantees it: sweep until done.
    while (pending.length > 0) {
      const before = pending.length;
      for (let i = 0; i < pending.length;) {
        const { layer, call } = pending[i];
        const refs = layer.calls[call];
        if (refs.every((r) => values.has(refKey(r.layer, r.call, r.tensor)))) {
          const args = refs.map((r) => values.get(refKey(r.layer, r.call, r.tensor)) as Value);
          this.apply(layer, call, args, scope).forEach((v, t) => values.set(refKey(layer.name, call, t), v));
          pending.splice(i, 1);
        } else {
          i++;
        }
      }
      if (pending.length === before) {
        const stuck = pending[0];
        const missing = stuck.layer.calls[stuck.call].find(
          (r) => !values.has(refKey(r.layer, r.call, r.tensor)),
        );
        throw new ModelError(
          'INVALID_MODEL',
          `layer '${stuck.layer.name}' waits for output ${missing?.tensor ?? 0} of application ${missing?.call ?? 0} ` +
            `of '${missing?.layer ?? '?'}', which is never produced`,
        );
      }
    }
    return model.outputs.map((ref) => {
      const v = values.get(refKey(ref.layer, ref.call, ref.tensor));
      if (!v)
        throw new ModelError(
          'INVALID_MODEL',
          `output '${ref.layer}' of model '${model.name}' is never produced`,
        );
      return v;
    });
  }

  private outputName(layer: LayerSpec, call: number, scope: Scope): string {
    const suffix = scope.suffix + (call > 0 ? `__${call}` : '');
    if (scope.path.length === 0 && suffix === '') return layer.name; // reserved for it up front
    const plain = `${layer.name}${suffix}`;
    return this.g.fresh(this.g.isUsed(plain) ? `${scope.path.join('/')}/${plain}` : plain);
  }

  private apply(layer: LayerSpec, call: number, inputs: Value[], scope: Scope): Value[] {
    const name = this.outputName(layer, call, scope);
    if (layer.model) return this.applyNested(layer, layer.model, call, inputs, scope, name);
    const start = this.g.nodes.length;
    const result = converterFor(layer.className, layer.name)(this.layerCall(layer, inputs, scope, name));
    return [this.claim(result, start, name)];
  }

  /** A nested model: convert its layers inline; its outputs get the nested layer's name via Identity. */
  private applyNested(
    layer: LayerSpec,
    model: ModelSpec,
    call: number,
    inputs: Value[],
    scope: Scope,
    name: string,
  ): Value[] {
    if (inputs.length !== model.inputs.length) {
      throw new ModelError(
        'INVALID_MODEL',
        `nested model '${layer.name}' takes ${model.inputs.length} inputs, got ${inputs.length}`,
      );
    }
    const bound = new Map(model.inputs.map((ref, i) => [ref.layer, inputs[i]] as const));
    const inner: Scope = {
      path: [...scope.path, layer.name],
      suffix: scope.suffix + (call > 0 ? `__${call}` : ''),
    };
    return this.run(model, bound, inner).map((v, i) => {
      const out = i === 0 ? name : this.g.fresh(`${name}/output_${i}`);
      this.g.nodes.push(makeNode('Identity', [v.name], [out], {}, out));
      return { ...v, name: out };
    });
  }

  /** Give the layer's result tensor the layer's name: rename it if this layer made it, else Identity. */
  private claim(result: Value, start: number, name: string): Value {
    if (this.g.producerIndex(result.name) >= start) {
      this.g.renameFrom(start, result.name, name);
    } else {
      this.g.nodes.push(makeNode('Identity', [result.name], [name], {}, name));
    }
    return { ...result, name };
  }

  private layerCall(layer: LayerSpec, inputs: Value[], scope: Scope, base: string): LayerCall {
    const weight = (weightName: string, expectedShape?: readonly (number | null)[]): WeightTensor => {
      const key = `${layer.uid}/${weightName}`;
      let tensor = this.weightCache.get(key);
      if (!tensor) {
        tensor = this.weights.take(scope.path, layer.name, weightName, expectedShape);
        this.weightCache.set(key, tensor);
      }
      return tensor;
    };
    return {
      className: layer.className,
      layerName: layer.name,
      config: layer.config,
      inputs,
      g: this.g,
      base,
      weight,
      param: (key, make) => {
        const cacheKey = `${layer.uid}/${key}`;
        let name = this.paramCache.get(cacheKey);
        if (!name) {
          const { dims, data } = make();
          name = this.g.floats(`${base}/${key}`, dims, data);
          this.paramCache.set(cacheKey, name);
        }
        return name;
      },
      single: (rank?: number) => {
        if (inputs.length !== 1) {
          throw new ModelError(
            'INVALID_MODEL',
            `layer '${layer.name}' (${layer.className}) takes one input, got ${inputs.length}`,
          );
        }
        if (rank !== undefined && inputs[0].shape.length !== rank) {
          throw new ModelError(
            'INVALID_MODEL',
            `layer '${layer.name}' (${layer.className}) expects a ${rank}-D input (batch included), got ${inputs[0].shape.length}-D`,
          );
        }
        return inputs[0];
      },
    };
  }
}

/** Every top-level input reference resolved to its InputLayer. */
export function inputLayers(model: ModelSpec): LayerSpec[] {
  return model.inputs.map((ref: TensorRef) => {
    const layer = model.layers.find((l) => l.name === ref.layer);
    if (!layer || layer.className !== 'InputLayer') {
      throw new ModelError('INVALID_MODEL', `model input '${ref.layer}' is not an InputLayer`);
    }
    return layer;
  });
}
