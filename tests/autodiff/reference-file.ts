/**
 * Reading the float32 reference files that tools/autodiff/*.py write (tensors back to back, in a fixed order),
 * and the two error measures the PyTorch comparisons use.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { TensorData } from '../../src/types.js';

const size = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** Hands out the file's tensors in order; `done()` checks that every value was read. */
export interface ReferenceReader {
  take(dims: number[]): TensorData;
  done(): void;
}

export function readReference(path: string): ReferenceReader {
  const bytes = readFileSync(path);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let at = 0;
  return {
    take(dims) {
      const data = all.slice(at, at + size(dims));
      at += size(dims);
      return { data, dims };
    },
    done() {
      expect(at).toBe(all.length);
    },
  };
}

/** The usual layout: input, output seed, output, input gradient. */
export function readGradientReference(path: string, inputDims: number[], outputDims: number[]) {
  const file = readReference(path);
  const parts = {
    x: file.take(inputDims),
    seed: file.take(outputDims),
    output: file.take(outputDims),
    gradient: file.take(inputDims),
  };
  file.done();
  return parts;
}

export const maxAbs = (a: ArrayLike<number>): number =>
  Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

export const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
