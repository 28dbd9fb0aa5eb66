/**
 * `netlens extremes <model> <images...|--samples NAME> [--class C | --layer L --channel k] --k 8 --out m.png`:
 * the items of a data set that score highest and lowest for classes (or a channel of a layer), and the most
 * confident mistakes, as a labelled montage.
 */
import type { Command } from 'commander';
import { OptionError } from '../../errors.js';
import {
  channelExtremes,
  classExtremes,
  type ExtremesResult,
  type ExtremeSet,
} from '../../methods/dataset/extremes.js';
import { extremesFigure } from '../../methods/dataset/extremes-figure.js';
import { openDataset, withDatasetFlags, type DatasetFlags } from '../dataset.js';
import {
  miniBatchSize,
  openModel,
  parseChoice,
  parsePositiveInt,
  withModelFlags,
  type GlobalFlags,
  type ModelFlags,
} from '../options.js';
import { checkOutputFile, printJson, writePng } from '../output.js';
import { createProgress } from '../progress.js';

interface ExtremesFlags extends ModelFlags, DatasetFlags {
  class?: string;
  layer?: string;
  channel?: string;
  k: string;
  score: string;
  among?: string;
  mistakes?: string;
  out?: string;
}

function parseChannels(value: string): number[] {
  return value.split(',').map((part) => {
    const text = part.trim();
    if (!/^\d+$/.test(text)) {
      throw new OptionError(
        'INVALID_OPTION',
        `--channel must be channel indices, comma separated, got '${value}'`,
      );
    }
    return Number(text);
  });
}

function describeSet(
  set: ExtremeSet,
  names: readonly string[] | undefined,
  items: readonly string[] | undefined,
) {
  const name = (c: number | undefined) => (c === undefined ? undefined : (names?.[c] ?? String(c)));
  const item = (i: ExtremeSet['highest'][number]) => ({
    index: i.index,
    name: items?.[i.index],
    score: i.score,
    label: name(i.label),
    predicted: name(i.predicted),
  });
  return {
    ...(set.kind === 'class'
      ? { class: set.class, className: name(set.class) }
      : { layer: set.layer, channel: set.channel }),
    ranked: set.ranked,
    highest: set.highest.map(item),
    lowest: set.lowest.map(item),
  };
}

export function register(program: Command, globals: () => GlobalFlags): void {
  withDatasetFlags(
    withModelFlags(
      program
        .command('extremes')
        .description(
          'the highest and lowest scoring items of a data set per class (or layer channel), and confident mistakes',
        )
        .argument('<model>', 'ONNX model (or TF.js model.json)')
        .argument('[images...]', 'image files or folders (or use --samples)')
        .option('--class <list>', 'classes (names or indices, comma separated); default every class')
        .option('--layer <name>', 'rank by a channel of this layer instead (with --channel)')
        .option('--channel <list>', 'channel indices of --layer (mean over space / time), comma separated')
        .option('--k <n>', 'items per list', '8')
        .option('--score <kind>', 'class score: probability or logit', 'probability')
        .option('--among <set>', "rank 'class' (items of the class; default with labels) or 'all' items")
        .option('--mistakes <n>', 'how many confident mistakes to show (default k; 0 = none)')
        .option('--out <file.png>', 'where to write the montage'),
    ),
  ).action(async (modelPath: string, imageArgs: string[], flags: ExtremesFlags) => {
    const k = parsePositiveInt(flags.k, '--k');
    const mistakes =
      flags.mistakes === undefined
        ? k
        : flags.mistakes === '0'
          ? 0
          : parsePositiveInt(flags.mistakes, '--mistakes');
    if ((flags.layer === undefined) !== (flags.channel === undefined)) {
      throw new OptionError('INVALID_OPTION', '--layer and --channel go together');
    }
    if (flags.layer !== undefined && flags.class !== undefined) {
      throw new OptionError('INVALID_OPTION', 'give --class or --layer/--channel, not both');
    }
    const score = parseChoice(flags.score, '--score', ['probability', 'logit'] as const);
    const among = flags.among ? parseChoice(flags.among, '--among', ['class', 'all'] as const) : undefined;
    const channels = flags.channel !== undefined ? parseChannels(flags.channel) : undefined;
    if (flags.out) await checkOutputFile(flags.out);
    const model = await openModel(modelPath, flags);
    try {
      const source = await openDataset(model, imageArgs, flags);
      const progress = createProgress('extremes', !globals().json && globals().progress !== false);
      const common = { k, mistakes, miniBatchSize: miniBatchSize(flags), onProgress: progress.onProgress };
      let result: ExtremesResult;
      if (flags.layer !== undefined && channels) {
        result = await channelExtremes(model, source, { ...common, layer: flags.layer, channels });
      } else {
        const classes = flags.class?.split(',').map((c) => c.trim());
        result = await classExtremes(model, source, { ...common, classes, score, among });
      }
      progress.stop();
      const classNames = source.classNames ?? model.labels;
      if (flags.out) await writePng(flags.out, await extremesFigure(source, result, { classNames }));
      const name = (c: number) => classNames?.[c] ?? String(c);
      if (globals().json) {
        printJson({
          count: result.count,
          score: result.score,
          ...(result.accuracy !== undefined ? { accuracy: result.accuracy } : {}),
          sets: result.sets.map((s) => describeSet(s, classNames, source.names)),
          ...(result.mistakes
            ? {
                mistakes: result.mistakes.map((m) => ({
                  index: m.index,
                  name: source.names?.[m.index],
                  label: name(m.label),
                  predicted: name(m.predicted),
                  probability: m.probability,
                })),
              }
            : {}),
          out: flags.out,
        });
      } else {
        const sets = result.sets
          .map((s) => {
            const what = s.kind === 'class' ? name(s.class ?? 0) : `channel ${s.channel}`;
            const top = s.highest[0];
            return top ? `${what}: top ${top.score.toPrecision(3)}` : `${what}: none ranked`;
          })
          .join('; ');
        const mistakesLine = result.mistakes ? `; ${result.mistakes.length} confident mistakes` : '';
        process.stdout.write(
          `ranked ${result.count} items: ${sets}${mistakesLine}${flags.out ? `; wrote ${flags.out}` : ''}\n`,
        );
      }
    } finally {
      await model.dispose();
    }
  });
}
