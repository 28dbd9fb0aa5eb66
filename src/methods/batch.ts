/**
 * Small helpers over batched tensors (axis 0 = items): item sizes, repeating items, per-item reductions.
 * Methods that explain K targets per image run the network on each image K times (item n·K + k).
 */
import { OptionError } from '../errors.js';
import type { TensorData } from '../types.js';

export function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Elements per item of a batched tensor. */
export function itemSize(t: TensorData): number {
  return product(t.dims.slice(1));
}

/** Each item repeated `times` times in a row: item i·times + r is item i of `t`. */
export function repeatItems(t: TensorData, times: number): TensorData {
  if (times === 1) return t;
  const size = itemSize(t);
  const n = t.dims[0];
  const out = new Float32Array(n * times * size);
  for (let i = 0; i < n; i++) {
    const src = t.data.subarray(i * size, (i + 1) * size);
    for (let r = 0; r < times; r++) out.set(src, (i * times + r) * size);
  }
  return { data: out, dims: [n * times, ...t.dims.slice(1)] };
}

/** Items first..first+count-1 as a view. */
export function sliceItems(t: TensorData, first: number, count: number): TensorData {
  const size = itemSize(t);
  return { data: t.data.subarray(first * size, (first + count) * size), dims: [count, ...t.dims.slice(1)] };
}

/** Σ a·b over one item of two equally shaped batches, in double precision. */
export function itemDot(a: TensorData, b: TensorData, item: number): number {
  const size = itemSize(a);
  let sum = 0;
  const base = item * size;
  for (let i = 0; i < size; i++) sum += a.data[base + i] * b.data[base + i];
  return sum;
}

export function checkPositiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) {
    throw new OptionError('INVALID_OPTION', `${name} must be a positive integer, got ${String(value)}`);
  }
  return v;
}

export function checkChoice<T extends string>(
  name: string,
  value: T | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) {
    throw new OptionError(
      'INVALID_OPTION',
      `${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export function checkFinite(
  name: string,
  value: number | undefined,
  fallback: number,
  min = -Infinity,
): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new OptionError(
      'INVALID_OPTION',
      `${name} must be a finite number${min > -Infinity ? ` >= ${min}` : ''}, got ${String(value)}`,
    );
  }
  return v;
}
