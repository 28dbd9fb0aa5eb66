/**
 * Occlusion sensitivity (MATLAB `occlusionSensitivity`): slide a mask over the image, run the network
 * on every masked copy and record how much the class score drops.
 *
 *   map(position) = score(image) - score(image with the mask at position)
 *
 * so positive values mark regions that supported the class. The score is the softmax probability
 * (`score: 'probability'`, MATLAB's choice for classification networks) or the pre-softmax score
 * (`score: 'logit'`). Masked copies are built in chunks of at most `miniBatchSize` into reused buffers (see
 * `perturbed-batches.ts`), so memory stays bounded and the cost is the forward passes.
 */
import { OptionError } from '../errors.js';
import type { BatchOptions, Model, TensorData } from '../types.js';
import { checkChoice } from './batch.js';
import {
  classScorer,
  servesClassScores,
  targetValues,
  type ScoreKind,
  type TargetValues,
} from './class-scores.js';
import { upsampleGrid, type GridAxis } from './grid-upsample.js';
import { channelMeans, imageGeometry, type ImageGeometry } from './image-layout.js';
import {
  describePlan,
  planIncremental,
  runIncremental,
  tailScorer,
  type InferencePath,
} from './incremental-occlusion.js';
import { runPerturbed } from './perturbed-batches.js';
import { isObjectTarget, resolveTargets, type Target, type TargetOption } from './target.js';

export interface OcclusionOptions extends BatchOptions {
  /**
   * Class index or name, one per image, or left out for the predicted class; on a dense map or a sequence
   * output, a region or time-step target (see `Target`) — left out: the predicted region / decoded sequence.
   */
  target?: Target;
  /** Mask [height, width] in pixels, a square size, or 'auto' = round(0.2 x input size) per axis. */
  maskSize?: 'auto' | number | readonly [number, number];
  /** Step [vertical, horizontal] in pixels, one step for both, or 'auto' = ceil(0.1 x input size) per axis. */
  stride?: 'auto' | number | readonly [number, number];
  /**
   * Value written under the mask, in the model's input space (after normalisation): 'auto' = the mean of
   * each channel of the image, one number for all channels, or one per channel.
   */
  maskValue?: 'auto' | number | readonly number[];
  /** 'bicubic' / 'nearest': map at input resolution; 'none': one value per mask position. */
  outputUpsampling?: 'bicubic' | 'nearest' | 'none';
  /**
   * 'on': mask centres start at the top-left pixel and step by `stride`; masks at the borders are clipped.
   * 'off': masks start with their top-left corner at the top-left pixel and only whole masks are used.
   */
  maskClipping?: 'on' | 'off';
  /** Which score the map measures (default 'probability'). */
  score?: ScoreKind;
  /** Overrides the input layout when the model carries no input spec. */
  layout?: 'NCHW' | 'NHWC';
  /**
   * How the masked copies are run: 'auto' (default) runs only the changed part of the network's spatially
   * local prefix per mask where that is estimated to pay (see `incremental-occlusion.ts`), else full passes;
   * 'full' always runs full passes; 'incremental' takes the incremental path or throws saying why it cannot.
   */
  inference?: 'auto' | 'full' | 'incremental';
  /** The layer the incremental path cuts the network at (default: the cheapest cut by estimated cost). */
  prefixLayer?: string;
}

export interface OcclusionResult {
  /** [N, H, W] at input resolution, or [N, rows, cols] (one value per mask position) with 'none'. */
  map: TensorData;
  /** Class per image (-1 where the target is not one class, e.g. a decoded sequence). */
  targets: number[];
  /** What each map explains, e.g. "class 0 (foreground), 802 pixels" (general targets only). */
  descriptions?: string[];
  /** Score of each unmasked image for its target. */
  baseScores: number[];
  maskSize: [number, number];
  stride: [number, number];
  /** Per image, the value written under the mask for each channel. */
  maskValues: number[][];
  /** Pixel row / column of the centre of each mask position. */
  rowCenters: number[];
  colCenters: number[];
  score: ScoreKind;
  /** Network evaluations made (masked copies plus the unmasked batch). */
  forwardPasses: number;
  /** Which path ran the masked copies ('incremental' or 'full'), the cut layer, and why. */
  inference: InferencePath;
}

export const DEFAULT_MINI_BATCH_SIZE = 128;

/** MATLAB's 'auto' mask size: 20 % of the input size, rounded to the nearest integer (at least 1). */
export function autoMaskSize(length: number): number {
  return Math.max(1, Math.round(0.2 * length));
}

/** MATLAB's 'auto' stride: 10 % of the input size, rounded up. */
export function autoStride(length: number): number {
  return Math.max(1, Math.ceil(0.1 * length));
}

function pair(
  name: string,
  value: 'auto' | number | readonly [number, number] | undefined,
  auto: [number, number],
): [number, number] {
  if (value === undefined || value === 'auto') return auto;
  const out: number[] = typeof value === 'number' ? [value, value] : [...value];
  if (out.length !== 2 || !out.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new OptionError(
      'INVALID_OPTION',
      `${name} must be 'auto', a positive integer or [height, width] of positive integers, got ${JSON.stringify(value)}`,
    );
  }
  return [out[0], out[1]];
}

