import { describe, expect, it } from 'vitest';
import { buildVjpGraph } from '../../src/autodiff/index.js';
import { floatTensor, int64Tensor, makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import { expectVjpMatchesFd, probeShapes, uniform } from './harness.js';

/** Boxes (x1, y1, x2, y2) over a 7×8 map, some reaching past its border, on images 1, 0, 1. */
const ROIS = [0.3, 1.2, 5.6, 6.1, 2.4, 0.7, 7.9, 4.3, -1.3, 2.2, 3.7, 8.4];
const BATCH_INDICES = [1, 0, 1];

function roiAlignModel(attrs: Record<string, string | number>) {
  return makeModel({
    nodes: [makeNode('RoiAlign', ['x', 'rois', 'batch_indices'], ['y'], attrs)],
    inputs: [makeValueInfo('x', [2, 3, 7, 8])],
    outputs: [makeValueInfo('y', undefined)],
    initializers: [floatTensor('rois', [3, 4], ROIS), int64Tensor('batch_indices', [3], BATCH_INDICES)],
    opset: 16,
  });
}

/**
 * Values at least `gap` apart (no two pixels of a bin tie for the max), of both signs, so that max mode's
 * winning term does not change within ε.
 */
function distinctValues(seed: number, dims: number[], gap = 0.05): TensorData {
  const rand = uniform(seed);
  const count = dims.reduce((a, b) => a * b, 1);
  const order = Array.from({ length: count }, (_, i) => i).sort(() => rand() - 0.5);
  const data = new Float32Array(count);
  order.forEach((slot, rank) => (data[slot] = (rank - count / 2) * gap + 0.3 * gap * rand()));
  return { data, dims };
}

describe('RoiAlign with respect to the feature map vs finite differences', () => {
  for (const mode of ['avg', 'max']) {
    for (const transform of ['half_pixel', 'output_half_pixel']) {
      for (const samplingRatio of [2, 0]) {
        it(`${mode}, ${transform}, sampling_ratio ${samplingRatio}`, async () => {
          const model = roiAlignModel({
            mode,
            coordinate_transformation_mode: transform,
            output_height: 3,
            output_width: 2,
            sampling_ratio: samplingRatio,
            spatial_scale: 0.9,
          });
          const x = distinctValues(mode.length + samplingRatio, [2, 3, 7, 8]);
          const report = await expectVjpMatchesFd(model, { x }, { eps: 1e-3 });
          // The gradient reaches both images: the boxes' batch indices are honoured.
          const grad = report.grads[0].data;
          const perImage = grad.length / 2;
          for (const image of [0, 1]) {
            const part = grad.subarray(image * perImage, (image + 1) * perImage);
            expect(part.some((v) => v !== 0)).toBe(true);
          }
        });
      }
    }
  }

  it('refuses the gradient with respect to the boxes by name', async () => {
    const model = makeModel({
      nodes: [
        makeNode('RoiAlign', ['x', 'rois', 'batch_indices'], ['y'], { output_height: 2, output_width: 2 }),
      ],
      inputs: [makeValueInfo('x', [2, 3, 7, 8]), makeValueInfo('rois', [3, 4])],
      outputs: [makeValueInfo('y', undefined)],
      initializers: [int64Tensor('batch_indices', [3], BATCH_INDICES)],
      opset: 16,
    });
    const shapes = await probeShapes(model);
    expect(() => buildVjpGraph(model, { output: 'y', wrt: ['rois'], rule: 'gradient', shapes })).toThrow(
      /RoiAlign.*boxes/,
    );
  });
});
