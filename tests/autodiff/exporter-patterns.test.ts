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
import { maxAbs, maxDiff, readGradientReference } from './reference-file.js';

const dir = fileURLToPath(new URL('./data/exporter-patterns/', import.meta.url));
const X = [3, 4, 8, 8];
const Y = [3, 5];
describe('exporter patterns vs PyTorch autograd', () => {
  for (const opset of [11, 13, 17]) {
    it(`opset ${opset}: output and input gradient within 1e-4 of the largest reference value`, async () => {
      const model = decodeModel(readFileSync(`${dir}opset${opset}.onnx`));
      const ref = readGradientReference(`${dir}opset${opset}.bin`, X, Y);
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