/** Range [start, end) covered along one axis for every mask position. */
export interface AxisPositions {
  start: Int32Array;
  end: Int32Array;
  centers: number[];
}

/**
 * Mask positions along one axis. The centre pixel of a mask of size m is its (floor((m-1)/2))-th pixel.
 * 'on': centres at 0, stride, 2 stride, ... <= length - 1, ranges clipped to the image.
 * 'off': starts at 0, stride, ... while the whole mask fits.
 */
export function maskPositions(
  length: number,
  mask: number,
  stride: number,
  clipping: 'on' | 'off',
): AxisPositions {
  const offset = Math.floor((mask - 1) / 2);
  const starts: number[] = [];
  if (clipping === 'on') {
    for (let c = 0; c < length; c += stride) starts.push(c - offset);
  } else {
    for (let s = 0; s + mask <= length; s += stride) starts.push(s);
  }
  const start = new Int32Array(starts.length);
  const end = new Int32Array(starts.length);
  starts.forEach((s, i) => {
    start[i] = Math.max(0, s);
    end[i] = Math.min(length, s + mask);
  });
  return { start, end, centers: starts.map((s) => s + offset) };
}

function resolveMaskValues(
  option: OcclusionOptions['maskValue'],
  input: TensorData,
  geo: ImageGeometry,
): number[][] {
  const perImage: number[][] = [];
  for (let b = 0; b < geo.batch; b++) {
    if (option === undefined || option === 'auto') perImage.push(channelMeans(input, geo, b));
    else if (typeof option === 'number' && Number.isFinite(option))
      perImage.push(new Array(geo.channels).fill(option));
    else if (Array.isArray(option) && option.length === geo.channels && option.every(Number.isFinite))
      perImage.push([...option]);
    else
      throw new OptionError(
        'INVALID_OPTION',
        `maskValue must be 'auto', a number or ${geo.channels} per-channel numbers, got ${JSON.stringify(option)}`,
      );
  }
  return perImage;
}

/** Writes image `b` with the mask rectangle filled into `dst` at element `offset`. */
function writeMasked(
  dst: Float32Array,
  offset: number,
  src: Float32Array,
  b: number,
  geo: ImageGeometry,
  rows: [number, number],
  cols: [number, number],
  values: readonly number[],
): void {
  dst.set(src.subarray(b * geo.size, (b + 1) * geo.size), offset);
  const { width, channels } = geo;
  if (geo.layout === 'NCHW') {
    const plane = geo.height * width;
    for (let c = 0; c < channels; c++) {
      const v = values[c];
      for (let y = rows[0]; y < rows[1]; y++) {
        const rowStart = offset + c * plane + y * width;
        dst.fill(v, rowStart + cols[0], rowStart + cols[1]);
      }
    }
  } else {
    for (let y = rows[0]; y < rows[1]; y++) {
      let p = offset + (y * width + cols[0]) * channels;
      for (let x = cols[0]; x < cols[1]; x++) {
        for (let c = 0; c < channels; c++) dst[p++] = values[c];
      }
    }
  }
}

