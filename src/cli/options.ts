/**
 * Options shared by the commands: how to load the model (labels, input-spec overrides, batching) and
 * parsers that turn flag strings into checked values with one-line errors.
 */
import type { Command } from 'commander';
import { OptionError } from '../errors.js';
import { loadModel } from '../node/load.js';
import type { OnnxModel } from '../model.js';
import type { SequenceLayout } from '../onnx/time-major.js';
import { readFile } from 'node:fs/promises';
import { FileError } from '../errors.js';
import { OUTPUT_KINDS } from '../onnx/output-kinds.js';
import type { InputSpec, OutputKind, TensorData } from '../types.js';
import { readNpy } from '../util/npy.js';

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
  /** Every `--input` value, one per line (commander accumulates the repeated flag). */
  input?: string;
  outputKind?: string;
  outputName?: string;
}

export interface GlobalFlags {
  json?: boolean;
  verbose?: boolean;
  /** false with --no-progress; a mode name with --progress MODE. */
  progress?: boolean | string;
}

/** Adds the model-loading flags every model command takes. */
export function withModelFlags(cmd: Command): Command {
  return cmd
    .option('--labels <file>', 'class labels, one per line (overrides the model metadata)')
    .option('--input-size <HxW>', 'input height x width (overrides the model metadata), e.g. 224x224')
    .option('--layout <layout>', 'input layout: NCHW or NHWC (images), NTC, TNC or NCT (sequences)')
    .option('--channel-order <order>', 'RGB, BGR or GRAY')
    .option('--scale <s>', 'multiplier applied to 0..255 pixels before mean/std, e.g. 0.00392156')
    .option('--mean <values>', 'per-channel mean, comma separated')
    .option('--std <values>', 'per-channel std, comma separated')
    .option('--mini-batch-size <n>', 'images per ONNX Runtime call (default 128)')
    .option(
      '--threads <n>',
      'ONNX Runtime intra-op threads, and the worker sessions that run many gradient calls side by side (embed: also the worker threads of t-SNE and UMAP)',
    )
    .option('--max-pixels <n>', 'refuse images with more pixels than this (default 40000000)')
    .option('--to-gray', 'convert colour images to gray for 1-channel models')
    .option('--window-hop <seconds>', 'audio models: seconds between window starts (default: one window)')
    .option('--max-seconds <s>', 'audio models: refuse WAV files longer than this (default 600)')
    .option(
      '--input <name=file.npy|value>',
      'value of another model input, held fixed (repeatable): a .npy file or comma-separated numbers',
      (value: string, previous?: string) => (previous ? `${previous}\n${value}` : value),
    )
    .option('--output-name <name>', 'the output to explain and predict (default: the first output)')
    .option(
      '--output-kind <kind|name=kind>',
      `what the main (or a named) output is: ${OUTPUT_KINDS.join(', ')} (default: from the graph and shapes)`,
    )
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

/** `--input name=file.npy` or `--input name=0,1,0,0` (one item, held for every item) → values by name. */
export async function parseInputs(values: readonly string[]): Promise<Record<string, TensorData>> {
  const out: Record<string, TensorData> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) {
      throw new OptionError(
        'INVALID_OPTION',
        `--input must look like name=file.npy or name=1,2,3, got '${value}'`,
      );
    }
    const name = value.slice(0, eq);
    const rest = value.slice(eq + 1);
    if (rest.toLowerCase().endsWith('.npy')) {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(rest));
      } catch {
        throw new FileError('FILE_NOT_FOUND', `--input ${name}: file ${rest} cannot be read`);
      }
      const tensor = readNpy(bytes, rest);
      // A file without a batch axis holds one item.
      out[name] = tensor;
    } else {
      const numbers = parseNumberList(rest, `--input ${name}`);
      out[name] = { data: Float32Array.from(numbers), dims: [1, numbers.length] };
    }
  }
  return out;
}

/** `--output-kind dense-map` (main output) or `--output-kind name=kind`. */
export function parseOutputKind(value: string): Record<string, OutputKind> {
  const eq = value.indexOf('=');
  const [name, kind] = eq > 0 ? [value.slice(0, eq), value.slice(eq + 1)] : ['', value];
  return { [name]: parseChoice(kind, '--output-kind', OUTPUT_KINDS) };
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

const SEQUENCE_LAYOUTS = ['NTC', 'TNC', 'NCT'] as const;

/** `--layout NTC|TNC|NCT`: the layout of a sequence input (time-major TNC is read batch-first). */
function sequenceLayout(flags: ModelFlags): SequenceLayout | undefined {
  const value = flags.layout?.toUpperCase();
  return SEQUENCE_LAYOUTS.find((l) => l === value);
}

function inputSpecOverrides(flags: ModelFlags): Partial<InputSpec> | undefined {
  const spec: Partial<InputSpec> = {};
  if (flags.inputSize) [spec.height, spec.width] = parseSize(flags.inputSize, '--input-size');
  if (flags.layout) {
    const layout = parseChoice(flags.layout, '--layout', ['NCHW', 'NHWC', ...SEQUENCE_LAYOUTS] as const);
    if (layout === 'NCHW' || layout === 'NHWC') spec.layout = layout;
  }
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
    sequenceLayout: sequenceLayout(flags),
    miniBatchSize: miniBatchSize(flags),
    threads: flags.threads ? parsePositiveInt(flags.threads, '--threads') : undefined,
    ...(flags.exampleDims ? { exampleDims: parseDims(flags.exampleDims, '--example-dims') } : {}),
    ...(flags.input ? { inputs: await parseInputs(flags.input.split('\n')) } : {}),
    ...(flags.outputKind ? { outputKinds: parseOutputKind(flags.outputKind) } : {}),
    ...(flags.outputName ? { outputName: flags.outputName } : {}),
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
