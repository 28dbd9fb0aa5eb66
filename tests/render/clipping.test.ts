/**
 * Outlier clipping of map pictures: one extreme pixel must not flatten every other pixel into the colour of
 * zero, and the caption states the scale and the clipping.
 */
import { describe, expect, it } from 'vitest';
import { integratedGradientsExplainer, saliencyExplainer } from '../../src/explainers/attribution.js';
import { mapOverlay, mapScale } from '../../src/explainers/render.js';
import type { ExplainerRun } from '../../src/explainers/spec.js';
import { clippedRange, describeScale, scaleValues } from '../../src/render/scale.js';
import type { RawImage } from '../../src/image/types.js';

const SIZE = 40;

/** A smooth signed ramp (−1 → 1 across columns, no ties between columns) with one pixel at 1000. */
function rampWithOutlier(): Float32Array {
  const map = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) map[y * SIZE + x] = -1 + (2 * (x + 0.5)) / SIZE + y * 1e-4;
  }
  map[5 * SIZE + 7] = 1000;
  return map;
}

function runOf(map: Float32Array): ExplainerRun {
  return { maps: { data: map, dims: [1, SIZE, SIZE] }, classes: [0], descriptions: ['class 0'], numbers: {} };
}

const gray: RawImage = {
  data: new Uint8Array(SIZE * SIZE * 3).fill(128),
  width: SIZE,
  height: SIZE,
  channels: 3,
};

/** Distinct colours along row 20 (away from the outlier). */
function distinctColours(picture: RawImage): number {
  const seen = new Set<string>();
  for (let x = 0; x < SIZE; x++) {
    const o = (20 * SIZE + x) * 3;
    seen.add(`${picture.data[o]},${picture.data[o + 1]},${picture.data[o + 2]}`);
  }
  return seen.size;
}

describe('outlier clipping of map pictures', () => {
  it('an outlier pixel no longer flattens the picture of a signed map', () => {
    const run = runOf(rampWithOutlier());
    const flat = mapOverlay(integratedGradientsExplainer, run, 0, gray, { clipPercent: 0 });
    const clipped = mapOverlay(integratedGradientsExplainer, run, 0, gray);
    // Full range: ±1000, so the ramp's ±1 is within 0.1 % of the centre and fades to the image.
    expect(distinctColours(flat)).toBeLessThanOrEqual(3);
    expect(distinctColours(clipped)).toBeGreaterThanOrEqual(20);
    // The ramp's ends now reach (nearly) the end colours: red at the right, blue at the left.
    const right = (20 * SIZE + SIZE - 1) * 3;
    const left = 20 * SIZE * 3;
    expect(clipped.data[right]).toBeGreaterThan(clipped.data[right + 2] + 60);
    expect(clipped.data[left + 2]).toBeGreaterThan(clipped.data[left] + 60);
  });

  it('the range leaves out the given percent of the largest magnitudes (nearest rank)', () => {
    const map = rampWithOutlier();
    const range = clippedRange(map, 'symmetric', 1);
    const sorted = Float64Array.from(map, Math.abs).sort();
    const limit = sorted[Math.ceil(0.99 * sorted.length) - 1];
    expect(range).toMatchObject({ low: -limit, high: limit, clipped: true });
    const beyond = sorted.filter((v) => v > limit).length;
    expect(range.saturated).toBeCloseTo(beyond / map.length, 12);
    // Below 1: the outlier is among what saturates, the ramp's largest values are not far behind.
    expect(limit).toBeGreaterThan(0.95);
    expect(limit).toBeLessThan(1.001);
    const scaled = scaleValues(map, { min: range.low, max: range.high });
    expect(scaled[5 * SIZE + 7]).toBe(1);
  });

  it('a sparse map is not clipped into its zeros; unsigned maps clip above their minimum', () => {
    const sparse = new Float32Array(10_000);
    for (let i = 0; i < 50; i++) sparse[i * 200] = 1 + i / 50;
    const range = clippedRange(sparse, 'minmax', 10);
    // 10 % of the 50 non-zero values (5) saturate; the zeros do not move the limit to 0.
    expect(range.high).toBeCloseTo(1 + 44 / 50, 6);
    expect(range.saturated).toBeCloseTo(5 / 10_000, 12);
    const noClip = clippedRange(sparse, 'minmax', 0);
    expect(noClip).toMatchObject({ low: 0, clipped: false, saturated: 0 });
    expect(noClip.high).toBeCloseTo(1 + 49 / 50, 6);
  });

  it('captions state the scale, and the clipping when there is one', () => {
    const run = runOf(rampWithOutlier());
    const clipped = mapScale(integratedGradientsExplainer, run, 0);
    expect(clipped.text).toMatch(
      /^scale ±0\.9\d+ \(blue −, red \+\), clipped at the 99th percentile of \|x\|/,
    );
    expect(clipped.text).toMatch(/\(1\.0 % of pixels beyond, shown saturated\)/);
    const full = mapScale(integratedGradientsExplainer, run, 0, { clipPercent: 0 });
    expect(full.text).toBe("scale ±1000 (blue −, red +), the map's full range");
    const unsigned = mapScale(
      saliencyExplainer,
      runOf(Float32Array.from({ length: SIZE * SIZE }, (_, i) => i / 100)),
      0,
    );
    expect(unsigned.text).toMatch(
      /^scale 0 → 15\.8, clipped at the 99th percentile of the values above the minimum/,
    );
    expect(describeScale('minmax', { low: 0, high: 2, saturated: 0, clipped: false }, 1)).toBe(
      "scale 0 → 2, the map's full range",
    );
  });
});
