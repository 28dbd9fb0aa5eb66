import { describe, expect, it } from 'vitest';
import { floatTensor, makeModel, makeNode, makeValueInfo } from '../../src/onnx/proto.js';
import type { TensorData } from '../../src/types.js';
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

const IMAGE = [2, 3, 5, 6];
const GRID = [2, 4, 5, 2];

/**
 * A grid whose points lie at least 0.05 pixel from every integer and half-integer pixel coordinate (cell
 * boundaries, the image's edges, reflection's folds), inside and past the image by up to 1.5 times its size.
 */
function gridWithoutTies(seed: number, align: boolean): TensorData {
  const rand = uniform(seed);
  const count = GRID.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const size = i % 2 === 0 ? IMAGE[3] : IMAGE[2];
    const whole = Math.floor((rand() * 2.5 - 0.75) * size);
    const fraction = 0.05 + 0.4 * rand() + (rand() < 0.5 ? 0 : 0.5);
    const pixel = whole + fraction;
    data[i] = align ? (2 * pixel) / (size - 1) - 1 : (2 * pixel + 1) / size - 1;
  }
  return { data, dims: GRID };
}

function gridSampleModel(attrs: Record<string, string | number>) {
  return makeModel({
    nodes: [makeNode('GridSample', ['x', 'grid'], ['y'], attrs)],
    inputs: [makeValueInfo('x', IMAGE), makeValueInfo('grid', GRID)],
    outputs: [makeValueInfo('y', undefined)],
    opset: 16,
  });
}

describe('GridSample with respect to the grid vs finite differences', () => {
  for (const mode of ['bilinear', 'bicubic']) {
    for (const padding of ['zeros', 'border', 'reflection']) {
      for (const align of [0, 1]) {
        it(`${mode}, ${padding} padding, align_corners ${align}`, async () => {
          const model = gridSampleModel({ mode, padding_mode: padding, align_corners: align });
          const seed = padding.length * 2 + align + mode.length;
          const x = randomTensor(uniform(seed), IMAGE);
          const grid = gridWithoutTies(seed, align === 1);
          const report = await expectVjpMatchesFd(model, { x, grid }, { eps: 1e-3, rtol: 5e-3 });
          expect(report.grads[1].data.some((v) => v !== 0)).toBe(true);
        });
      }
    }
  }

  it('nearest: the grid gradient is zero (piecewise constant)', async () => {
    const model = gridSampleModel({ mode: 'nearest', padding_mode: 'zeros', align_corners: 0 });
    const x = randomTensor(uniform(5), IMAGE);
    const grid = gridWithoutTies(5, false);
    const report = await expectVjpMatchesFd(model, { x, grid }, { eps: 1e-3 });
    expect(report.grads[1].data.every((v) => v === 0)).toBe(true);
  });
});
