import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { mapRange, scaleValues } from '../../src/render/scale.js';

const scale = (values: number[], mode: Parameters<typeof scaleValues>[1]): number[] =>
  Array.from(scaleValues(Float32Array.from(values), mode));

describe('map scaling', () => {
  it("'minmax' maps min to 0 and max to 1", () => {
    expect(scale([2, 4, 6, 3], 'minmax')).toEqual([0, 0.5, 1, 0.25]);
    expect(mapRange([2, 4, 6], 'minmax')).toEqual({ low: 2, high: 6 });
  });

  it("'symmetric' keeps zero at 0.5 for signed maps", () => {
    expect(scale([-2, 0, 1], 'symmetric')).toEqual([0, 0.5, 0.75]);
    expect(scale([1, 4], 'symmetric')).toEqual([0.625, 1]);
    expect(mapRange([-2, 0, 1], 'symmetric')).toEqual({ low: -2, high: 2 });
  });

  it("'absolute' scales magnitudes", () => {
    expect(scale([-4, 2, 0, 1], 'absolute')).toEqual([1, 0.5, 0, 0.25]);
  });

  it('a fixed range clamps values outside it', () => {
    expect(scale([-5, 0, 5, 20], { min: 0, max: 10 })).toEqual([0, 0, 0.5, 1]);
    expect(() => scale([1], { min: 1, max: 1 })).toThrow(OptionError);
    expect(() => scale([1], { min: 0, max: NaN })).toThrow(OptionError);
    expect(() => scale([1], 'loudest' as 'minmax')).toThrow(/not supported/);
  });

  it('constant maps do not divide by zero', () => {
    expect(scale([3, 3, 3], 'minmax')).toEqual([0, 0, 0]);
    expect(scale([0, 0], 'symmetric')).toEqual([0.5, 0.5]);
    expect(scale([0, 0], 'absolute')).toEqual([0, 0]);
    // A constant non-zero signed map is still meaningful: a negative one sits at the bottom of the range.
    expect(scale([-3, -3], 'symmetric')).toEqual([0, 0]);
    expect(scale([], 'minmax')).toEqual([]);
  });

  it('ignores NaN and infinities when finding the range; NaN stays NaN, infinities clamp', () => {
    const out = scale([NaN, 1, 3, Infinity, -Infinity], 'minmax');
    expect(out[0]).toBeNaN();
    expect(out.slice(1)).toEqual([0, 1, 1, 0]);
    expect(mapRange([NaN, -1, 5, Infinity], 'absolute')).toEqual({ low: 0, high: 5 });
    const allNaN = scale([NaN, NaN], 'symmetric');
    expect(allNaN.every(Number.isNaN)).toBe(true);
  });

  it('a shared range scales several maps consistently', () => {
    const a = Float32Array.from([0, 1]);
    const b = Float32Array.from([2, 4]);
    const range = mapRange(Float32Array.from([...a, ...b]), 'minmax');
    expect(Array.from(scaleValues(a, 'minmax', range))).toEqual([0, 0.25]);
    expect(Array.from(scaleValues(b, 'minmax', range))).toEqual([0.5, 1]);
  });
});
