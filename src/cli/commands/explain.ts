/**
 * One subcommand per heat-map explainer (`netlens gradcam`, `netlens occlusion`, ...), generated from the
 * explainer's option descriptions: PNG overlays on the original images plus `--json` numbers.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { OptionError } from '../../errors.js';
import { EXPLAINERS, type Explainer, type ExplainerOption } from '../../explainers/index.js';
import { mapOverlay, mapsPerImage } from '../../explainers/render.js';
import { checkColormap } from '../../render/colormap.js';
import { loadImageArgs } from '../images.js';
import { pictureLoaderFor, type LoadedInputs } from '../inputs/picture-kinds.js';
import {
  miniBatchSize,
  openModel,
  parseChoice,
  parseNumber,
  parseNumberList,
  parsePositiveInt,
  parseSize,
  requireInputSpec,
  withModelFlags,
  type GlobalFlags,
  type ModelFlags,
} from '../options.js';
import { writeFileAtomic } from '../../render/png.js';
import { printJson, writePng } from '../output.js';
import { createProgress } from '../progress.js';

type Flags = ModelFlags & Record<string, string | boolean | undefined>;

/** commander's camelCase attribute name for a flag like '--mask-size'. */
function attributeOf(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function parseOption(option: ExplainerOption, raw: string | boolean): unknown {
  if (option.kind === 'flag') return raw === true;
  const value = String(raw);
  if (option.allowAuto && value.toLowerCase() === 'auto') return 'auto';
  switch (option.kind) {
    case 'int':
      return parsePositiveInt(value, option.flag);
    case 'number':
      return parseNumber(value, option.flag);
    case 'numbers': {
      const list = parseNumberList(value, option.flag);
      return list.length === 1 ? list[0] : list;
    }
    case 'size':
      return parseSize(value, option.flag);
    case 'choice':
      return parseChoice(value, option.flag, option.choices ?? []);
    case 'string':
      return value;
  }
}

/** '--target 3', '--target Coat', '--target cat,dog' (one per image); '--classes a,b' (several per image). */
export function parseTarget(flags: Flags, explainer: Explainer): unknown {
  const split = (v: string) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  const asClass = (s: string) => (/^\d+$/.test(s) ? Number(s) : s);
  if (typeof flags.classes === 'string') {
    if (!explainer.generalTargets) {
      throw new OptionError('INVALID_OPTION', `--classes is not available for ${explainer.id}; use --target`);
    }
    return { kind: 'classes', classes: split(flags.classes).map(asClass) };
  }
  if (typeof flags.regionClass === 'string') {
    if (!explainer.generalTargets) {
      throw new OptionError('INVALID_OPTION', `--region-class is not available for ${explainer.id}`);
    }
    return { kind: 'region', class: asClass(flags.regionClass) };
  }
  if (typeof flags.target !== 'string') return undefined;
  const parts = split(flags.target).map(asClass);
  if (parts.length === 0) throw new OptionError('INVALID_OPTION', '--target is empty');
  return parts.length === 1 ? parts[0] : parts;
}

function registerExplainer(program: Command, globals: () => GlobalFlags, explainer: Explainer): void {
  const cmd = program
    .command(explainer.id)
    .description(`${explainer.title}: ${explainer.description}`)
    .argument('<model>', 'ONNX model (or TF.js model.json)')
    .argument('<images...>', 'image files or folders')
    .option('--out <file.png|dir>', 'where to write the overlay(s): a .png for one map, else a folder')
    .option(
      '--target <class>',
      'class index or name to explain (default: the predicted class); a,b,c = one per image',
    )
    .option('--colormap <name>', 'colormap (default jet, or bwr for signed maps)')
    .option('--alpha <a>', 'heat-map opacity 0..1 (default 0.5; 0.8 faded by magnitude for signed maps)');
  if (explainer.generalTargets) {
    cmd
      .option('--classes <a,b>', 'several classes per image: one map each')
      .option(
        '--region-class <class>',
        'segmentation: explain the sum of this class over the pixels predicted as it',
      );
  }
  if (explainer.seeded) cmd.option('--seed <n>', 'random seed', '0');
  for (const option of explainer.options) {
    const value = option.kind === 'flag' ? option.flag : `${option.flag} <value>`;
    cmd.option(value, option.description);
  }
  withModelFlags(cmd).action(async (modelPath: string, imageArgs: string[], flags: Flags) => {
    const options: Record<string, unknown> = {};
    for (const option of explainer.options) {
      const raw = flags[attributeOf(option.flag)];
      if (raw !== undefined) options[option.key] = parseOption(option, raw);
    }
    if (explainer.seeded) {
      const seed = Number(flags.seed);
      if (!Number.isInteger(seed))
        throw new OptionError('INVALID_OPTION', `--seed must be an integer, got '${String(flags.seed)}'`);
      options.seed = seed;
    }
    const target = parseTarget(flags, explainer);
    if (target !== undefined) options.target = target;
    const colormap = typeof flags.colormap === 'string' ? checkColormap(flags.colormap) : undefined;
    const alpha = typeof flags.alpha === 'string' ? parseNumber(flags.alpha, '--alpha') : undefined;
    if (alpha !== undefined && !(alpha >= 0 && alpha <= 1)) {
      throw new OptionError('INVALID_OPTION', `--alpha must be between 0 and 1, got ${alpha}`);
    }
    const out = typeof flags.out === 'string' ? flags.out : undefined;

    const model = await openModel(modelPath, flags);
    try {
      const custom = pictureLoaderFor(model);
      const loaded: LoadedInputs = custom
        ? await custom(imageArgs, model, flags)
        : await loadImageArgs(imageArgs, requireInputSpec(model), undefined, flags);
      const progress = createProgress(explainer.id, !globals().json && globals().progress !== false);
      const mbs = miniBatchSize(flags);
      const run = await explainer.run(model, loaded.input, {
        ...options,
        ...(mbs ? { miniBatchSize: mbs } : {}),
        onProgress: progress.onProgress,
      });
      progress.stop();
      const k = mapsPerImage(run, loaded.images.length);
      const count = run.maps.dims[0];
      const files: string[] = [];
      if (out) {
        const single = count === 1;
        if (!single && out.toLowerCase().endsWith('.png')) {
          throw new OptionError('INVALID_OPTION', `${count} maps to write: give --out a folder, not ${out}`);
        }
        if (!single) await mkdir(out, { recursive: true });
        const pictures = Array.from({ length: count }, (_, m) => {
          const overlay = mapOverlay(explainer, run, m, loaded.images[Math.floor(m / k)], {
            colormap,
            alpha,
          });
          const request = { explainer, run, m, item: Math.floor(m / k), overlay, options };
          return loaded.picture ? loaded.picture(request) : overlay;
        });
        // Every output is computed before the first file is written.
        const extras = Array.from({ length: count }, (_, m) =>
          loaded.extraFiles ? loaded.extraFiles({ explainer, run, m, item: Math.floor(m / k), options }) : [],
        );
        for (const [m, picture] of pictures.entries()) {
          const base = path.basename(loaded.paths[Math.floor(m / k)]).replace(/\.[^.]+$/, '');
          const stem = `${base}-${explainer.id}${k > 1 ? `-${m % k}` : ''}`;
          const file = single ? out : path.join(out, `${stem}.png`);
          await writePng(file, picture);
          files.push(file);
          for (const extra of extras[m]) {
            // Beside a single picture: out.png → out-important.wav.
            const extraFile = single
              ? `${out.replace(/\.png$/i, '')}${extra.suffix}`
              : path.join(out, `${stem}${extra.suffix}`);
            await writeFileAtomic(extraFile, extra.bytes);
            files.push(extraFile);
          }
        }
      }
      if (globals().json) {
        printJson({
          method: explainer.id,
          images: loaded.paths,
          classes: run.classes,
          descriptions: run.descriptions,
          mapDims: run.maps.dims,
          files,
          ...run.numbers,
        });
      } else {
        for (let m = 0; m < count; m++) {
          process.stdout.write(
            `${path.basename(loaded.paths[Math.floor(m / k)])}: ${explainer.title}, ${run.descriptions[m]}\n`,
          );
        }
        if (explainer.summarize) process.stdout.write(`${explainer.summarize(run)}\n`);
        if (files.length)
          process.stdout.write(
            `wrote ${files.length === 1 ? files[0] : `${files.length} files to ${out}`}\n`,
          );
      }
    } finally {
      await model.dispose();
    }
  });
}

export function register(program: Command, globals: () => GlobalFlags): void {
  for (const explainer of EXPLAINERS) registerExplainer(program, globals, explainer);
}
