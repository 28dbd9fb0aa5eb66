/**
 * Where the pixels of a batch in the model's input layout live: image methods index channels and
 * rows through this instead of assuming NCHW.
 */
import { OptionError } from '../errors.js';
import type { InputSpec, TensorData } from '../types.js';

export interface ImageGeometry {
  layout: 'NCHW' | 'NHWC';
  batch: number;
  height: number;
  width: number;
  channels: number;
  /** Elements per image. */
  size: number;
  /** Distance between neighbouring channels / pixels of one image, in elements. */
  channelStride: number;
  pixelStride: number;
}

/**
 * Reads N, H, W, C from a batch. The layout comes from the model's input spec; without one a 4-D batch
 * is taken as NHWC only when its last axis looks like channels (1, 3 or 4) and its second does not.
 * A 3-D batch is [N, H, W] with one channel.
 */
export function imageGeometry(input: TensorData, spec?: InputSpec, layout?: 'NCHW' | 'NHWC'): ImageGeometry {
  const dims = input.dims;
  if (dims.length === 3) {
    const [batch, height, width] = dims;
    return finish('NCHW', batch, height, width, 1, input);
  }
  if (dims.length !== 4) {
    throw new OptionError(
      'INVALID_OPTION',
      `expected an image batch [N, C, H, W] or [N, H, W, C], got dims [${dims}]`,
    );
  }
  const isChannels = (d: number) => d === 1 || d === 3 || d === 4;
  const chosen = layout ?? spec?.layout ?? (isChannels(dims[3]) && !isChannels(dims[1]) ? 'NHWC' : 'NCHW');
  return chosen === 'NCHW'
    ? finish('NCHW', dims[0], dims[2], dims[3], dims[1], input)
    : finish('NHWC', dims[0], dims[1], dims[2], dims[3], input);
}

function finish(
  layout: 'NCHW' | 'NHWC',
  batch: number,
  height: number,
  width: number,
  channels: number,
  input: TensorData,
): ImageGeometry {
  const size = height * width * channels;
  if (batch < 1 || size < 1 || input.data.length !== batch * size) {
    throw new OptionError(
      'INVALID_OPTION',
      `image batch data has ${input.data.length} values, dims [${input.dims}] need ${batch * size}`,
    );
  }
  return {
    layout,
    batch,
    height,
    width,
    channels,
    size,
    channelStride: layout === 'NCHW' ? height * width : 1,
    pixelStride: layout === 'NCHW' ? 1 : channels,
  };
}

/** Mean of each channel of image `index` of the batch. */
export function channelMeans(input: TensorData, geo: ImageGeometry, index: number): number[] {
  const base = index * geo.size;
  const pixels = geo.height * geo.width;
  const means: number[] = [];
  for (let c = 0; c < geo.channels; c++) {
    let sum = 0;
    for (let p = 0; p < pixels; p++) sum += input.data[base + c * geo.channelStride + p * geo.pixelStride];
    means.push(sum / pixels);
  }
  return means;
}
