/** `netlens convert model.json out.onnx`: a TF.js LayersModel (Keras topology + weight shards) to ONNX. */
import type { Command } from 'commander';
import { OptionError } from '../../errors.js';
import { decodeModel } from '../../onnx/proto.js';
import { writeFileAtomic } from '../../render/png.js';
import { convertTfjsFile } from '../../tfjs/node.js';
import { readLabelsFile } from '../../node/load.js';
import type { InputSpec } from '../../types.js';
import { parseChoice, parseNumber, parseNumberList, type GlobalFlags } from '../options.js';
import { printJson } from '../output.js';

interface ConvertFlags {
  labels?: string;
  scale?: string;
  mean?: string;
  std?: string;
  channelOrder?: string;
}

export function register(program: Command, globals: () => GlobalFlags): void {
  program
    .command('convert')
    .description('convert a TF.js LayersModel (model.json + weight shards) to an ONNX file')
    .argument('<model.json>', 'TF.js model.json; its weight shards are read from the same folder')
    .argument('<out.onnx>', 'ONNX file to write')
    .option('--labels <file>', 'class labels to store in the model, one per line')
    .option('--scale <s>', 'input preprocessing to record: pixel multiplier (default 1/255)')
    .option('--mean <values>', 'input preprocessing to record: per-channel mean, comma separated')
    .option('--std <values>', 'input preprocessing to record: per-channel std, comma separated')
    .option('--channel-order <order>', 'input preprocessing to record: RGB, BGR or GRAY')
    .action(async (modelJson: string, out: string, flags: ConvertFlags) => {
      if (!out.toLowerCase().endsWith('.onnx')) {
        throw new OptionError('INVALID_OPTION', `the output should be an .onnx file, got ${out}`);
      }
      const labels = flags.labels ? await readLabelsFile(flags.labels) : undefined;
      const inputSpec: Partial<InputSpec> = {};
      if (flags.scale) inputSpec.scale = parseNumber(flags.scale, '--scale');
      if (flags.mean) inputSpec.mean = parseNumberList(flags.mean, '--mean');
      if (flags.std) inputSpec.std = parseNumberList(flags.std, '--std');
      if (flags.channelOrder) {
        inputSpec.channelOrder = parseChoice(flags.channelOrder, '--channel-order', [
          'RGB',
          'BGR',
          'GRAY',
        ] as const);
      }
      const bytes = await convertTfjsFile(modelJson, { ...(labels ? { labels } : {}), inputSpec });
      await writeFileAtomic(out, bytes);
      const graph = decodeModel(bytes, out).graph;
      const summary = {
        file: out,
        bytes: bytes.length,
        nodes: graph?.node?.length ?? 0,
        inputs: (graph?.input ?? []).map((i) => i.name),
        outputs: (graph?.output ?? []).map((o) => o.name),
      };
      if (globals().json) printJson(summary);
      else
        process.stdout.write(
          `wrote ${out} (${summary.nodes} nodes, ${(bytes.length / 2 ** 20).toFixed(1)} MiB)\n`,
        );
    });
}
