/**
 * What a model file says about itself beyond the graph: class labels and the input spec, stored as JSON in
 * `metadata_props` (`netlens.labels`, `netlens.input`, `netlens.task`), merged with overrides from a sidecar
 * file or options. Later sources override earlier ones field by field.
 */
import { ModelError, OptionError } from '../errors.js';
import type { InputSpec } from '../types.js';

export const LABELS_KEY = 'netlens.labels';
export const INPUT_KEY = 'netlens.input';
export const TASK_KEY = 'netlens.task';

/** Labels from metadata: a JSON array of strings, or undefined when the key is absent. */
export function labelsFromMetadata(metadata: Record<string, string>, source: string): string[] | undefined {
  const text = metadata[LABELS_KEY];
  if (text === undefined) return undefined;
  const value = parseJson(text, `${source} metadata '${LABELS_KEY}'`);
  return checkLabels(value, `${source} metadata '${LABELS_KEY}'`, (m) => new ModelError('INVALID_MODEL', m));
}

/**
 * What `netlens.input` holds: an image spec (no `kind`, or kind 'image'), or the description of another kind
 * of input (e.g. kind 'sequence' with layout 'NTC' and min/maxLength, kind 'table' with feature names).
 */
export type InputDescription = Partial<InputSpec> & { kind?: string; [key: string]: unknown };

export function inputSpecFromMetadata(
  metadata: Record<string, string>,
  source: string,
): InputDescription | undefined {
  const text = metadata[INPUT_KEY];
  if (text === undefined) return undefined;
  const value = parseJson(text, `${source} metadata '${INPUT_KEY}'`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelError('INVALID_MODEL', `${source} metadata '${INPUT_KEY}' must be a JSON object`);
  }
  return value as InputDescription;
}

/**
 * Whether a description is an image spec, which `resolveInputSpec` completes and checks. An audio model's
 * tensor is a spectrogram picture, so kind 'audio' carries an image spec too (plus its `spectrogram` recipe).
 */
export function describesImage(description: InputDescription): boolean {
  return description.kind === undefined || description.kind === 'image' || description.kind === 'audio';
}

/**
 * Per input axis, a length to probe a symbolic axis with: for a sequence description with layout 'NTC' or
 * 'NCT', the time axis gets its `maxLength` (else `minLength`); every other axis is undefined.
 */
export function sequenceProbeDims(
  description: InputDescription | undefined,
  shape: readonly (number | string)[],
): (number | undefined)[] {
  const dims: (number | undefined)[] = shape.map(() => undefined);
  if (description?.kind !== 'sequence' || shape.length !== 3) return dims;
  const length = [description.maxLength, description.minLength].find((v) => typeof v === 'number');
  const layout: unknown = description.layout;
  if (layout === 'NTC') dims[1] = length as number | undefined;
  if (layout === 'NCT') dims[2] = length as number | undefined;
  return dims;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ModelError('INVALID_MODEL', `${what} is not valid JSON`);
  }
}

/** Labels must be an array of strings; `fail` picks the error type for the source. */
export function checkLabels(value: unknown, what: string, fail: (message: string) => Error): string[] {
  if (!Array.isArray(value) || value.some((x) => typeof x !== 'string')) {
    throw fail(`${what} must be an array of strings`);
  }
  return value as string[];
}

function guessLayout(shape: readonly (number | string)[]): 'NCHW' | 'NHWC' {
  const isChannels = (d: number | string | undefined): boolean => d === 1 || d === 3 || d === 4;
  return !isChannels(shape[1]) && isChannels(shape[3]) ? 'NHWC' : 'NCHW';
}

/** Image layout of a rank-4 input: from the spec when given, else guessed from where a 1/3/4 channel dim sits. */
export function inputLayout(
  spec: Partial<InputSpec> | undefined,
  shape: readonly (number | string)[],
): 'NCHW' | 'NHWC' {
  return spec?.layout ?? guessLayout(shape);
}

