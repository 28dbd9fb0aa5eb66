/** The `metadata_props` an imported model carries, so `netlens info` and the model loader know it. */
import type { InputSpec } from '../types.js';
import type { Value } from './graph.js';

export interface TfjsImportOptions {
  /**
   * How raw pixels become the model's input. For image inputs size, channels and layout (NHWC) come
   * from the model; give what the model cannot know (scale, mean, std; defaults pixel / 255, 0, 1).
   * Any other kind of input description is written as given. Without it no `netlens.input` is written:
   * a TF.js model does not record its preprocessing.
   */
  inputSpec?: Partial<InputSpec> & { [key: string]: unknown };
  /** Class labels in output order (written as `netlens.labels`). */
  labels?: string[];
  /** Task name for `netlens.task`; by default 'classification' when the output is a softmax over classes. */
  task?: string;
}

/**
 * The input spec completed from the model's (NHWC) image input shape, with the project's defaults
 * (x = pixel / 255, mean 0, std 1) for anything not given.
 */
export function completeInputSpec(input: Value, given: Partial<InputSpec>): InputSpec {
  const [height, width, channels] = input.shape.slice(1);
  const c = given.channels ?? channels ?? 3;
  return {
    height: given.height ?? height ?? 0,
    width: given.width ?? width ?? 0,
    channels: c,
    layout: given.layout ?? 'NHWC',
    channelOrder: given.channelOrder ?? (c === 1 ? 'GRAY' : 'RGB'),
    scale: given.scale ?? 1 / 255,
    mean: given.mean ?? new Array<number>(c).fill(0),
    std: given.std ?? new Array<number>(c).fill(1),
  };
}

export function importMetadata(
  input: Value,
  outputEndsInSoftmax: boolean,
  options: TfjsImportOptions,
): Record<string, string> {
  const metadata: Record<string, string> = {
    'netlens.source': 'tfjs-layers',
    // Intermediate 4-D tensors named after Keras layers are channels-first (what CAM and montages use).
    'netlens.layerLayout': 'NCHW',
  };
  if (options.inputSpec)
    metadata['netlens.input'] = JSON.stringify(completeInputSpec(input, options.inputSpec));
  if (options.labels) metadata['netlens.labels'] = JSON.stringify(options.labels);
  const task = options.task ?? (outputEndsInSoftmax ? 'classification' : undefined);
  if (task) metadata['netlens.task'] = task;
  return metadata;
}
