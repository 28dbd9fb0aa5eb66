/**
 * Resize float maps (saliency maps, activation channels) to another size, usually up to the original
 * image size. Same conventions as MATLAB's imresize (see `resample.ts`): output pixel d samples the map at
 * (d + 0.5) * inSize / outSize - 0.5, edges mirrored; 'bilinear' therefore holds the edge values flat over
 * the outer half input-pixel, and 'bicubic' may overshoot the input range slightly near sharp edges.
 */
import { ImageError } from '../errors.js';
import type { TensorData } from '../types.js';
import type { FloatMap } from './types.js';
import { checkMap } from './types.js';
import { resampleHwc, type ResampleOptions, type ResizeMethod } from './resample.js';

/** `map` resampled to width × height. */
export function upsample(
  map: FloatMap,
  size: { width: number; height: number },
  method: ResizeMethod = 'bilinear',
  options: Omit<ResampleOptions, 'method'> = {},
): FloatMap {
  checkMap(map);
  const data = resampleHwc(map.data, map.width, map.height, 1, size.width, size.height, {
    ...options,
    method,
  });
  return { data, width: size.width, height: size.height };
}

/**
 * One H×W map out of a tensor shaped [H, W], [N, H, W] or [N, 1, H, W] (item `index` of the batch).
 * The data is copied so the map owns its buffer.
 */
export function mapFromTensor(tensor: TensorData, index = 0): FloatMap {
  const dims = tensor.dims;
  let batch: number;
  let height: number;
  let width: number;
  if (dims.length === 2) [batch, height, width] = [1, dims[0], dims[1]];
  else if (dims.length === 3) [batch, height, width] = dims as [number, number, number];
  else if (dims.length === 4 && dims[1] === 1) [batch, height, width] = [dims[0], dims[2], dims[3]];
  else {
    throw new ImageError(
      'INVALID_INPUT',
      `a map tensor must be [H,W], [N,H,W] or [N,1,H,W], found [${dims.join(',')}]`,
    );
  }
  if (!Number.isInteger(index) || index < 0 || index >= batch) {
    throw new ImageError('INVALID_INPUT', `map index ${index} is out of range for a batch of ${batch}`);
  }
  const size = height * width;
  if (tensor.data.length !== batch * size) {
    throw new ImageError(
      'INVALID_INPUT',
      `map tensor holds ${tensor.data.length} values, dims [${dims.join(',')}]`,
    );
  }
  return { data: tensor.data.slice(index * size, (index + 1) * size), width, height };
}