/**
 * Layout of the model's rank-4 layer tensors: what the model declares (`netlens.layerLayout` metadata, e.g.
 * TF.js imports keep layers NCHW behind an NHWC input), else the input's layout.
 */
export function layerLayoutOf(
  metadata: Record<string, string>,
  inputLayoutOfModel: 'NCHW' | 'NHWC',
): 'NCHW' | 'NHWC' {
  const declared = metadata['netlens.layerLayout'];
  return declared === 'NCHW' || declared === 'NHWC' ? declared : inputLayoutOfModel;
}

/**
 * Complete a partial spec. Geometry missing from it comes from the input's shape; normalisation defaults to
 * x = pixel / 255 with mean 0 and std 1. Returns undefined when no source gave any field. A one-element
 * mean/std applies to every channel.
 */
export function resolveInputSpec(
  partial: Partial<InputSpec> | undefined,
  inputShape: readonly (number | string)[],
): InputSpec | undefined {
  if (!partial || Object.keys(partial).length === 0) return undefined;
  const fail = (message: string): OptionError => new OptionError('INVALID_OPTION', `input spec: ${message}`);
  const layout = inputLayout(partial, inputShape);
  if (layout !== 'NCHW' && layout !== 'NHWC')
    throw fail(`layout must be 'NCHW' or 'NHWC', got '${String(layout)}'`);
  const axes = layout === 'NCHW' ? { c: 1, h: 2, w: 3 } : { h: 1, w: 2, c: 3 };
  const fromShape = (axis: number): number | undefined => {
    const d = inputShape.length === 4 ? inputShape[axis] : undefined;
    return typeof d === 'number' ? d : undefined;
  };
  const height = partial.height ?? fromShape(axes.h);
  const width = partial.width ?? fromShape(axes.w);
  const channels = partial.channels ?? fromShape(axes.c);
  for (const [key, value, axis] of [
    ['height', height, axes.h],
    ['width', width, axes.w],
    ['channels', channels, axes.c],
  ] as const) {
    if (value === undefined)
      throw fail(`${key} is not given and the input shape [${inputShape.join(', ')}] does not fix it`);
    if (!Number.isInteger(value) || value < 1) throw fail(`${key} must be a positive integer, got ${value}`);
    const fixed = fromShape(axis);
    if (fixed !== undefined && fixed !== value) {
      throw fail(`${key} is ${value} but the model input (${layout}) has ${fixed}`);
    }
  }
  const c = channels as number;
  const channelOrder = partial.channelOrder ?? (c === 1 ? 'GRAY' : 'RGB');
  if (!['RGB', 'BGR', 'GRAY'].includes(channelOrder))
    throw fail(`channelOrder must be RGB, BGR or GRAY, got '${channelOrder}'`);
  if ((channelOrder === 'GRAY') !== (c === 1))
    throw fail(`channelOrder ${channelOrder} does not fit ${c} channel(s)`);
  const scale = partial.scale ?? 1 / 255;
  if (!Number.isFinite(scale) || scale === 0) throw fail(`scale must be a non-zero number, got ${scale}`);
  const perChannel = (key: 'mean' | 'std', fallback: number): number[] => {
    const value = partial[key] ?? [fallback];
    if (!Array.isArray(value) || value.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
      throw fail(`${key} must be an array of numbers`);
    }
    if (value.length === 1) return new Array<number>(c).fill(value[0]);
    if (value.length !== c) throw fail(`${key} has ${value.length} values for ${c} channels`);
    return [...value];
  };
  const mean = perChannel('mean', 0);
  const std = perChannel('std', 1);
  if (std.some((s) => s === 0)) throw fail('std must not contain 0');
  return {
    height: height as number,
    width: width as number,
    channels: c,
    layout,
    channelOrder,
    scale,
    mean,
    std,
  };
}
