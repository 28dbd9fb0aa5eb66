/** `netlens shapley <model> <data.csv>`: Shapley values of table features (MATLAB `shapley`). */
import type { Command } from 'commander';
import { UnsupportedError } from '../../errors.js';
import { addInputOptions, inputCommand, type CliFlags } from '../inputs/index.js';
import { openModel, withModelFlags, type GlobalFlags, type ModelFlags } from '../options.js';

export function register(program: Command, globals: () => GlobalFlags): void {
  const cmd = program
    .command('shapley')
    .description(
      "Shapley values of a table model's features for query rows (MATLAB shapley): interventional Kernel SHAP or conditional",
    )
    .argument('<model>', 'ONNX model with a [N, F] table input')
    .argument('<data>', 'CSV with a header naming the features');
  addInputOptions(withModelFlags(cmd), 'shapley').action(
    async (modelPath: string, data: string, flags: ModelFlags & CliFlags) => {
      const model = await openModel(modelPath, flags);
      try {
        const byKind = inputCommand(model, 'shapley');
        if (!byKind) {
          throw new UnsupportedError(
            'UNSUPPORTED_MODEL',
            `shapley explains table models (a [N, F] input); ${modelPath} takes images: use kernel-shap`,
          );
        }
        await byKind.run(model, [data], flags, { modelPath, globals: globals() });
      } finally {
        await model.dispose();
      }
    },
  );
}
