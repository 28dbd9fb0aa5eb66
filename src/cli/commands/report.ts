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
import { inputKindHandler } from '../inputs/index.js';
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

interface ReportFlags extends ModelFlags, ReportDatasetFlags {
  out: string;
  limit?: string;
  sections?: string;
  seed: string;
}

export function register(program: Command, globals: () => GlobalFlags): void {
  withModelFlags(
    program
      .command('report')
      .description('write one self-contained HTML page: predictions and a section per method that applies')
      .argument('<model>', 'ONNX model (or TF.js model.json)')
      .argument('<images...>', 'image files or folders')
      .requiredOption('--out <dir>', 'output folder (index.html is written there)')
      .option('--limit <n>', 'use at most n images')
      .option('--sections <ids>', `comma-separated sections (${SECTIONS.map((s) => s.id).join(', ')})`)
      .option('--seed <n>', 'seed for the randomised methods', '0')
      .option(
        '--samples <fixture>',
        'bundled sample set for the dataset sections (embedding, max/min images)',
      )
      .option('--dataset <folder>', 'folder of images for the dataset sections')
      .option('--dataset-limit <n>', 'use at most the first n items of the data set'),
  ).action(async (modelPath: string, imageArgs: string[], flags: ReportFlags) => {
    const only = flags.sections?.split(',').map((s) => s.trim());
    const seed = Number(flags.seed);
    if (!Number.isInteger(seed))
      throw new OptionError('INVALID_OPTION', `--seed must be an integer, got '${flags.seed}'`);
    const limit = flags.limit ? parsePositiveInt(flags.limit, '--limit') : undefined;
    const model = await openModel(modelPath, flags);
    try {
      const kind = inputKindHandler(model);
      if (kind) {
        await kind.report({
          model,
          modelName: path.basename(modelPath),
          args: imageArgs,
          out: flags.out,
          limit,
          ...(only ? { only } : {}),
          seed,
          samples: flags.samples,
          dataset: flags.dataset,
          datasetLimit: flags.datasetLimit
            ? parsePositiveInt(flags.datasetLimit, '--dataset-limit')
            : undefined,
          json: globals().json === true,
          progress: !globals().json && globals().progress !== false,
        });
        return;
      }
      for (const id of only ?? []) {
        if (!SECTIONS.some((s) => s.id === id)) {
          throw new OptionError(
            'INVALID_OPTION',
            `unknown report section '${id}': expected ${SECTIONS.map((s) => s.id).join(', ')}`,
          );
        }
      }
      const spec = requireInputSpec(model);
      const loaded = await loadImageArgs(imageArgs, spec, limit, flags);
      const predictions = await model.predict(loaded.input);
      const dataset = await loadReportDataset(model, flags);
      const showProgress = !globals().json && globals().progress !== false;
      const progress = createProgress('report', showProgress);
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
        },
        SECTIONS,
        {
          only,
          onSection: (section, i, total) => progress.onProgress({ done: i, total, stage: section.title }),
        },
      );
      progress.stop();
      await mkdir(flags.out, { recursive: true });
      const file = path.join(flags.out, 'index.html');
      await writeFileAtomic(file, report.html);
      if (globals().json) printJson({ file, sections: report.rendered, skipped: report.skipped });
      else {
        process.stdout.write(`wrote ${file} (${report.rendered.length} sections`);
        process.stdout.write(
          report.skipped.length ? `; not shown: ${report.skipped.map((s) => s.id).join(', ')})\n` : ')\n',
        );
      }
    } finally {
      await model.dispose();
    }
  });
}