export async function occlusionSensitivity(
  model: Model,
  input: TensorData,
  options: OcclusionOptions = {},
): Promise<OcclusionResult> {
  const geo = imageGeometry(input, model.inputSpec, options.layout);
  const clipping = checkChoice('maskClipping', options.maskClipping, ['on', 'off'], 'on');
  const upsampling = checkChoice(
    'outputUpsampling',
    options.outputUpsampling,
    ['bicubic', 'nearest', 'none'],
    'bicubic',
  );
  const scoreKind = checkChoice<ScoreKind>('score', options.score, ['probability', 'logit'], 'probability');
  const miniBatchSize = options.miniBatchSize ?? DEFAULT_MINI_BATCH_SIZE;
  if (!Number.isInteger(miniBatchSize) || miniBatchSize < 1) {
    throw new OptionError('INVALID_OPTION', `miniBatchSize must be a positive integer, got ${miniBatchSize}`);
  }
  const maskSize = pair('maskSize', options.maskSize, [autoMaskSize(geo.height), autoMaskSize(geo.width)]);
  const stride = pair('stride', options.stride, [autoStride(geo.height), autoStride(geo.width)]);
  const rowPos = maskPositions(geo.height, maskSize[0], stride[0], clipping);
  const colPos = maskPositions(geo.width, maskSize[1], stride[1], clipping);
  if (rowPos.centers.length === 0 || colPos.centers.length === 0) {
    throw new OptionError(
      'INVALID_OPTION',
      `maskSize [${maskSize}] does not fit the ${geo.height}x${geo.width} input with maskClipping 'off'`,
    );
  }
  const maskValues = resolveMaskValues(options.maskValue, input, geo);

  // Region, time-step and other non-class targets (and every target of a non-class output) are resolved once
  // on the unmasked batch; a masked copy's value is then <its output, the seed>.
  const general: TargetValues | undefined =
    isObjectTarget(options.target) || !servesClassScores(model)
      ? await targetValues(model, options.target, input, scoreKind, { miniBatchSize })
      : undefined;
  // Bad explicit targets fail before any pass is run (the class count is checked again with the scores).
  const classTarget = options.target as TargetOption;
  if (!general && classTarget !== undefined) resolveTargets(model, classTarget, geo.batch);
  const scorer = general ? general.scorer : await classScorer(model, scoreKind);
  const size = general ? general.resolved.seeds.data.length / geo.batch : 0;
  const batch = geo.batch;
  const rows = rowPos.centers.length;
  const cols = colPos.centers.length;
  const positions = rows * cols;
  const grids = new Float32Array(batch * positions);
  let baseRows: Float32Array | undefined;
  let numClasses = 0;
  let targets: number[] = [];
  let baseScores: number[] = [];

  // Work items: the unmasked images first (they give the base scores and default targets, and ride in
  // the first mini-batch instead of a call of their own), then (image, position) pairs in order. Chunks
  // may span images to keep batches full.
  const collect = (scores: TensorData, first: number, count: number): void => {
    if (general) {
      for (let k = 0; k < count; k++) {
        const masked = first + k - batch;
        if (masked < 0) continue;
        const b = Math.floor(masked / positions);
        const row = scores.data.subarray(k * size, (k + 1) * size);
        grids[masked] = general.resolved.scores[b] - general.value(row, b);
      }
      return;
    }
    numClasses = scores.dims[1];
    for (let k = 0; k < count; k++) {
      const item = first + k;
      if (item < batch) {
        baseRows ??= new Float32Array(batch * numClasses);
        baseRows.set(scores.data.subarray(k * numClasses, (k + 1) * numClasses), item * numClasses);
        continue;
      }
      if (targets.length === 0) {
        // Every base row came before the first masked item.
        targets = resolveTargets(model, classTarget, batch, {
          data: baseRows!,
          dims: [batch, numClasses],
        });
        baseScores = targets.map((t, b) => baseRows![b * numClasses + t]);
      }
      const masked = item - batch;
      const b = Math.floor(masked / positions);
      grids[masked] = baseScores[b] - scores.data[k * numClasses + targets[b]];
    }
  };

  const choice = checkChoice('inference', options.inference, ['auto', 'full', 'incremental'], 'auto');
  const plan =
    choice === 'full'
      ? ({ path: 'full', reason: "inference 'full' was asked for" } as InferencePath)
      : await planIncremental(model, geo, rowPos, colPos, choice, options.prefixLayer);
  const inference = 'stages' in plan ? describePlan(plan) : plan;
  if ('stages' in plan) {
    await runIncremental({
      model,
      plan,
      input,
      geo,
      rows: rowPos,
      cols: colPos,
      maskValues,
      miniBatchSize,
      scorer: await tailScorer(model, plan.stages[plan.stages.length - 1].to.layer, scoreKind),
      collect,
      onProgress: options.onProgress,
    });
  } else
    await runPerturbed(scorer, {
      total: batch + batch * positions,
      size: geo.size,
      itemDims: input.dims.slice(1),
      miniBatchSize,
      write: (buffer, offset, item) => {
        if (item < batch) {
          buffer.set(input.data.subarray(item * geo.size, (item + 1) * geo.size), offset);
          return;
        }
        const masked = item - batch;
        const b = Math.floor(masked / positions);
        const pos = masked - b * positions;
        const r = Math.floor(pos / cols);
        const c = pos - r * cols;
        const rowRange: [number, number] = [rowPos.start[r], rowPos.end[r]];
        writeMasked(
          buffer,
          offset,
          input.data,
          b,
          geo,
          rowRange,
          [colPos.start[c], colPos.end[c]],
          maskValues[b],
        );
      },
      collect,
      onProgress: options.onProgress,
    });

  let map: TensorData;
  if (upsampling === 'none') {
    map = { data: grids, dims: [geo.batch, rows, cols] };
  } else {
    const yAxis: GridAxis = { first: rowPos.centers[0], step: stride[0], count: rows };
    const xAxis: GridAxis = { first: colPos.centers[0], step: stride[1], count: cols };
    const pixels = geo.height * geo.width;
    const data = new Float32Array(geo.batch * pixels);
    for (let b = 0; b < geo.batch; b++) {
      const grid = grids.subarray(b * positions, (b + 1) * positions);
      data.set(upsampleGrid(grid, yAxis, xAxis, geo.height, geo.width, upsampling), b * pixels);
    }
    map = { data, dims: [geo.batch, geo.height, geo.width] };
  }

  if (general) {
    targets = general.resolved.classes.map((c) => c ?? -1);
    baseScores = general.resolved.scores;
  }
  return {
    map,
    targets,
    ...(general ? { descriptions: general.resolved.descriptions } : {}),
    baseScores,
    maskSize,
    stride,
    maskValues,
    rowCenters: rowPos.centers,
    colCenters: colPos.centers,
    score: scoreKind,
    forwardPasses: batch + batch * positions,
    inference,
  };
}
