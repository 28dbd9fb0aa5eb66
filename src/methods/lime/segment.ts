/**
 * Cutting one image of a model-input batch into LIME features: SLIC superpixels, a grid, or a user
 * label matrix.
 */
import { OptionError } from '../../errors.js';
import type { InputSpec, TensorData } from '../../types.js';
import type { ImageGeometry } from '../image-layout.js';
import {
  gridCells,
  gridSegments,
  labelsFromMatrix,
  type GridSegmentation,
  type LabelMatrix,
} from './grid.js';
import { slic, type PlanarImage, type Segmentation } from './slic.js';

/** A grid of exactly `rows` x `cols` cells (a spectrogram's frequency x time segments). */
export interface GridShape {
  rows: number;
  cols: number;
}

export type SegmentationOption = 'superpixels' | 'grid' | GridShape | LabelMatrix;

export interface ImageSegments extends Segmentation {
  /** Set for grid segmentation (cell layout, for smooth up-sampling). */
  grid?: GridSegmentation;
  /** Set for a user label matrix: the user's label of each feature id. */
  labelValues?: number[];
}

/**
 * Image `index` of the batch as planar values in [0, 1] for colour segmentation. With an input spec the
 * normalisation is undone (x * std + mean) / scale / 255 and BGR is turned to RGB; without one each
 * image is min-max scaled, which keeps colour differences proportional.
 */
export function segmentationImage(
  input: TensorData,
  geo: ImageGeometry,
  index: number,
  spec: InputSpec | undefined,
): PlanarImage {
  const pixels = geo.height * geo.width;
  const data = new Float32Array(pixels * geo.channels);
  const base = index * geo.size;
  for (let c = 0; c < geo.channels; c++) {
    const target = spec?.channelOrder === 'BGR' ? geo.channels - 1 - c : c;
    for (let p = 0; p < pixels; p++) {
      data[target * pixels + p] = input.data[base + c * geo.channelStride + p * geo.pixelStride];
    }
  }
  const specFits = spec && spec.mean.length >= 1 && spec.std.length >= 1 && spec.scale > 0;
  if (specFits) {
    for (let c = 0; c < geo.channels; c++) {
      const source = spec.channelOrder === 'BGR' ? geo.channels - 1 - c : c;
      const mean = spec.mean[Math.min(source, spec.mean.length - 1)];
      const std = spec.std[Math.min(source, spec.std.length - 1)];
      for (let p = c * pixels; p < (c + 1) * pixels; p++) {
        data[p] = Math.min(1, Math.max(0, (data[p] * std + mean) / spec.scale / 255));
      }
    }
  } else {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of data) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const range = hi - lo;
    for (let i = 0; i < data.length; i++) data[i] = range > 0 ? (data[i] - lo) / range : 0;
  }
  return { data, height: geo.height, width: geo.width, channels: geo.channels };
}

export function segmentImage(
  input: TensorData,
  geo: ImageGeometry,
  index: number,
  spec: InputSpec | undefined,
  option: SegmentationOption,
  numFeatures: number,
  compactness: number,
): ImageSegments {
  if (option === 'grid') {
    const grid = gridSegments(geo.height, geo.width, numFeatures);
    return { ...grid, grid };
  }
  if (option === 'superpixels') {
    if (geo.channels !== 1 && geo.channels !== 3) {
      throw new OptionError(
        'INVALID_OPTION',
        `superpixels need a gray or RGB input, got ${geo.channels} channels; use segmentation 'grid' or a label matrix`,
      );
    }
    return slic(segmentationImage(input, geo, index, spec), { numSegments: numFeatures, compactness });
  }
  if (typeof option === 'object' && option !== null && 'rows' in option && 'cols' in option) {
    const grid = gridCells(geo.height, geo.width, option.rows, option.cols);
    return { ...grid, grid };
  }
  if (typeof option === 'object' && option !== null && 'data' in option && 'dims' in option) {
    const { values, ...segments } = labelsFromMatrix(option, geo.height, geo.width);
    return { ...segments, labelValues: values };
  }
  throw new OptionError(
    'INVALID_OPTION',
    `segmentation must be 'superpixels', 'grid', a grid shape {rows, cols} or a label matrix {data, dims: [height, width]}, got ${JSON.stringify(option)}`,
  );
}
