/** `netlens predict <model> <images...> [--top k]`. */
import path from 'node:path';
import type { Command } from 'commander';
import { formatSummary, summarizePrediction } from '../../methods/classify.js';
import { loadImageArgs } from '../images.js';
import { addInputOptions, inputCommand, inputLoaderFor, type CliFlags } from '../inputs/index.js';
import {
  openModel,
  parsePositiveInt,
  requireInputSpec,
  withModelFlags,
  type GlobalFlags,
  type ModelFlags,
} from '../options.js';
import { distinctStems, printJson } from '../output.js';
import { createProgress } from '../progress.js';

interface PredictFlags extends ModelFlags {
  top: string;
}

export function register(program: Command, globals: () => GlobalFlags): void {
  const cmd = withModelFlags(
    program
      .command('predict')
      .description(
        "predict images: top classes, a map's pixel shares, a decoded sequence or regression values",
      )
      .argument('<model>', 'ONNX model (or TF.js model.json)')
      .argument('<images...>', 'image files or folders (table models: one CSV)')
      .option('--top <k>', 'how many classes to show per image', '3'),
  );
  addInputOptions(cmd, 'predict').action(
    async (modelPath: string, imageArgs: string[], flags: PredictFlags) => {
      const k = parsePositiveInt(flags.top, '--top');
      const model = await openModel(modelPath, flags);
      try {
        // Models of another input kind (a table) predict their own way.
        const byKind = inputCommand(model, 'predict');
        if (byKind) {
          const cliFlags = flags as unknown as CliFlags;
          return await byKind.run(model, imageArgs, cliFlags, { modelPath, globals: globals() });
        }
        const custom = inputLoaderFor(model);
        const loaded = custom
          ? await custom(imageArgs, model, flags)
          : await loadImageArgs(imageArgs, requireInputSpec(model), undefined, flags);
        const progress = createProgress('predict', !globals().json && globals().progress !== false);
        const prediction = await model.predict(loaded.input, { onProgress: progress.onProgress });
        progress.stop();
        const summaries = summarizePrediction(prediction, model.mainOutput, model.labels, k);
        const names = distinctStems(loaded.paths);
        if (globals().json) {
          printJson(
            loaded.paths.map((file, i) => {
              const s = summaries[i];
              return s.kind === 'class-scores' ? { file, top: s.top } : { file, ...s };
            }),
          );
          return;
        }
        const kind = model.mainOutput.kind;
        if (kind !== 'class-scores')
          process.stdout.write(`output '${model.outputName}': ${kind.replace('-', ' ')}\n`);
        for (const [i, file] of loaded.paths.entries()) {
          const name = names[i] + path.extname(file);
          process.stdout.write(`${name}: ${formatSummary(summaries[i])}\n`);
        }
      } finally {
        await model.dispose();
      }
    },
  );
}
