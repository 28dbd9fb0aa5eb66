/** `netlens info <model>`: inputs, outputs, labels, input spec and the layers table. */
import type { Command } from 'commander';
import { openModel, withModelFlags, type GlobalFlags, type ModelFlags } from '../options.js';
import { printJson } from '../output.js';
import { describeModel, formatModelDescription } from '../../methods/describe.js';

export function register(program: Command, globals: () => GlobalFlags): void {
  withModelFlags(
    program
      .command('info')
      .description('show a model: inputs, outputs, labels, input spec and every layer with its shape')
      .argument('<model>', 'ONNX model (or TF.js model.json)'),
  ).action(async (modelPath: string, flags: ModelFlags) => {
    const model = await openModel(modelPath, flags);
    try {
      const description = await describeModel(model);
      if (globals().json) printJson(description);
      else process.stdout.write(formatModelDescription(description));
    } finally {
      await model.dispose();
    }
  });
}
