/**
 * A torchvision ShuffleNetV2 (random weights, small widths) as torch.onnx writes it: x.chunk(2, dim=1) after a
 * channel shuffle becomes Slice nodes whose starts and ends are computed from Shape at run time. Input
 * gradients against PyTorch autograd; the files come from tools/autodiff/shufflenet_split.py.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/onnx/proto.js';
import { runVjp } from './harness.js';
import { maxAbs, maxDiff, readGradientReference } from './reference-file.js';

const dir = fileURLToPath(new URL('./data/shufflenet/', import.meta.url));
const X = [2, 3, 32, 32];
const Y = [2, 5];
describe('ShuffleNetV2 channel split vs PyTorch autograd', () => {
  for (const opset of [11, 13]) {
    it(`opset ${opset}: the graph has run-time Slice starts, and its input gradient matches`, async () => {
      const model = decodeModel(readFileSync(`${dir}opset${opset}.onnx`));
      const slices = (model.graph!.node ?? []).filter((n) => n.opType === 'Slice');
      expect(slices.length).toBeGreaterThan(0);
      const ref = readGradientReference(`${dir}opset${opset}.bin`, X, Y);
      const run = await runVjp(model, { input: ref.x }, ref.seed);
      expect(run.output.dims).toEqual(Y);
      expect(maxDiff(run.output.data, ref.output.data)).toBeLessThanOrEqual(1e-4 * maxAbs(ref.output.data));
      expect(maxAbs(ref.gradient.data)).toBeGreaterThan(0);
      // float32 sums in another order: 1e-4 of the largest element, as for the other exported graphs.
      expect(maxDiff(run.grads[0].data, ref.gradient.data)).toBeLessThanOrEqual(
        1e-4 * maxAbs(ref.gradient.data),
      );
    });
  }
});
