/**
 * Switching image features (segments) off: each segment as runs of consecutive pixels, and what a
 * switched-off segment shows — the image's channel means (MATLAB's choice), the segment's own means, or given
 * values, in the model's input space. Shared by the perturbation methods over segments (LIME, Kernel SHAP).
 */
import { OptionError } from '../../errors.js';
import type { TensorData } from '../../types.js';
import { upsampleGrid } from '../grid-upsample.js';
import { channelMeans, type ImageGeometry } from '../image-layout.js';
import type { ImageSegments } from './segment.js';

/** What a switched-off segment shows: 'image-mean', 'segment-mean', one value, or one value per channel. */
export type ReplacementOption = 'image-mean' | 'segment-mean' | number | readonly number[];

export interface SegmentMasking {
  count: number;
  /** Writes the image into `buffer` at `offset` with every segment for which `on(segment)` is false replaced. */
  write(buffer: Float32Array, offset: number, on: (segment: number) => boolean): void;
}

export function segmentMasking(
  input: TensorData,
  geo: ImageGeometry,
  index: number,
  segments: ImageSegments,
  option: ReplacementOption | undefined,
): SegmentMasking {
  const count = segments.count;
  const groups = groupPixels(segments);
  const replacement = replacementValues(option, input, geo, index, groups, count);
  const { runStart, runs } = segmentRuns(groups, count);
  const image = input.data.subarray(index * geo.size, (index + 1) * geo.size);
  const { channelStride, pixelStride, channels } = geo;
  return {
    count,
    write(buffer, offset, on) {
      buffer.set(image, offset);
      for (let seg = 0; seg < count; seg++) {
        if (on(seg)) continue;
        const r0 = runStart[seg];
        const r1 = runStart[seg + 1];
        for (let c = 0; c < channels; c++) {
          const v = replacement[seg * channels + c];
          const o = offset + c * channelStride;
          for (let r = r0; r < r1; r++) {
            const end = o + runs[2 * r + 1] * pixelStride;
            for (let q = o + runs[2 * r] * pixelStride; q < end; q += pixelStride) buffer[q] = v;
          }
        }
      }
    },
  };
}

/** Pixel ids of each segment, grouped: pixels[start[s] .. start[s + 1]), ascending. */
interface SegmentPixels {
  start: Int32Array;
  pixels: Int32Array;
}

function groupPixels(segments: ImageSegments): SegmentPixels {
  const start = new Int32Array(segments.count + 1);
  for (const label of segments.labels) start[label + 1]++;
  for (let s = 0; s < segments.count; s++) start[s + 1] += start[s];
  const cursor = start.slice(0, segments.count);
  const pixels = new Int32Array(segments.labels.length);
  segments.labels.forEach((label, p) => {
    pixels[cursor[label]++] = p;
  });
  return { start, pixels };
}

/**
 * Each segment as runs of consecutive pixel ids [runs[2r], runs[2r + 1]) for r in
 * runStart[s] .. runStart[s + 1]: switching a segment off is then a few tight loops per row.
 */
interface SegmentRuns {
  runStart: Int32Array;
  runs: Int32Array;
}

function segmentRuns(groups: SegmentPixels, count: number): SegmentRuns {
  const runStart = new Int32Array(count + 1);
  const runs: number[] = [];
  for (let s = 0; s < count; s++) {
    runStart[s] = runs.length / 2;
    let i = groups.start[s];
    while (i < groups.start[s + 1]) {
      let j = i;
      while (j + 1 < groups.start[s + 1] && groups.pixels[j + 1] === groups.pixels[j] + 1) j++;
      runs.push(groups.pixels[i], groups.pixels[j] + 1);
      i = j + 1;
    }
  }
  runStart[count] = runs.length / 2;
  return { runStart, runs: Int32Array.from(runs) };
}

/** Replacement value per segment and channel, [segment * channels + c]. */
function replacementValues(
  option: ReplacementOption | undefined,
  input: TensorData,
  geo: ImageGeometry,
  index: number,
  groups: SegmentPixels,
  count: number,
): Float32Array {
  const C = geo.channels;
  const out = new Float32Array(count * C);
  if (option === 'segment-mean') {
    const base = index * geo.size;
    for (let s = 0; s < count; s++) {
      const n = groups.start[s + 1] - groups.start[s];
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let i = groups.start[s]; i < groups.start[s + 1]; i++) {
          sum += input.data[base + c * geo.channelStride + groups.pixels[i] * geo.pixelStride];
        }
        out[s * C + c] = n > 0 ? sum / n : 0;
      }
    }
    return out;
  }
  let perChannel: number[];
  if (option === undefined || option === 'image-mean') perChannel = channelMeans(input, geo, index);
  else if (typeof option === 'number' && Number.isFinite(option)) perChannel = new Array(C).fill(option);
  else if (Array.isArray(option) && option.length === C && option.every(Number.isFinite))
    perChannel = [...option];
  else {
    throw new OptionError(
      'INVALID_OPTION',
      `replacement must be 'image-mean', 'segment-mean', a number or ${C} per-channel numbers, got ${JSON.stringify(option)}`,
    );
  }
  for (let s = 0; s < count; s++) for (let c = 0; c < C; c++) out[s * C + c] = perChannel[c];
  return out;
}

/**
 * One value per segment painted over its pixels ([H, W]); grid cells can instead be smoothed between cell
 * centres ('bicubic') or returned one per cell ('none', [rows, cols]).
 */
export function segmentValueMap(
  segments: ImageSegments,
  values: Float32Array,
  upsampling: 'bicubic' | 'nearest' | 'none',
): TensorData {
  const { height, width, grid } = segments;
  if (grid && upsampling === 'none') {
    return { data: Float32Array.from(values), dims: [grid.rows, grid.cols] };
  }
  if (grid && upsampling === 'bicubic') {
    return {
      data: upsampleGrid(values, grid.yAxis, grid.xAxis, height, width, 'bicubic'),
      dims: [height, width],
    };
  }
  const data = new Float32Array(height * width);
  for (let p = 0; p < data.length; p++) data[p] = values[segments.labels[p]];
  return { data, dims: [height, width] };
}
