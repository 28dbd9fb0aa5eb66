/** `netlens class-max <model> --classes a,b --out classes.png`: images that maximise class scores. */
import type { Command } from 'commander';
import { classMaximization, dreamFigure } from '../../methods/dream/index.js';
import { OptionError } from '../../errors.js';
import {
  openModel,
  parseNumber,
  parsePositiveInt,
  requireInputSpec,
  withModelFlags,
  type GlobalFlags,
  type ModelFlags,
} from '../options.js';
import { checkOutputFile, printJson, writePng } from '../output.js';
import { createProgress } from '../progress.js';

interface ClassMaxFlags extends ModelFlags {
  classes?: string;
  out?: string;
  numIterations?: string;
  learnRate?: string;
  jitter?: string;
  blurSigma?: string;
  l2Decay?: string;
  seed: string;
}

export function register(program: Command, globals: () => GlobalFlags): void {
  withModelFlags(
    program
      .command('class-max')
      .description('images that maximise class scores (gradient ascent with jitter, blur and decay)')
      .argument('<model>', 'ONNX model (or TF.js model.json)')
      .option('--classes <list>', 'class indices or names, comma separated (default: every class)')
      .option('--out <file.png>', 'where to write the montage')
      .option('--num-iterations <n>', 'gradient steps (default 100)')
      .option('--learn-rate <r>', 'mean step size in input units (default 0.05)')
      .option('--jitter <px>', 'largest random shift per step (default 4)')
      .option('--blur-sigma <px>', 'blur every 4 steps (default 0.5; 0 = off)')
      .option('--l2-decay <f>', 'decay towards the mean pixel per step (default 0.001)')
      .option('--seed <n>', 'random seed', '0'),
  ).action(async (modelPath: string, flags: ClassMaxFlags) => {
    const seed = Number(flags.seed);
    if (!Number.isInteger(seed))
      throw new OptionError('INVALID_OPTION', `--seed must be an integer, got '${flags.seed}'`);
    if (flags.out) await checkOutputFile(flags.out);
    const model = await openModel(modelPath, flags);
    try {
      requireInputSpec(model);
      const classes = flags.classes
        ? flags.classes.split(',').map((s) => (/^\d+$/.test(s.trim()) ? Number(s.trim()) : s.trim()))
        : (model.labels ?? []).map((_, i) => i);
      if (classes.length === 0)
        throw new OptionError('INVALID_OPTION', 'the model has no labels: give --classes');
      const progress = createProgress('class-max', !globals().json && globals().progress !== false);
      const result = await classMaximization(model, classes, {
        numIterations: flags.numIterations
          ? parsePositiveInt(flags.numIterations, '--num-iterations')
          : undefined,
        learnRate: flags.learnRate ? parseNumber(flags.learnRate, '--learn-rate') : undefined,
        jitter: flags.jitter ? parseNumber(flags.jitter, '--jitter') : undefined,
        blurSigma: flags.blurSigma ? parseNumber(flags.blurSigma, '--blur-sigma') : undefined,
        l2Decay: flags.l2Decay ? parseNumber(flags.l2Decay, '--l2-decay') : undefined,
        seed,
        onProgress: progress.onProgress,
      });
      progress.stop();
      const labels = result.classes.map((c) => model.labels?.[c] ?? `class ${c}`);
      if (flags.out) await writePng(flags.out, dreamFigure(result.pictures!, labels));
      const scores = result.objective.map((t) => ({ start: t[0], end: t[t.length - 1] }));
      if (globals().json) printJson({ classes: result.classes, labels, scores, out: flags.out });
      else
        process.stdout.write(
          labels
            .map((l, i) => `${l}: ${scores[i].start.toFixed(3)} → ${scores[i].end.toFixed(3)}`)
            .join('; ') +
            (flags.out ? `; wrote ${flags.out}` : '') +
            '\n',
        );
    } finally {
      await model.dispose();
    }
  });
}
