import { describe, expect, it } from 'vitest';
import { floatTensor, int64Tensor, makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
import { expectVjpMatchesFd, uniform } from './harness.js';

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
});

/**
 * Sample coordinates of every bin along one axis, as the runtime places them (start + ph·bin + (i + ½)·bin /
 * grid), and the adaptive grid's size / pooled: the test boxes are chosen so that none of them lies within
 * 0.04 of an integer (a cell boundary, or a step of the adaptive count), where the derivative has a kink.
 */
function kinkDistance(
  starts: number[],
  ends: number[],
  pooled: number,
  ratio: number,
  scale: number,
  halfPixel: boolean,
): number {
  let nearest = Infinity;
  const away = (v: number): number => Math.abs(v - Math.round(v));
  starts.forEach((s, r) => {
    const start = s * scale - (halfPixel ? 0.5 : 0);
    const size = (ends[r] - s) * scale;
    const extent = halfPixel ? size : Math.max(size, 1);
    if (!halfPixel) nearest = Math.min(nearest, Math.abs(size - 1));
    const bin = extent / pooled;
    if (ratio === 0) nearest = Math.min(nearest, away(extent / pooled));
    const grid = ratio > 0 ? ratio : Math.ceil(extent / pooled);
    for (let p = 0; p < pooled; p++)
      for (let i = 0; i < grid; i++)
        nearest = Math.min(nearest, away(start + p * bin + ((i + 0.5) * bin) / grid));
  });
  return nearest;
}

/** Boxes over a 7×8 map, one reaching past the left and bottom borders. */
const BOXES = [-0.03, 1.52, 5.52, 5.75, 2.72, 0.37, 8.05, 4.13, -1.07, 2.59, 3.53, 8.16];

describe('RoiAlign with respect to the boxes vs finite differences', () => {
  for (const mode of ['avg', 'max']) {
    for (const transform of ['half_pixel', 'output_half_pixel']) {
      for (const samplingRatio of [2, 0]) {
        it(`${mode}, ${transform}, sampling_ratio ${samplingRatio}`, async () => {
          const attrs = {
            mode,
            coordinate_transformation_mode: transform,
            output_height: 3,
            output_width: 2,
            sampling_ratio: samplingRatio,
            spatial_scale: 0.9,
          };
          const column = (k: number): number[] => [0, 1, 2].map((r) => BOXES[r * 4 + k]);
          const half = transform === 'half_pixel';
          expect(kinkDistance(column(1), column(3), 3, samplingRatio, 0.9, half)).toBeGreaterThan(0.04);
          expect(kinkDistance(column(0), column(2), 2, samplingRatio, 0.9, half)).toBeGreaterThan(0.04);
          const x = distinctValues(7 + mode.length + samplingRatio, [2, 3, 7, 8]);
          const model = makeModel({
            nodes: [makeNode('RoiAlign', ['x', 'rois', 'batch_indices'], ['y'], attrs)],
            inputs: [makeValueInfo('rois', [3, 4])],
            outputs: [makeValueInfo('y', undefined)],
            initializers: [
              floatTensor('x', x.dims, x.data),
              int64Tensor('batch_indices', [3], BATCH_INDICES),
            ],
            opset: 16,
          });
          const report = await expectVjpMatchesFd(
            model,
            { rois: { data: Float32Array.from(BOXES), dims: [3, 4] } },
            // Shapes given: a probe with random boxes would ask the runtime for boxes of negative size. In max
            // mode the winning corner of a sample changes where two terms w·v cross, a kink of the max itself:
            // some lie within 1e-3 of these boxes (the check passes at 1e-4 and fails at 1e-2 there).
            {
              eps: mode === 'max' ? 1e-4 : 1e-3,
              elementwise: true,
              shapes: { rois: [3, 4], y: [3, 3, 3, 2] },
            },
          );
          // Every box coordinate moves the output.
          expect(report.grads[0].data.every((g) => Math.abs(g) > 1e-4)).toBe(true);
        });
      }
    }
  }

  it('both the map and the boxes at once, opset 10 (no coordinate transformation: the legacy one)', async () => {
    const model = makeModel({
      nodes: [
        makeNode('RoiAlign', ['x', 'rois', 'batch_indices'], ['y'], {
          output_height: 3,
          output_width: 2,
          sampling_ratio: 2,
          spatial_scale: 0.9,
        }),
      ],
      inputs: [makeValueInfo('x', [2, 3, 7, 8]), makeValueInfo('rois', [3, 4])],
      outputs: [makeValueInfo('y', undefined)],
      initializers: [int64Tensor('batch_indices', [3], BATCH_INDICES)],
      opset: 11,
    });
    await expectVjpMatchesFd(
      model,
      { x: distinctValues(31, [2, 3, 7, 8]), rois: { data: Float32Array.from(BOXES), dims: [3, 4] } },
      { eps: 1e-3, shapes: { x: [2, 3, 7, 8], rois: [3, 4], y: [3, 3, 3, 2] } },
    );
  });
});
