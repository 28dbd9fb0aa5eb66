import { describe, expect, it } from 'vitest';
import { TargetError } from '../../src/errors.js';
import { repeatTarget, resolveTarget, targetTensor } from '../../src/methods/target.js';

const model = {
  labels: ['background', 'cat', 'dog'],
  outputs: [{ name: 'y', elemType: 'float32', shape: ['N', 3] }],
  outputName: 'y',
};
const scores = { data: Float32Array.from([0.1, 2, 0.5, 3, -1, 4]), dims: [2, 3] };

describe('gradient targets as linear seeds', () => {
  it('turns class targets into one-hot seeds and scores into <value, seed>', () => {
    const predicted = resolveTarget(model, undefined, 'y', scores);
    expect(Array.from(predicted.seeds.data)).toEqual([0, 1, 0, 0, 0, 1]);
    expect(predicted.classes).toEqual([1, 2]);
    expect(predicted.scores).toEqual([2, 4]);
    expect(predicted.descriptions).toEqual(['class 1 (cat)', 'class 2 (dog)']);

    const named = resolveTarget(model, ['dog', 0], 'y', scores);
    expect(named.classes).toEqual([2, 0]);
    expect(named.scores.map((s) => Number(s.toFixed(5)))).toEqual([0.5, 3]);
  });

  it('explains several classes at once: K seeds per image, item n*K + k', () => {
    const r = resolveTarget(model, { kind: 'classes', classes: ['cat', 'dog'] }, 'y', scores);
    expect(r.perImage).toBe(2);
    expect(r.seeds.dims).toEqual([4, 3]);
    expect(r.classes).toEqual([1, 2, 1, 2]);
    expect(r.scores.map((s) => Number(s.toFixed(5)))).toEqual([2, 0.5, -1, 4]);
    expect(() => resolveTarget(model, { kind: 'classes', classes: [] }, 'y', scores)).toThrow(TargetError);
    expect(() => resolveTarget(model, { kind: 'classes', classes: ['cow'] }, 'y', scores)).toThrow(
      /did you mean/,
    );
  });

  it('sums a class over the predicted region of a segmentation output (reductionFcn idea)', () => {
    // [1, 3, 2, 2]: pixel p's scores for classes 0..2.
    const value = {
      data: Float32Array.from([
        // class 0 (background)
        5, 0, 0, 0,
        // class 1
        0, 3, 1, 0,
        // class 2
        0, 1, 2, 0.5,
      ]),
      dims: [1, 3, 2, 2],
    };
    // Predicted: [0, 1, 2, 2]. Most frequent non-background class: 2, region pixels 2 and 3.
    const r = resolveTarget(model, undefined, 'seg', value);
    expect(r.classes).toEqual([2]);
    expect(Array.from(r.seeds.data)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    expect(r.scores).toEqual([2.5]);
    const explicit = resolveTarget(
      model,
      { kind: 'region', class: 'cat', mask: { data: Float32Array.from([1, 1, 0, 0]), dims: [2, 2] } },
      'seg',
      value,
    );
    expect(explicit.scores).toEqual([3]);
    const allBackground = { ...value, data: value.data.map((v, i) => (i < 4 ? 9 : v)) };
    expect(() => resolveTarget(model, { kind: 'region' }, 'seg', allBackground)).toThrow(
      /every pixel is predicted as background/,
    );
    expect(() => resolveTarget(model, { kind: 'region', class: 'cat' }, 'seg', allBackground)).toThrow(
      /region of class 1 \(cat\) is empty/,
    );
  });

  it('targets a regression output, any tensor element and a channel mean', () => {
    expect(resolveTarget(model, { kind: 'output', index: 2 }, 'y', scores).scores).toEqual([0.5, 4]);
    const layer = { data: Float32Array.from({ length: 2 * 2 * 3 }, (_, i) => i), dims: [2, 2, 3] };
    const element = resolveTarget(model, { kind: 'element', tensor: 'h', index: [1, 2] }, 'h', layer);
    expect(element.scores).toEqual([5, 11]);
    const mean = resolveTarget(model, { kind: 'channel', tensor: 'h', channels: [0, 1] }, 'h', layer);
    expect(mean.scores.map((s) => Number(s.toFixed(5)))).toEqual([2.5, 8.5]);
    expect(targetTensor({ kind: 'channel', tensor: 'h', channels: 0 }, 'y')).toBe('h');
    expect(targetTensor(undefined, 'y')).toBe('y');
    expect(() => resolveTarget(model, { kind: 'element', tensor: 'h', index: [2, 0] }, 'h', layer)).toThrow(
      /does not fit/,
    );
    expect(() => resolveTarget(model, { kind: 'channel', tensor: 'h', channels: 3 }, 'h', layer)).toThrow(
      /out of range/,
    );
  });

  it('repeats a resolved target for copies of each image', () => {
    const r = resolveTarget(model, { kind: 'classes', classes: [0, 2] }, 'y', scores);
    const copies = repeatTarget(r, 3);
    expect(copies.seeds.dims).toEqual([12, 3]);
    const big = { data: new Float32Array(6 * 3), dims: [6, 3] };
    const again = resolveTarget(model, copies, 'y', big);
    // Image 1, copy 2, class slot 1 → item (1*3 + 2)*2 + 1 = 11: class 2.
    expect(Array.from(again.seeds.data.subarray(11 * 3, 12 * 3))).toEqual([0, 0, 1]);
    expect(Array.from(again.seeds.data.subarray(0, 3))).toEqual([1, 0, 0]);
  });
});
