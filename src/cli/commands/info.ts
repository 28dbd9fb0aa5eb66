/** `netlens info <model>`: inputs, outputs, labels, input spec and the layers table. */
import type { Command } from 'commander';
import { openModel, withModelFlags, type GlobalFlags, type ModelFlags } from '../options.js';
import { withFlagNames } from '../fail.js';
import { printJson } from '../output.js';
import { describeModel, formatModelDescription } from '../../methods/describe.js';

export function register(program: Command, globals: () => GlobalFlags): void {
  withModelFlags(
    program
      .command('info')
      .description('show a model: inputs, outputs, labels, input spec and every layer with its shape')
      .argument('<model>', 'ONNX model (or TF.js model.json)'),
  ).action(async (modelPath: string, flags: ModelFlags, command: Command) => {
    const model = await openModel(modelPath, flags);
    try {
      const described = await describeModel(model);
      // What would fix unknown shapes is a flag on the command line (--example-dims), not a library option.
      const names = new Map(
        command.options.flatMap((o) => (o.long ? [[o.attributeName(), o.long] as [string, string]] : [])),
      );
      const description = described.shapesUnknown
        ? { ...described, shapesUnknown: withFlagNames(described.shapesUnknown, names) }
        : described;
      if (globals().json) printJson(description);
      else process.stdout.write(formatModelDescription(description));
    } finally {
      await model.dispose();
    }
  });
}
