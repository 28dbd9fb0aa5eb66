/**
 * Pixels ⇄ model input. Forward: x = (pixel * scale - mean[c]) / std[c] for each network channel c
 * (mean/std index the network's channels, i.e. after any RGB→BGR reordering; a single value applies to
 * all channels), laid out NCHW or NHWC and batched. Backward: the same maths inverted, rounded and clamped
 * to 0..255, so overlays can be drawn on exactly what the network saw.
 */
import { ImageError, OptionError } from '../errors.js';
import type { InputSpec, TensorData } from '../types.js';
import { convertChannels } from './channels.js';
import { resizeImage } from './resize.js';
import type { ResampleOptions } from './resample.js';
import type { ChannelCount, RawImage } from './types.js';
import { checkImage } from './types.js';

interface ChannelPlan {
  /** Channels of the RawImage the network's channels are read from (1 = gray, 3 = RGB). */
  imageChannels: ChannelCount;
  /** For network channel c, the channel of the image it comes from. */
  source: number[];
  mean: number[];
  std: number[];
}

/** Validates the spec and resolves channel order and per-channel mean/std. */
export function checkInputSpec(spec: InputSpec): ChannelPlan {
  const { channels, channelOrder } = spec;
  for (const [name, value] of [
    ['height', spec.height],
    ['width', spec.width],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new OptionError('INVALID_OPTION', `input spec ${name} ${value} is not a positive integer`);
    }
  }
  if (spec.layout !== 'NCHW' && spec.layout !== 'NHWC') {
    throw new OptionError(
      'INVALID_OPTION',
      `input spec layout '${String(spec.layout)}' must be NCHW or NHWC`,
    );
  }
  let source: number[];
  if (channelOrder === 'GRAY' && channels === 1) source = [0];
  else if (channelOrder === 'RGB' && channels === 3) source = [0, 1, 2];
  else if (channelOrder === 'BGR' && channels === 3) source = [2, 1, 0];
  else {
    throw new OptionError(
      'INVALID_OPTION',
      `input spec channel order ${String(channelOrder)} with ${channels} channels is not supported, expected GRAY with 1 or RGB/BGR with 3`,
    );
  }
  if (!Number.isFinite(spec.scale) || spec.scale === 0) {
    throw new OptionError(
      'INVALID_OPTION',
      `input spec scale ${spec.scale} must be a finite non-zero number`,
    );
  }
  const perChannel = (values: number[], name: string): number[] => {
    if (values.length !== 1 && values.length !== channels) {
      throw new OptionError(
        'INVALID_OPTION',
        `input spec ${name} has ${values.length} values, expected 1 or ${channels} (one per channel)`,
      );
    }
    if (values.some((v) => !Number.isFinite(v))) {
      throw new OptionError(
        'INVALID_OPTION',
        `input spec ${name} [${values.join(', ')}] has a non-finite value`,
      );
    }
    return values.length === 1 ? new Array<number>(channels).fill(values[0]) : [...values];
  };
  const mean = perChannel(spec.mean, 'mean');
  const std = perChannel(spec.std, 'std');
  if (std.some((s) => s === 0)) {
    throw new OptionError('INVALID_OPTION', `input spec std [${spec.std.join(', ')}] has a zero`);
  }
  return { imageChannels: channels === 1 ? 1 : 3, source, mean, std };
}

/** Dims of a batch of `count` images for the spec. */
export function inputDims(spec: InputSpec, count: number): number[] {
  return spec.layout === 'NCHW'
    ? [count, spec.channels, spec.height, spec.width]
    : [count, spec.height, spec.width, spec.channels];
}

/**
 * Images already at the spec's size → one batch tensor. Gray/RGB/RGBA images are converted to the
 * network's channels (gray replicated, RGB → luma, alpha dropped).
 */
export function imagesToTensor(images: RawImage | readonly RawImage[], spec: InputSpec): TensorData {
  const list: readonly RawImage[] = Array.isArray(images) ? images : [images as RawImage];
  if (list.length === 0)
    throw new ImageError('INVALID_INPUT', 'no images to normalise, expected at least one');
  const plan = checkInputSpec(spec);
  const { height, width, channels, scale } = spec;
  const plane = height * width;
  const perImage = plane * channels;
  const data = new Float32Array(list.length * perImage);
  const nchw = spec.layout === 'NCHW';
  list.forEach((original, n) => {
    checkImage(original, `image ${n}`);
    if (original.width !== width || original.height !== height) {
      throw new ImageError(
        'INVALID_INPUT',
        `image ${n} is ${original.width}×${original.height}, expected the model's ${width}×${height} (resize it first)`,
      );
    }
    const image = convertChannels(original, plan.imageChannels);
    const src = image.data;
    const inC = image.channels;
    const base = n * perImage;
    for (let c = 0; c < channels; c++) {
      const from = plan.source[c];
      const mean = plan.mean[c];
      const invStd = 1 / plan.std[c];
      for (let p = 0; p < plane; p++) {
        const x = (src[p * inC + from] * scale - mean) * invStd;
        data[base + (nchw ? c * plane + p : p * channels + c)] = x;
      }
    }
  });
  return { data, dims: inputDims(spec, list.length) };
}

/** Resize each image to the spec's size (no cropping), then normalise into one batch tensor. */
export function prepareImages(
  images: RawImage | readonly RawImage[],
  spec: InputSpec,
  options: ResampleOptions = {},
): TensorData {
  const list: readonly RawImage[] = Array.isArray(images) ? images : [images as RawImage];
  return imagesToTensor(
    list.map((image) => resizeImage(image, spec.width, spec.height, options)),
    spec,
  );
}

/** Every image of a model-input batch, as RGB (3-channel specs) or gray (1-channel specs). */
export function tensorToImages(tensor: TensorData, spec: InputSpec): RawImage[] {
  const plan = checkInputSpec(spec);
  const { height, width, channels, scale } = spec;
  const dims = tensor.dims;
  const expected = inputDims(spec, dims[0] ?? 0);
  if (
    dims.length !== 4 ||
    dims.some((d, i) => d !== expected[i]) ||
    tensor.data.length !== dims[0] * height * width * channels
  ) {
    throw new ImageError(
      'INVALID_INPUT',
      `model input tensor has dims [${dims.join(',')}], expected [N,${expected.slice(1).join(',')}] (${spec.layout})`,
    );
  }
  const plane = height * width;
  const perImage = plane * channels;
  const nchw = spec.layout === 'NCHW';
  const images: RawImage[] = [];
  for (let n = 0; n < dims[0]; n++) {
    const out = new Uint8Array(plane * plan.imageChannels);
    for (let c = 0; c < channels; c++) {
      const to = plan.source[c];
      const mean = plan.mean[c];
      const std = plan.std[c];
      for (let p = 0; p < plane; p++) {
        const x = tensor.data[n * perImage + (nchw ? c * plane + p : p * channels + c)];
        const v = Math.round((x * std + mean) / scale);
        out[p * plan.imageChannels + to] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
    images.push({ data: out, width, height, channels: plan.imageChannels });
  }
  return images;
}

/** Image `index` of a model-input batch (see `tensorToImages`). */
export function tensorToImage(tensor: TensorData, spec: InputSpec, index = 0): RawImage {
  const images = tensorToImages(tensor, spec);
  if (!Number.isInteger(index) || index < 0 || index >= images.length) {
    throw new ImageError(
      'INVALID_INPUT',
      `image index ${index} is out of range for a batch of ${images.length}`,
    );
  }
  return images[index];
}
