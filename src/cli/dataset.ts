/** Data set arguments of the dataset commands: image files / folders, or a bundled sample set (`--samples`). */
import type { Command } from 'commander';
import { OptionError } from '../errors.js';
import type { OnnxModel } from '../model.js';
import { imageFileSource, sampleSetSource } from '../methods/dataset/node-sources.js';
import { datasetInputs } from '../methods/dataset/activations.js';
import type { DatasetSource } from '../methods/dataset/source.js';
import type { TensorData } from '../types.js';
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

export interface ReportDatasetFlags extends ImageFlags {
  samples?: string;
  dataset?: string;
  datasetLimit?: string;
}

/** The report's data set held in memory as one normalised batch, or undefined when none is asked for. */
export async function loadReportDataset(
  model: OnnxModel,
  flags: ReportDatasetFlags,
): Promise<{ input: TensorData; labels?: Int32Array; names?: string[] } | undefined> {
  if (flags.samples !== undefined && flags.dataset !== undefined) {
    throw new OptionError('INVALID_OPTION', 'give --samples or --dataset, not both');
  }
  if (flags.samples === undefined && flags.dataset === undefined) return undefined;
  const source = await openDataset(model, flags.dataset !== undefined ? [flags.dataset] : [], {
    ...flags,
    samples: flags.samples,
    limit: flags.datasetLimit,
  });
  const rows = await datasetInputs(source);
  const dims = [source.count, ...source.itemDims(0)];
  return {
    input: { data: rows.data, dims },
    ...(source.labels ? { labels: source.labels } : {}),
    ...(source.names ? { names: [...source.names] } : {}),
  };
}
