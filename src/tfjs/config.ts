/**
 * Typed reads of Keras layer configs. A config value of the wrong type is a malformed model, reported
 * with the layer's name so the user can find it in model.json.
 */
import { ModelError } from '../errors.js';
import type { JsonObject } from './types.js';

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class LayerConfig {
  constructor(
    readonly className: string,
    readonly layerName: string,
    readonly raw: JsonObject,
  ) {}

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  number(key: string, fallback?: number): number {
    const v = this.raw[key];
    if (typeof v === 'number') return v;
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    throw this.bad(key, 'a number', v);
  }

  optionalNumber(key: string): number | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number') return v;
    throw this.bad(key, 'a number', v);
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.raw[key];
    if (typeof v === 'boolean') return v;
    if (v === undefined || v === null) return fallback;
    throw this.bad(key, 'true or false', v);
  }

  string(key: string, fallback?: string): string {
    const v = this.raw[key];
    if (typeof v === 'string') return v;
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    throw this.bad(key, 'a string', v);
  }

  /** An int or a list of `count` ints (Keras accepts `3` for `[3, 3]`). */
  ints(key: string, count: number, fallback?: number[]): number[] {
    const v = this.raw[key];
    if ((v === undefined || v === null) && fallback) return fallback;
    if (typeof v === 'number') return new Array<number>(count).fill(v);
    if (Array.isArray(v) && v.length === count && v.every((x) => typeof x === 'number')) return v as number[];
    throw this.bad(key, `an int or ${count} ints`, v);
  }

  /** A list of ints of any length (shapes, permutations). Null entries are kept as null. */
  shape(key: string): (number | null)[] {
    const v = this.raw[key];
    if (Array.isArray(v) && v.every((x) => typeof x === 'number' || x === null))
      return v as (number | null)[];
    throw this.bad(key, 'a list of ints', v);
  }

  /** Per-dimension (before, after) pairs: `n`, `[a, b]` (symmetric per dim) or `[[t, b], [l, r]]`. */
  pairs(key: string, dims: number): [number, number][] {
    const v = this.raw[key];
    if (typeof v === 'number') return new Array(dims).fill(0).map(() => [v, v] as [number, number]);
    if (Array.isArray(v) && v.length === dims) {
      return v.map((item) => {
        if (typeof item === 'number') return [item, item] as [number, number];
        if (Array.isArray(item) && item.length === 2 && item.every((x) => typeof x === 'number')) {
          return [item[0], item[1]] as [number, number];
        }
        throw this.bad(key, `${dims} (before, after) pairs`, v);
      });
    }
    throw this.bad(key, `an int or ${dims} (before, after) pairs`, v);
  }

  /** A Keras activation identifier: a name, or a serialized `{class_name, config}` object. */
  activation(key: string): string {
    const v = this.raw[key];
    if (v === undefined || v === null) return 'linear';
    if (typeof v === 'string') return v;
    if (isObject(v) && typeof v.class_name === 'string') return v.class_name;
    throw this.bad(key, 'an activation name', v);
  }

  private bad(key: string, expected: string, found: unknown): ModelError {
    return new ModelError(
      'INVALID_MODEL',
      `layer '${this.layerName}' (${this.className}): config '${key}' should be ${expected}, found ${JSON.stringify(found)}`,
    );
  }
}
