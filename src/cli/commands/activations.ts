/** `netlens activations <model> <image> --layer L --out act.png`: channel montage + strongest channel. */
import type { Command } from 'commander';
import { activations, channelStats } from '../../methods/activations.js';
import { activationFigure } from '../../methods/activation-figure.js';
import { loadImageArgs } from '../images.js';
import { inputCommand } from '../inputs/index.js';
import {
  openModel,
  requireInputSpec,
  withModelFlags,
  type GlobalFlags,
  type ModelFlags,
} from '../options.js';
import { checkOutputFile, checkNoClobber, printJson, writePng } from '../output.js';

interface ActivationsFlags extends ModelFlags {
  layer?: string;
  out?: string;
  colormap: string;
  force?: boolean;
}

export function register(program: Command, globals: () => GlobalFlags): void {
  withModelFlags(
    program
      .command('activations')
      .description(
        'montage of every channel of a layer for one image, with the strongest channel beside the input',
      )
      .argument('<model>', 'ONNX model (or TF.js model.json)')
      .argument('<image>', 'image file (sequence models: a .csv, .npy or .json sequence)')
      .option('--layer <name>', 'layer (tensor) name; default the last layer with spatial dims')
      .option('--out <file.png>', 'where to write the picture')
      .option('--force', 'overwrite the output file if it exists')
      .option('--colormap <name>', 'colormap for the channels', 'gray'),
  ).action(async (modelPath: string, imagePath: string, flags: ActivationsFlags) => {
    if (flags.out) {
      await checkOutputFile(flags.out);
      await checkNoClobber([flags.out], flags.force === true);
    }
    const model = await openModel(modelPath, flags);
    try {
      // Models of another input kind (a sequence) draw their activations their own way.
      const byKind = inputCommand(model, 'activations');
      if (byKind) {
        await byKind.run(model, [imagePath], { ...flags }, { modelPath, globals: globals() });
        return;
      }
      const spec = requireInputSpec(model);
      const loaded = await loadImageArgs([imagePath], spec, undefined, flags);
      const acts = await activations(model, loaded.input, { layer: flags.layer });
      const stats = channelStats(acts);
      if (flags.out) {
        const picture = activationFigure(acts, loaded.input, spec, { colormap: flags.colormap });
        await writePng(flags.out, picture);
      }
      if (globals().json) {
        printJson({
          layer: acts.layer,
          dims: acts.layerDims,
          strongestChannel: stats.strongest,
          mean: stats.mean,
          max: stats.max,
          out: flags.out,
        });
      } else {
        process.stdout.write(
          `layer ${acts.layer} [${acts.layerDims.join(', ')}]: strongest channel ${stats.strongest} (max ${stats.max[stats.strongest].toFixed(4)})` +
            (flags.out ? `; wrote ${flags.out}` : '') +
            '\n',
        );
      }
    } finally {
      await model.dispose();
    }
  });
}
