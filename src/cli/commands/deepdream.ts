/**
 * `netlens deepdream <model> --channels 0,1,2 --out dream.png`: MATLAB deepDreamImage — one image per channel
 * (or per group 'a+b' of channels raised together), shown as a labelled montage.
 */
import type { Command } from 'commander';
import { OptionError } from '../../errors.js';
import { deepDream, dreamFigure } from '../../methods/dream/index.js';
import { loadImageArgs } from '../images.js';
import {
  openModel,
  parseChoice,
  parseNumber,
  parsePositiveInt,
  requireInputSpec,
  withModelFlags,
  type GlobalFlags,
  type ModelFlags,
} from '../options.js';
import { checkOutputFile, printJson, writePng } from '../output.js';
import { createProgress } from '../progress.js';

interface DeepDreamFlags extends ModelFlags {
  layer?: string;
  channels: string;
  out?: string;
  pyramidLevels?: string;
  pyramidScale?: string;
  numIterations?: string;
  learnRate?: string;
  initialImage?: string;
  outputScaling?: string;
  seed: string;
  verbose?: boolean;
}

/** '0,1,2+3' → [[0], [1], [2, 3]]. */
export function parseChannelGroups(value: string): number[][] {
  const groups = value.split(',').map((part) =>
    part.split('+').map((c) => {
      const n = Number(c.trim());
      if (c.trim() === '' || !Number.isInteger(n) || n < 0) {
        throw new OptionError(
          'INVALID_OPTION',
          `--channels must look like 0,1,2+3 (channel indices), got '${value}'`,
        );
      }
      return n;
    }),
  );
  return groups;
}

export function register(program: Command, globals: () => GlobalFlags): void {
  withModelFlags(
    program
      .command('deepdream')
      .description(
        'images that raise the mean activation of chosen channels of a layer (MATLAB deepDreamImage)',
      )
      .argument('<model>', 'ONNX model (or TF.js model.json)')
      .option('--layer <name>', 'layer (tensor) name; default the last layer with spatial dims')
      .option(
        '--channels <list>',
        'channels, one image each; 2+5 raises channels 2 and 5 together',
        '0,1,2,3',
      )
      .option('--out <file.png>', 'where to write the montage')
      .option('--pyramid-levels <n>', 'octaves (default 3)')
      .option('--pyramid-scale <s>', 'size ratio between octaves (default 1.4)')
      .option('--num-iterations <n>', 'steps per octave (default 10)')
      .option('--learn-rate <r>', 'mean step size in input units (default 0.05)')
      .option('--initial-image <file>', 'start from this image instead of gray noise')
      .option('--output-scaling <mode>', 'linear (stretch to full range, default) or none')
      .option('--seed <n>', 'random seed for the noise start', '0')
      .option('--verbose', 'print the objective per octave'),
  ).action(async (modelPath: string, flags: DeepDreamFlags) => {
    const channels = parseChannelGroups(flags.channels);
    const seed = Number(flags.seed);
    if (!Number.isInteger(seed))
      throw new OptionError('INVALID_OPTION', `--seed must be an integer, got '${flags.seed}'`);
    if (flags.out) await checkOutputFile(flags.out);
    const model = await openModel(modelPath, flags);
    try {
      const spec = requireInputSpec(model);
      const layer = flags.layer ?? (await model.featureLayer());
      const initial = flags.initialImage
        ? (await loadImageArgs([flags.initialImage], spec, 1, flags)).input
        : undefined;
      const progress = createProgress('deepdream', !globals().json && globals().progress !== false);
      const result = await deepDream(model, layer, channels, {
        pyramidLevels: flags.pyramidLevels
          ? parsePositiveInt(flags.pyramidLevels, '--pyramid-levels')
          : undefined,
        pyramidScale: flags.pyramidScale ? parseNumber(flags.pyramidScale, '--pyramid-scale') : undefined,
        numIterations: flags.numIterations
          ? parsePositiveInt(flags.numIterations, '--num-iterations')
          : undefined,
        learnRate: flags.learnRate ? parseNumber(flags.learnRate, '--learn-rate') : undefined,
        outputScaling: flags.outputScaling
          ? parseChoice(flags.outputScaling, '--output-scaling', ['linear', 'none'] as const)
          : undefined,
        initialImage: initial,
        seed,
        verbose: flags.verbose === true && !globals().json,
        onProgress: progress.onProgress,
      });
      progress.stop();
      const labels = result.channels.map((g) => `ch ${g.join('+')}`);
      if (flags.out) await writePng(flags.out, dreamFigure(result.pictures!, labels));
      const perOctave = result.objective.map((octave) => octave.map((t) => [t[0], t[t.length - 1]]));
      if (globals().json) {
        printJson({
          layer,
          channels: result.channels,
          octaveSizes: result.octaveSizes,
          objective: perOctave,
          out: flags.out,
        });
      } else {
        const last = perOctave[perOctave.length - 1];
        const gains = result.channels.map(
          (g, i) => `${g.join('+')}: ${perOctave[0][i][0].toFixed(3)} → ${last[i][1].toFixed(3)}`,
        );
        process.stdout.write(
          `deep dream on ${layer}, mean activation ${gains.join('; ')}` +
            (flags.out ? `; wrote ${flags.out}` : '') +
            '\n',
        );
      }
    } finally {
      await model.dispose();
    }
  });
}
