import { describe, it } from 'vitest';
import { floatTensor, makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, randomTensor, uniform } from './harness.js';

describe('GridSample with respect to the image vs finite differences', () => {
  for (const attrs of [
    { mode: 'bilinear', padding_mode: 'zeros', align_corners: 0 },
    { mode: 'bicubic', padding_mode: 'border', align_corners: 1 },
    { mode: 'bilinear', padding_mode: 'reflection', align_corners: 0 },
  ]) {
    it(`${attrs.mode}, ${attrs.padding_mode} padding, align_corners ${attrs.align_corners}, batch 3`, async () => {
      const rand = uniform(attrs.mode.length + attrs.padding_mode.length);
      // A fixed grid (a weight) reaching past the borders: every padding mode matters.
      const grid = Array.from({ length: 3 * 4 * 5 * 2 }, () => 2.4 * rand() - 1.2);
      const model = makeModel({
        nodes: [makeNode('GridSample', ['x', 'grid'], ['y'], attrs)],
        inputs: [makeValueInfo('x', [3, 2, 5, 6])],
        outputs: [makeValueInfo('y', undefined)],
        initializers: [floatTensor('grid', [3, 4, 5, 2], grid)],
        opset: 16,
      });
      await expectVjpMatchesFd(model, { x: randomTensor(rand, [3, 2, 5, 6]) });
    });
  }
});
