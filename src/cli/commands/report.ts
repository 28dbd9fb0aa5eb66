/** `netlens report <model> <images...> --out DIR`: one self-contained HTML page with a section per method. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { OptionError } from '../../errors.js';
import { argmaxRows } from '../../methods/target.js';
import { writeFileAtomic } from '../../render/png.js';
import { buildReport } from '../../report/report.js';
import { SECTIONS } from '../../report/sections/index.js';
import { loadReportDataset, type ReportDatasetFlags } from '../dataset.js';
import { loadImageArgs } from '../images.js';
import {
  addInputOptions,
  inputCommand,
  inputLoaderFor,
  type CliFlags,
  type LoadedInputs,
} from '../inputs/index.js';
import {
  miniBatchSize,
  openModel,
  parsePositiveInt,
  requireInputSpec,
  withModelFlags,
  type GlobalFlags,
  type ModelFlags,
} from '../options.js';
import { printJson } from '../output.js';
import { createProgress } from '../progress.js';
import { learnedLayers, randomizeLayers } from '../../onnx/randomize.js';
import { OnnxModel } from '../../model.js';
import { nodeRuntime } from '../../node/load.js';

/** The model with every learned layer re-initialised, opened on first use (seed 0) and disposed after. */
function lazyRandomizedModel(model: OnnxModel) {
  let opened: Promise<OnnxModel | undefined> | undefined;
  return {
    // A model without learned layers has nothing to randomise: its cards carry no sanity verdict.
    get: (): Promise<OnnxModel | undefined> => {
      const layers = learnedLayers(model.proto);
      opened ??=
        layers.length === 0
          ? Promise.resolve(undefined)
          : OnnxModel.create(
              randomizeLayers(
                model.proto,
                layers.map((_, i) => i),
              ),
              nodeRuntime,
              { labels: model.labels, inputSpec: model.inputSpec, source: `${model.source} (randomised)` },
            );
      return opened;
    },
    dispose: async () => {
      await (await opened)?.dispose();
    },
  };
}

interface ReportFlags extends ModelFlags, ReportDatasetFlags {
  out: string;
  limit?: string;
  sections?: string;
  seed: string;
  metricCards: boolean;
}

export function register(program: Command, globals: () => GlobalFlags): void {
  const cmd = withModelFlags(
    program
      .command('report')
      .description('write one self-contained HTML page: predictions and a section per method that applies')
      .argument('<model>', 'ONNX model (or TF.js model.json)')
      .argument('<images...>', 'image files or folders (table models: one CSV)')
      .requiredOption('--out <dir>', 'output folder (index.html is written there)')
      .option('--limit <n>', 'use at most n images')
      .option('--sections <ids>', `comma-separated sections (${SECTIONS.map((s) => s.id).join(', ')})`)
      .option('--seed <n>', 'seed for the randomised methods', '0')
      .option(
        '--samples <fixture>',
        'bundled sample set for the dataset sections (embedding, max/min images)',
      )
      .option('--dataset <folder>', 'folder of images for the dataset sections')
      .option('--dataset-limit <n>', 'use at most the first n items of the data set')
      .option('--no-metric-cards', 'leave out the deletion / insertion / sanity card under each map'),
  );
  addInputOptions(cmd, 'report').action(
    async (modelPath: string, imageArgs: string[], flags: ReportFlags) => {
      const only = flags.sections?.split(',').map((s) => s.trim());
      for (const id of only ?? []) {
        if (!SECTIONS.some((s) => s.id === id)) {
          throw new OptionError(
            'INVALID_OPTION',
            `unknown report section '${id}': expected ${SECTIONS.map((s) => s.id).join(', ')}`,
          );
        }
      }
      const seed = Number(flags.seed);
      if (!Number.isInteger(seed))
        throw new OptionError('INVALID_OPTION', `--seed must be an integer, got '${flags.seed}'`);
      const limit = flags.limit ? parsePositiveInt(flags.limit, '--limit') : undefined;
      const model = await openModel(modelPath, flags);
      const randomized = lazyRandomizedModel(model);
      try {
        // Models of another input kind (a table) build their own report.
        const byKind = inputCommand(model, 'report');
        if (byKind) {
          const cliFlags = flags as unknown as CliFlags;
          return await byKind.run(model, imageArgs, cliFlags, { modelPath, globals: globals() });
        }
        const spec = requireInputSpec(model);
        const custom = inputLoaderFor(model);
        const loaded: LoadedInputs = custom
          ? await custom(imageArgs, model, flags, limit)
          : await loadImageArgs(imageArgs, spec, limit, flags);
        const predictions = await model.predict(loaded.input);
        const dataset = await loadReportDataset(model, flags);
        const showProgress = !globals().json && globals().progress !== false;
        const progress = createProgress('report', showProgress);
        await mkdir(flags.out, { recursive: true });
        const file = path.join(flags.out, 'index.html');
        const report = await buildReport(
          {
            model,
            modelName: path.basename(modelPath),
            spec,
            input: loaded.input,
            images: loaded.images,
            names: loaded.paths.map((p) => path.basename(p)),
            predictions,
            predicted: argmaxRows(predictions.scores),
            miniBatchSize: miniBatchSize(flags),
            seed,
            ...(dataset ? { dataset } : {}),
            ...(loaded.audio ? { audio: loaded.audio } : {}),
            ...(flags.metricCards ? { randomizedModel: randomized.get } : { noMetricCards: true }),
          },
          SECTIONS,
          {
            only,
            onSection: (section, i, total) => progress.onProgress({ done: i, total, stage: section.title }),
            // Each finished section is on disk at once: an interrupted run keeps what it had.
            onPage: (html) => writeFileAtomic(file, html),
          },
        );
        progress.stop();
        await writeFileAtomic(file, report.html);
        if (globals().json) {
          printJson({ file, sections: report.rendered, skipped: report.skipped, failed: report.failed });
        } else {
          const notes = [
            report.skipped.length ? `not shown: ${report.skipped.map((s) => s.id).join(', ')}` : '',
            report.failed.length ? `failed: ${report.failed.map((s) => s.id).join(', ')}` : '',
          ].filter(Boolean);
          process.stdout.write(
            `wrote ${file} (${report.rendered.length} sections${notes.length ? `; ${notes.join('; ')}` : ''})\n`,
          );
          for (const f of report.failed) process.stdout.write(`section ${f.id} failed: ${f.error}\n`);
        }
      } finally {
        await randomized.dispose();
        await model.dispose();
      }
    },
  );
}
