/**
 * Options shared by the commands: how to load the model (labels, input-spec overrides, batching) and
 * parsers that turn flag strings into checked values with one-line errors.
 */
import type { Command } from 'commander';
import { OptionError } from '../errors.js';
import { loadModel } from '../node/load.js';
import type { OnnxModel } from '../model.js';
import type { InputSpec } from '../types.js';

export interface ModelFlags {
  maxPixels?: string;
  toGray?: boolean;
  labels?: string;
  inputSize?: string;
  layout?: string;
  channelOrder?: string;
  scale?: string;
  mean?: string;
  std?: string;
  miniBatchSize?: string;
  threads?: string;
  windowHop?: string;
  maxSeconds?: string;
  exampleDims?: string;
}

export interface GlobalFlags {
  json?: boolean;
  verbose?: boolean;
  progress?: boolean;
}

/** Adds the model-loading flags every model command takes. */
export function withModelFlags(cmd: Command): Command {
  return cmd
    .option('--labels <file>', 'class labels, one per line (overrides the model metadata)')
    .option('--input-size <HxW>', 'input height x width (overrides the model metadata), e.g. 224x224')
    .option('--layout <layout>', 'input layout: NCHW or NHWC')
    .option('--channel-order <order>', 'RGB, BGR or GRAY')
    .option('--scale <s>', 'multiplier applied to 0..255 pixels before mean/std, e.g. 0.00392156')
    .option('--mean <values>', 'per-channel mean, comma separated')
    .option('--std <values>', 'per-channel std, comma separated')
    .option('--mini-batch-size <n>', 'images per ONNX Runtime call (default 128)')
    .option('--threads <n>', 'ONNX Runtime intra-op threads')
    .option('--max-pixels <n>', 'refuse images with more pixels than this (default 40000000)')
    .option('--to-gray', 'convert colour images to gray for 1-channel models')
    .option('--window-hop <seconds>', 'audio models: seconds between window starts (default: one window)')
    .option('--max-seconds <s>', 'audio models: refuse WAV files longer than this (default 600)')
    .option(
      '--example-dims <dims>',
      'dims of one input item without the batch axis, e.g. 1x40 or 3,224,224: fixes symbolic dims for the shape probe',
    );
}

export function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isInteger(n) || n <= 0) {
    throw new OptionError('INVALID_OPTION', `${flag} must be a positive integer, got '${value}'`);
  }
  return n;
}

export function parseNumber(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new OptionError('INVALID_OPTION', `${flag} must be a number, got '${value}'`);
  }
  return n;
}

export function parseNumberList(value: string, flag: string): number[] {
  return value.split(',').map((part) => parseNumber(part, flag));
}

/** "224x224" or "224" → [h, w]. */
export function parseSize(value: string, flag: string): [number, number] {
  const parts = value.toLowerCase().split(/[x,]/);
  if (parts.length === 1) {
    const n = parsePositiveInt(parts[0], flag);
    return [n, n];
  }
  if (parts.length !== 2)
    throw new OptionError('INVALID_OPTION', `${flag} must look like HxW (e.g. 224x224), got '${value}'`);
  return [parsePositiveInt(parts[0], flag), parsePositiveInt(parts[1], flag)];
}

/** "1x40", "3,224,224" → positive integer dims. */
export function parseDims(value: string, flag: string): number[] {
  const parts = value.split(/[x,]/i);
  if (parts.length === 0 || parts.some((p) => p.trim() === '')) {
    throw new OptionError('INVALID_OPTION', `${flag} must look like 3x224x224 or 3,224,224, got '${value}'`);
  }
  return parts.map((p) => parsePositiveInt(p, flag));
}

export function parseChoice<T extends string>(value: string, flag: string, choices: readonly T[]): T {
  const found = choices.find((c) => c.toLowerCase() === value.toLowerCase());
  if (!found) {
    throw new OptionError('INVALID_OPTION', `${flag} must be one of ${choices.join(', ')}, got '${value}'`);
  }
  return found;
}

function inputSpecOverrides(flags: ModelFlags): Partial<InputSpec> | undefined {
  const spec: Partial<InputSpec> = {};
  if (flags.inputSize) [spec.height, spec.width] = parseSize(flags.inputSize, '--input-size');
  if (flags.layout) spec.layout = parseChoice(flags.layout, '--layout', ['NCHW', 'NHWC'] as const);
  if (flags.channelOrder)
    spec.channelOrder = parseChoice(flags.channelOrder, '--channel-order', ['RGB', 'BGR', 'GRAY'] as const);
  if (flags.scale) spec.scale = parseNumber(flags.scale, '--scale');
  if (flags.mean) spec.mean = parseNumberList(flags.mean, '--mean');
  if (flags.std) spec.std = parseNumberList(flags.std, '--std');
  return Object.keys(spec).length > 0 ? spec : undefined;
}

export function miniBatchSize(flags: ModelFlags): number | undefined {
  return flags.miniBatchSize ? parsePositiveInt(flags.miniBatchSize, '--mini-batch-size') : undefined;
}

export async function openModel(modelPath: string, flags: ModelFlags): Promise<OnnxModel> {
  return loadModel(modelPath, {
    labelsFile: flags.labels,
    inputSpec: inputSpecOverrides(flags),
    miniBatchSize: miniBatchSize(flags),
    threads: flags.threads ? parsePositiveInt(flags.threads, '--threads') : undefined,
    ...(flags.exampleDims ? { exampleDims: parseDims(flags.exampleDims, '--example-dims') } : {}),
  });
}

/** The model's input spec, or a clear error saying which flags supply it. */
export function requireInputSpec(model: OnnxModel): InputSpec {
  const spec = model.inputSpec;
  if (!spec) {
    throw new OptionError(
      'INVALID_OPTION',
      'the model carries no image input spec: pass --input-size, --layout, --scale, --mean and --std (or a sidecar <model>.json)',
    );
  }
  return spec;
}
