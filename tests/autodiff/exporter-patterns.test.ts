/**
 * Whole graphs as torch.onnx writes them (no constant folding; opsets 11, 13, 17), through every rule family
 * of the pointwise, normalization, reduction, layout and indexing rules, against PyTorch autograd. The files
 * come from tools/autodiff/exporter_patterns.py.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/onnx/proto.js';
import { runVjp } from './harness.js';

const dir = fileURLToPath(new URL('./data/exporter-patterns/', import.meta.url));
const X = [3, 4, 8, 8];
const Y = [3, 5];
const size = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

function reference(opset: number) {
  const bytes = readFileSync(`${dir}opset${opset}.bin`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let at = 0;
  const take = (dims: number[]) => {
    const data = all.slice(at, at + size(dims));
    at += size(dims);
    return { data, dims };
  };
  const parts = { x: take(X), seed: take(Y), output: take(Y), gradient: take(X) };
  expect(at).toBe(all.length);
  return parts;
}

const maxAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('exporter patterns vs PyTorch autograd', () => {
  for (const opset of [11, 13, 17]) {
    it(`opset ${opset}: output and input gradient within 1e-4 of the largest reference value`, async () => {
      const model = decodeModel(readFileSync(`${dir}opset${opset}.onnx`));
      const ref = reference(opset);
      const run = await runVjp(model, { input: ref.x }, ref.seed);
      expect(run.output.dims).toEqual(Y);
      expect(maxDiff(run.output.data, ref.output.data)).toBeLessThanOrEqual(1e-4 * maxAbs(ref.output.data));
      expect(maxAbs(ref.gradient.data)).toBeGreaterThan(0);
      expect(maxDiff(run.grads[0].data, ref.gradient.data)).toBeLessThanOrEqual(
        1e-4 * maxAbs(ref.gradient.data),
      );
    });
  }
});
