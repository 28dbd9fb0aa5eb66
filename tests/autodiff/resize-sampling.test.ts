/**
 * Resize with respect to its scales and roi: the output size ⌊in·scale⌋ is kept, and the sampling coordinates
 * move. Inputs are chosen (and checked here) so that no coordinate lies within 0.03 of a whole number, where the
 * interpolation's taps change, and no in·scale within 0.03 of a size jump.
 */
import { describe, expect, it } from 'vitest';
import { floatTensor, makeModel, makeNode, makeValueInfo, type AttrMap } from '../../src/onnx/proto.js';
import { expectVjpMatchesFd, randomTensor, uniform } from './harness.js';

const X = [5, 7];

/** Sampling coordinates of one axis, as the runtime computes them. */
function coordinates(transform: string, scale: number, inSize: number, roi: [number, number]): number[] {
  const out = Math.floor(inSize * scale);
  return Array.from({ length: out }, (_, o) => {
    switch (transform) {
      case 'asymmetric':
        return o / scale;
      case 'tf_half_pixel_for_nn':
        return (o + 0.5) / scale;
      case 'half_pixel_symmetric':
        return (o + 0.5) / scale - 0.5 + inSize / 2 - out / (2 * scale);
      case 'align_corners':
        return out > 1 ? (o * (inSize - 1)) / (out - 1) : 0;
      case 'tf_crop_and_resize':
        return out > 1
          ? roi[0] * (inSize - 1) + (o * (roi[1] - roi[0]) * (inSize - 1)) / (out - 1)
          : 0.5 * (roi[0] + roi[1]) * (inSize - 1);
      default:
        return (o + 0.5) / scale - 0.5;
    }
  });
}

function distanceToKinks(transform: string, scales: number[], roi: number[]): number {
  let nearest = Infinity;
  const away = (v: number): number => Math.abs(v - Math.round(v));
  X.forEach((n, axis) => {
    nearest = Math.min(nearest, away(n * scales[axis]));
    const bounds: [number, number] = [roi[axis], roi[axis + X.length]];
    const moved: [number, number] = [bounds[0] * 1.001 + 1e-4, bounds[1] * 1.001 + 1e-4];
    const after = coordinates(transform, scales[axis] * 1.001, n, moved);
    // Coordinates that do not move with the scale or roi (asymmetric's first, a symmetric centre) stay put.
    coordinates(transform, scales[axis], n, bounds).forEach((c, o) => {
      if (Math.abs(after[o] - c) > 1e-9) nearest = Math.min(nearest, away(c));
    });
  });
  return nearest;
}

interface Case {
  name: string;
  attrs: AttrMap;
  scales: number[];
  opset?: number;
  /** The gradient is zero by definition (align_corners, nearest). */
  zero?: boolean;
}

