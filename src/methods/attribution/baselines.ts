/**
 * Baselines for path methods, in the model's input space:
 * - 'black' / 'white': every pixel 0 / 255, mapped through the input spec ((p·scale − mean) / std);
 * - 'blurred': the image under a Gaussian blur (sigma `blurSigma` pixels, default a tenth of its shorter side);
 * - 'uniform': independent uniform pixels in 0..255 mapped through the spec (seeded); without a spec,
 *   uniform values between each image's own minimum and maximum;
 * - a tensor: one item for every image, or one per image.
 */
import { OptionError } from '../../errors.js';
import { checkInputSpec } from '../../image/normalize.js';
import type { InputSpec, TensorData } from '../../types.js';
import { createRandom } from '../../util/random.js';
import { repeatItems } from '../batch.js';
import { gaussianBlur } from '../gaussian-blur.js';
import type { ImageGeometry } from '../image-layout.js';

export type BaselineKind = 'black' | 'white' | 'blurred' | 'uniform';
export type Baseline = BaselineKind | TensorData;
export const BASELINE_KINDS: readonly BaselineKind[] = ['black', 'white', 'blurred', 'uniform'];

export interface BaselineOptions {
  blurSigma?: number;
  seed?: number;
}

function pixelValue(spec: InputSpec | undefined, pixel: number, channel: number, kind: string): number {
  if (!spec) {
    throw new OptionError(
      'INVALID_OPTION',
      `baseline '${kind}' needs the model's input spec (how pixels map to inputs); give a baseline tensor instead`,
    );
  }
  const plan = checkInputSpec(spec);
  return (pixel * spec.scale - plan.mean[channel]) / plan.std[channel];
}

/** The baseline for every image of the batch, [N, ...item dims]. */
export function makeBaseline(
  baseline: Baseline,
  input: TensorData,
  geo: ImageGeometry,
  spec: InputSpec | undefined,
  options: BaselineOptions = {},
): TensorData {
  if (typeof baseline === 'object') {
    const ok =
      baseline.data instanceof Float32Array &&
      baseline.dims.length === input.dims.length &&
      baseline.dims.slice(1).every((d, i) => d === input.dims[i + 1]) &&
      (baseline.dims[0] === 1 || baseline.dims[0] === geo.batch) &&
      baseline.data.length === baseline.dims[0] * geo.size;
    if (!ok) {
      throw new OptionError(
        'INVALID_OPTION',
        `baseline tensor must be [1 or ${geo.batch}, ${input.dims.slice(1).join(', ')}], got [${baseline.dims}]`,
      );
    }
    return baseline.dims[0] === geo.batch ? baseline : repeatItems(baseline, geo.batch);
  }
  const out = new Float32Array(input.data.length);
  const pixels = geo.height * geo.width;
  switch (baseline) {
    case 'black':
    case 'white': {
      const pixel = baseline === 'black' ? 0 : 255;
      for (let c = 0; c < geo.channels; c++) {
        const v = pixelValue(spec, pixel, c, baseline);
        for (let n = 0; n < geo.batch; n++)
          for (let p = 0; p < pixels; p++)
            out[n * geo.size + c * geo.channelStride + p * geo.pixelStride] = v;
      }
      return { data: out, dims: [...input.dims] };
    }
    case 'blurred': {
      const sigma = options.blurSigma ?? Math.min(geo.height, geo.width) / 10;
      if (!(Number.isFinite(sigma) && sigma >= 0)) {
        throw new OptionError(
          'INVALID_OPTION',
          `blurSigma must be a number >= 0, got ${String(options.blurSigma)}`,
        );
      }
      return gaussianBlur(input, geo, sigma);
    }
    case 'uniform': {
      const random = createRandom(options.seed);
      for (let n = 0; n < geo.batch; n++) {
        let lo = Infinity;
        let hi = -Infinity;
        if (!spec) {
          for (let i = 0; i < geo.size; i++) {
            lo = Math.min(lo, input.data[n * geo.size + i]);
            hi = Math.max(hi, input.data[n * geo.size + i]);
          }
        }
        for (let c = 0; c < geo.channels; c++) {
          for (let p = 0; p < pixels; p++) {
            const u = random.next();
            out[n * geo.size + c * geo.channelStride + p * geo.pixelStride] = spec
              ? pixelValue(spec, u * 255, c, baseline)
              : lo + u * (hi - lo);
          }
        }
      }
      return { data: out, dims: [...input.dims] };
    }
    default:
      throw new OptionError(
        'INVALID_OPTION',
        `baseline must be one of ${BASELINE_KINDS.join(', ')} or a tensor, got ${JSON.stringify(baseline)}`,
      );
  }
}
