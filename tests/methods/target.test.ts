import { describe, expect, it } from 'vitest';
import { TargetError } from '../../src/errors.js';
import { classCount, resolveClass, resolveTargets } from '../../src/methods/target.js';

const labelled = {
  labels: ['Cat', 'dog', 'bird', 'fish'],
  outputs: [{ name: 'y', elemType: 'float32', shape: ['N', 4] }],
  outputName: 'y',
};
const unlabelled = {
  labels: undefined,
  outputs: [{ name: 'y', elemType: 'float32', shape: ['N', 3] }],
  outputName: 'y',
};

describe('class targets', () => {
  it('resolves indices, names case-insensitively and numeric strings', () => {
    expect(resolveClass(labelled, 2, 4)).toBe(2);
    expect(resolveClass(labelled, 'cat', 4)).toBe(0);
    expect(resolveClass(labelled, 'DOG', 4)).toBe(1);
    expect(resolveClass(labelled, '3', 4)).toBe(3);
    expect(classCount(labelled)).toBe(4);
    expect(classCount(unlabelled)).toBe(3);
  });

  it('names the valid range or the closest names when a target is wrong', () => {
    expect(() => resolveClass(labelled, 4, 4)).toThrow(/0\.\.3 \(4 classes\)/);
    expect(() => resolveClass(labelled, -1, 4)).toThrow(TargetError);
    expect(() => resolveClass(labelled, 1.5, 4)).toThrow(TargetError);
    expect(() => resolveClass(labelled, 'fsh', 4)).toThrow(/did you mean "fish"/);
    expect(() => resolveClass(unlabelled, 'cat', 3)).toThrow(/no labels.*0\.\.2/);
    let caught: unknown;
    try {
      resolveClass(labelled, 'brid', 4);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TargetError);
    expect((caught as TargetError).code).toBe('INVALID_TARGET');
  });

  it('gives one target per image: broadcast, per-image list, or the predicted class', () => {
    const scores = { data: Float32Array.from([0.1, 0.7, 0.1, 0.1, 0.5, 0.1, 0.1, 0.3]), dims: [2, 4] };
    expect(resolveTargets(labelled, undefined, 2, scores)).toEqual([1, 0]);
    expect(resolveTargets(labelled, 'fish', 2, scores)).toEqual([3, 3]);
    expect(resolveTargets(labelled, ['bird', 0], 2, scores)).toEqual([2, 0]);
    expect(() => resolveTargets(labelled, [0, 1, 2], 2, scores)).toThrow(/one per image \(2\)/);
    expect(() => resolveTargets(unlabelled, 3, 1)).toThrow(/0\.\.2/);
  });
});
