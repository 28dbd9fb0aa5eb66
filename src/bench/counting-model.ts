/**
 * A Model that counts what it is asked to run: items through a forward pass (predict, run, activations,
 * forwardFrom) and items through a VJP (a forward and a backward pass). Benchmarks print these counts beside
 * the measured time, so a ratio to the forward floor can be read against the passes it pays for.
 */
import type { Model, TensorData, VjpFunction, VjpRequest } from '../types.js';

export interface PassCounts {
  forward: number;
  vjp: number;
}

function items(batch: TensorData | Record<string, TensorData>): number {
  const first = isTensor(batch) ? batch : Object.values(batch)[0];
  return first?.dims[0] ?? 0;
}

function isTensor(value: TensorData | Record<string, TensorData>): value is TensorData {
  return ArrayBuffer.isView((value as TensorData).data) && Array.isArray((value as TensorData).dims);
}

export function countingModel(model: Model, counts: PassCounts): Model {
  const forward = new Set<PropertyKey>(['predict', 'run', 'activations']);
  return new Proxy(model, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (forward.has(key)) {
        return (batch: TensorData, ...rest: unknown[]) => {
          counts.forward += items(batch);
          return method.call(target, batch, ...rest);
        };
      }
      if (key === 'forwardFrom') {
        return (layer: string, activations: TensorData, ...rest: unknown[]) => {
          counts.forward += items(activations);
          return method.call(target, layer, activations, ...rest);
        };
      }
      if (key === 'vjp') {
        return async (request: VjpRequest): Promise<VjpFunction> => {
          const vjp = (await method.call(target, request)) as VjpFunction;
          return (inputs, dY, options) => {
            counts.vjp += items(inputs);
            return vjp(inputs, dY, options);
          };
        };
      }
      return method.bind(target);
    },
  });
}
