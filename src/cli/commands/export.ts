/**
 * `netlens export model.onnx --method gradcam --out explained.onnx`: one ONNX file whose outputs are the
 * model's outputs, the explained class and the explanation map, runnable by any ONNX Runtime without netlens.
 */
import type { Command } from 'commander';
import { OptionError } from '../../errors.js';
import {
  EXPLAINED_CLASS_OUTPUT,
  EXPORTABLE_METHODS,
  MAP_OUTPUT,
  TARGET_INPUT,
  explanationGraph,
  type ExportOptions,
} from '../../export/index.js';
import { CHANNEL_REDUCTIONS } from '../../methods/attribution/common.js';
import { INTEGRATION_METHODS } from '../../methods/attribution/quadrature.js';
import { RESIZE_METHODS } from '../../image/resample.js';
import { encodeModel } from '../../onnx/proto.js';
import { writeFileAtomic } from '../../render/png.js';
import {
  openModel,
  parseChoice,
  parsePositiveInt,
  withModelFlags,
  type GlobalFlags,
  type ModelFlags,
} from '../options.js';
import { checkOutputFile, printJson } from '../output.js';

interface ExportFlags extends ModelFlags {
  method: string;
  out?: string;
  targetInput?: boolean;
  featureLayer?: string;
  reductionLayer?: string;
  outputUpsampling?: string;
  channelReduction?: string;
  numSteps?: string;
  integration?: string;
  baseline?: string;
}

function exportOptions(flags: ExportFlags): ExportOptions {
  const options: ExportOptions = {};
  if (flags.targetInput) options.targetInput = true;
  if (flags.featureLayer) options.featureLayer = flags.featureLayer;
  if (flags.reductionLayer) options.reductionLayer = flags.reductionLayer;
  if (flags.outputUpsampling)
    options.outputUpsampling = parseChoice(flags.outputUpsampling, '--output-upsampling', RESIZE_METHODS);
  if (flags.channelReduction)
    options.channelReduction = parseChoice(flags.channelReduction, '--channel-reduction', CHANNEL_REDUCTIONS);
  if (flags.numSteps) options.numSteps = parsePositiveInt(flags.numSteps, '--num-steps');
  if (flags.integration)
    options.method = parseChoice(flags.integration, '--integration', INTEGRATION_METHODS);
  if (flags.baseline)
    options.baseline = parseChoice(flags.baseline, '--baseline', ['black', 'white'] as const);
  return options;
}

export function register(program: Command, globals: () => GlobalFlags): void {
  withModelFlags(
    program
      .command('export')
      .description('write one ONNX model that returns the model outputs plus an explanation map')
      .argument('<model>', 'ONNX model (or TF.js model.json)')
      .requiredOption('--method <method>', `explanation method: ${EXPORTABLE_METHODS.join(', ')}`)
      .option('--out <file.onnx>', 'ONNX file to write')
      .option(
        '--target-input',
        "take the class to explain as an int64 input 'target' (default: predicted class)",
      )
      .option('--feature-layer <name>', 'gradcam: layer whose channels are weighted')
      .option('--reduction-layer <name>', 'tensor the class scores are read from')
      .option('--output-upsampling <method>', 'gradcam: bicubic (default), bilinear or nearest')
      .option('--channel-reduction <how>', 'gradient methods: maxAbs, sum, sumAbs or l2')
      .option('--num-steps <n>', 'integrated-gradients: path points (default 50)')
      .option('--integration <rule>', `integrated-gradients: ${INTEGRATION_METHODS.join(', ')}`)
      .option('--baseline <kind>', 'integrated-gradients: black (default) or white'),
  ).action(async (modelPath: string, flags: ExportFlags) => {
    if (!flags.out) throw new OptionError('INVALID_OPTION', 'export needs --out <file.onnx>');
    if (!flags.out.toLowerCase().endsWith('.onnx')) {
      throw new OptionError('INVALID_OPTION', `the output should be an .onnx file, got ${flags.out}`);
    }
    const method = parseChoice(flags.method, '--method', EXPORTABLE_METHODS);
    await checkOutputFile(flags.out);
    const model = await openModel(modelPath, flags);
    try {
      const bytes = encodeModel(await explanationGraph(model, method, exportOptions(flags)));
      await writeFileAtomic(flags.out, bytes);
      const summary = {
        file: flags.out,
        method,
        bytes: bytes.length,
        inputs: [...model.inputs.map((i) => i.name), ...(flags.targetInput ? [TARGET_INPUT] : [])],
        outputs: [...model.outputs.map((o) => o.name), EXPLAINED_CLASS_OUTPUT, MAP_OUTPUT],
      };
      if (globals().json) printJson(summary);
      else process.stdout.write(`wrote ${flags.out}: outputs ${summary.outputs.join(', ')}\n`);
    } finally {
      await model.dispose();
    }
  });
}
