/** Data set arguments of the dataset commands: image files / folders, or a bundled sample set (`--samples`). */
import type { Command } from 'commander';
import { OptionError } from '../errors.js';
import type { OnnxModel } from '../model.js';
import { imageFileSource, sampleSetSource } from '../methods/dataset/node-sources.js';
import type { DatasetSource } from '../methods/dataset/source.js';
import { expandImagePaths, type ImageFlags } from './images.js';
import { parsePositiveInt, requireInputSpec } from './options.js';

export interface DatasetFlags extends ImageFlags {
  samples?: string;
  limit?: string;
}

export function withDatasetFlags(cmd: Command): Command {
  return cmd
    .option('--samples <name>', 'a bundled fixture sample set (e.g. fashion-cnn) instead of image files')
    .option('--limit <n>', 'use at most the first n items');
}

/** The data set the arguments name; images are decoded one mini-batch at a time. */
export async function openDataset(
  model: OnnxModel,
  args: readonly string[],
  flags: DatasetFlags,
): Promise<DatasetSource> {
  const limit = flags.limit ? parsePositiveInt(flags.limit, '--limit') : undefined;
  if (flags.samples !== undefined) {
    if (args.length > 0) {
      throw new OptionError('INVALID_OPTION', 'give image files/folders or --samples, not both');
    }
    return sampleSetSource(flags.samples, model.inputSpec, { limit });
  }
  if (args.length === 0)
    throw new OptionError('INVALID_OPTION', 'no data: give image files or folders, or --samples <name>');
  const spec = requireInputSpec(model);
  const maxPixels =
    flags.maxPixels !== undefined ? parsePositiveInt(flags.maxPixels, '--max-pixels') : undefined;
  return imageFileSource(await expandImagePaths(args, limit), spec, {
    maxPixels,
    toGray: flags.toGray === true,
  });
}