const cases: Case[] = [
  { name: 'linear, half_pixel', attrs: { mode: 'linear' }, scales: [1.37, 0.77] },
  {
    name: 'linear, asymmetric',
    attrs: { mode: 'linear', coordinate_transformation_mode: 'asymmetric' },
    scales: [0.71, 0.83],
  },
  {
    name: 'linear, pytorch_half_pixel',
    attrs: { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' },
    scales: [0.73, 1.47],
  },
  { name: 'cubic, half_pixel', attrs: { mode: 'cubic' }, scales: [1.37, 0.77] },
  {
    name: 'cubic, A = −0.5, exclude_outside',
    attrs: { mode: 'cubic', cubic_coeff_a: -0.5, exclude_outside: 1 },
    scales: [1.63, 0.81],
  },
  {
    name: 'cubic, asymmetric',
    attrs: { mode: 'cubic', coordinate_transformation_mode: 'asymmetric' },
    scales: [0.71, 0.83],
  },
  {
    name: 'cubic, tf_half_pixel_for_nn',
    attrs: { mode: 'cubic', coordinate_transformation_mode: 'tf_half_pixel_for_nn' },
    scales: [0.94, 0.96],
  },
  {
    name: 'linear, half_pixel_symmetric',
    attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric' },
    scales: [0.68, 0.95],
    opset: 19,
  },
  {
    name: 'linear, align_corners (zero)',
    attrs: { mode: 'linear', coordinate_transformation_mode: 'align_corners' },
    scales: [1.37, 0.77],
    zero: true,
  },
  { name: 'nearest (zero)', attrs: { mode: 'nearest' }, scales: [1.37, 0.77], zero: true },
];

describe('Resize with respect to its scales vs finite differences (2-D input: every axis resampled)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const transform = String(c.attrs.coordinate_transformation_mode ?? 'half_pixel');
      if (!c.zero) expect(distanceToKinks(transform, c.scales, [0, 0, 1, 1])).toBeGreaterThan(0.03);
      const x = randomTensor(uniform(c.scales[0] * 100), X);
      const model = makeModel({
        nodes: [makeNode('Resize', ['x', '', 'scales'], ['y'], c.attrs)],
        inputs: [makeValueInfo('scales', [2])],
        outputs: [makeValueInfo('y', undefined)],
        initializers: [floatTensor('x', X, x.data)],
        opset: c.opset ?? 13,
      });
      const out = X.map((n, i) => Math.floor(n * c.scales[i]));
      const report = await expectVjpMatchesFd(
        model,
        { scales: { data: Float32Array.from(c.scales), dims: [2] } },
        { eps: 1e-3, elementwise: true, shapes: { scales: [2], y: out } },
      );
      const grad = Array.from(report.grads[0].data);
      if (c.zero) expect(grad).toEqual([0, 0]);
      else expect(grad.every((g) => Math.abs(g) > 1e-3)).toBe(true);
    });
  }

  it('4-D linear: the two outer scales must be exactly 1 in the runtime (no derivative there: 0)', async () => {
    const dims = [2, 3, 5, 7];
    const x = randomTensor(uniform(77), dims);
    const model = makeModel({
      nodes: [makeNode('Resize', ['x', '', 'scales'], ['y'], { mode: 'linear' })],
      inputs: [makeValueInfo('scales', [4])],
      outputs: [makeValueInfo('y', undefined)],
      initializers: [floatTensor('x', dims, x.data)],
      opset: 13,
    });
    const report = await expectVjpMatchesFd(
      model,
      { scales: { data: Float32Array.from([1, 1, 1.37, 0.77]), dims: [4] } },
      {
        eps: 1e-3,
        elementwise: true,
        shapes: { scales: [4], y: [2, 3, 6, 5] },
        movable: { scales: Uint8Array.from([0, 0, 1, 1]) },
      },
    );
    const grad = report.grads[0].data;
    expect([grad[0], grad[1]]).toEqual([0, 0]);
    expect(Math.abs(grad[2]) > 1e-3 && Math.abs(grad[3]) > 1e-3).toBe(true);
  });
});

describe('Resize tf_crop_and_resize with respect to its roi vs finite differences', () => {
  const roi = [0.04, -0.14, 0.71, 1.22];
  for (const mode of ['linear', 'cubic']) {
    it(`${mode}, a box reaching past the input (extrapolated samples: no gradient)`, async () => {
      const scales = [1.37, 0.77];
      expect(distanceToKinks('tf_crop_and_resize', scales, roi)).toBeGreaterThan(0.03);
      const x = randomTensor(uniform(mode.length), X);
      const model = makeModel({
        nodes: [
          makeNode('Resize', ['x', 'roi', 'scales'], ['y'], {
            mode,
            coordinate_transformation_mode: 'tf_crop_and_resize',
            extrapolation_value: 0.25,
          }),
        ],
        inputs: [makeValueInfo('roi', [4]), makeValueInfo('scales', [2])],
        outputs: [makeValueInfo('y', undefined)],
        initializers: [floatTensor('x', X, x.data)],
        opset: 13,
      });
      const report = await expectVjpMatchesFd(
        model,
        {
          roi: { data: Float32Array.from(roi), dims: [4] },
          scales: { data: Float32Array.from(scales), dims: [2] },
        },
        { eps: 1e-3, elementwise: true, shapes: { roi: [4], scales: [2], y: [6, 5] } },
      );
      expect(Array.from(report.grads[1].data)).toEqual([0, 0]);
      expect(report.grads[0].data.every((g) => Math.abs(g) > 1e-3)).toBe(true);
    });
  }
});
