/**
 * One subcommand per heat-map explainer (`netlens gradcam`, `netlens occlusion`, ...), generated from the
 * explainer's option descriptions: PNG overlays on the original images plus `--json` numbers.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { OptionError } from '../../errors.js';
import { EXPLAINERS, type Explainer, type ExplainerOption } from '../../explainers/index.js';
import { mapOverlay, mapScale, mapsPerImage } from '../../explainers/render.js';
import { checkColormap } from '../../render/colormap.js';
import { writeNpy } from '../../util/npy.js';
import { loadImageArgs } from '../images.js';
import { addInputOptions, inputCommand, inputLoaderFor, type LoadedInputs } from '../inputs/index.js';
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
import { checkNoClobber, distinctStems, printJson, writePng } from '../output.js';
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
  if (typeof flags.region === 'string' || typeof flags.step === 'string') {
    if (!explainer.generalTargets) {
      throw new OptionError('INVALID_OPTION', `--region and --step are not available for ${explainer.id}`);
    }
    // Kept as typed: a label that reads as a number ('7' of a digit recogniser) wins over the index.
    const classes = typeof flags.target === 'string' ? split(flags.target) : [];
    if (classes.length > 1) {
      throw new OptionError('INVALID_OPTION', '--target takes one class with --region or --step');
    }
    const cls = classes[0];
    if (typeof flags.step === 'string') {
      const m = /^(\d+)(?:-(\d+))?$/.exec(flags.step.trim());
      if (!m)
        throw new OptionError(
          'INVALID_OPTION',
          `--step must be a step or a span like 3-9, got '${flags.step}'`,
        );
      const step: number | [number, number] = m[2] ? [Number(m[1]), Number(m[2])] : Number(m[1]);
      return { kind: 'step', step, ...(cls !== undefined ? { class: cls } : {}) };
    }
    const region = String(flags.region).trim();
    const base = { kind: 'region', ...(cls !== undefined ? { class: cls } : {}) };
    if (region === 'predicted') return base;
    if (region.startsWith('box:')) return { ...base, box: parseNumberList(region.slice(4), '--region box') };
    throw new OptionError('INVALID_OPTION', `--region must be predicted or box:x0,y0,x1,y1, got '${region}'`);
  }
  if (typeof flags.target !== 'string') return undefined;
  const parts = split(flags.target).map(asClass);
  if (parts.length === 0) throw new OptionError('INVALID_OPTION', '--target is empty');
  return parts.length === 1 ? parts[0] : parts;
}

/** One file per map: `out` itself for a single map, else `<out>/<input stem>-<method>[-k].png`. */
function mapFiles(
  out: string,
  inputs: readonly string[],
  method: string,
  k: number,
  count: number,
): string[] {
  if (count === 1) return [out];
  if (out.toLowerCase().endsWith('.png')) {
    throw new OptionError('INVALID_OPTION', `${count} maps to write: give --out a folder, not ${out}`);
  }
  const stems = distinctStems(inputs);
  return Array.from({ length: count }, (_, m) =>
    path.join(out, `${stems[Math.floor(m / k)]}-${method}${k > 1 ? `-${m % k}` : ''}.png`),
  );
}

function registerExplainer(program: Command, globals: () => GlobalFlags, explainer: Explainer): void {
  const cmd = program
    .command(explainer.id)
    .description(`${explainer.title}: ${explainer.description}`)
    .argument('<model>', 'ONNX model (or TF.js model.json)')
    .argument(
      '<images...>',
      'image files or folders (sequence models: .csv, .npy or .json files; table models: one CSV)',
    )
    .option('--out <file.png|dir>', 'where to write the overlay(s): a .png for one map, else a folder')
    .option('--force', 'overwrite output files that exist')
    .option('--save-maps <file.npy>', 'also write the maps as one float32 .npy array [maps, H, W] for NumPy')
    .option('--json-maps', 'with --json: include the map values themselves')
    .option(
      '--target <class>',
      'class index or name to explain (default: the predicted class); a,b,c = one per image',
    )
    .option('--colormap <name>', 'colormap (default jet, or bwr for signed maps)')
    .option('--alpha <a>', 'heat-map opacity 0..1 (default 0.5; 0.8 faded by magnitude for signed maps)')
    .option(
      '--clip-percent <p>',
      "percent of each map's largest magnitudes shown saturated (default 1 for pixel-level gradients, else 0)",
    );
  if (explainer.generalTargets) {
    cmd
      .option('--classes <a,b>', 'several classes per image: one map each')
      .option(
        '--region-class <class>',
        'segmentation: explain the sum of this class over the pixels predicted as it',
      )
      .option(
        '--region <predicted|box:x0,y0,x1,y1>',
        'dense map: explain the class (--target; one-channel maps: the foreground) summed over its predicted pixels or a box',
      )
      .option(
        '--step <t|t0-t1>',
        'sequence output: explain a time step or span (class: --target, else the predicted one)',
      );
  }
  if (explainer.seeded) cmd.option('--seed <n>', 'random seed', '0');
  for (const option of explainer.options) {
    const value = option.kind === 'flag' ? option.flag : `${option.flag} <value>`;
    cmd.option(value, option.description);
  }
  addInputOptions(cmd, explainer.id);
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
    const clipPercent =
      typeof flags.clipPercent === 'string' ? parseNumber(flags.clipPercent, '--clip-percent') : undefined;
    if (clipPercent !== undefined && !(clipPercent >= 0 && clipPercent < 100)) {
      throw new OptionError('INVALID_OPTION', `--clip-percent must be in [0, 100), got ${clipPercent}`);
    }
    if (alpha !== undefined && !(alpha >= 0 && alpha <= 1)) {
      throw new OptionError('INVALID_OPTION', `--alpha must be between 0 and 1, got ${alpha}`);
    }
    const out = typeof flags.out === 'string' ? flags.out : undefined;

    const model = await openModel(modelPath, flags);
    try {
      const mbs = miniBatchSize(flags);
      const methodOptions = { ...options, ...(mbs ? { miniBatchSize: mbs } : {}) };
      // Models of another input kind (a table, a sequence) run the command their own way.
      const byKind = inputCommand(model, explainer.id);
      if (byKind) {
        const context = { modelPath, globals: globals(), explainer, options: methodOptions };
        return await byKind.run(model, imageArgs, flags, context);
      }
      const custom = inputLoaderFor(model);
      const loaded: LoadedInputs = custom
        ? await custom(imageArgs, model, flags)
        : await loadImageArgs(imageArgs, requireInputSpec(model), undefined, flags);
      const progress = createProgress(explainer.id, !globals().json && globals().progress !== false);
      const run = await explainer.run(model, loaded.input, {
        ...methodOptions,
        onProgress: progress.onProgress,
      });
      progress.stop();
      const k = mapsPerImage(run, loaded.images.length);
      const count = run.maps.dims[0];
      const files = out ? mapFiles(out, loaded.paths, explainer.id, k, count) : [];
      const npy = typeof flags.saveMaps === 'string' ? flags.saveMaps : undefined;
      // Every picture and extra file is made before the first is written: a failure leaves no partial set.
      const pictures = files.map((_, m) => {
        const overlay = mapOverlay(explainer, run, m, loaded.images[Math.floor(m / k)], {
          colormap,
          alpha,
          clipPercent,
        });
        const request = { explainer, run, m, item: Math.floor(m / k), overlay, options };
        return loaded.picture ? loaded.picture(request) : overlay;
      });
      const extras = files.map((file, m) =>
        // Beside each picture, also a single out.png (→ out-important.wav).
        loaded.extraFiles && file.endsWith('.png')
          ? loaded
              .extraFiles({ explainer, run, m, item: Math.floor(m / k), options })
              .map((extra) => ({ file: file.replace(/\.png$/, extra.suffix), bytes: extra.bytes }))
          : [],
      );
      await checkNoClobber(
        [...files, ...extras.flat().map((e) => e.file), ...(npy ? [npy] : [])],
        flags.force === true,
      );
      for (const [m, file] of [...files.entries()]) {
        await mkdir(path.dirname(file), { recursive: true });
        await writePng(file, pictures[m]);
        for (const extra of extras[m]) {
          await writeFileAtomic(extra.file, extra.bytes);
          files.push(extra.file);
        }
      }
      if (npy) {
        await writeFileAtomic(npy, writeNpy(run.maps));
        files.push(npy);
      }
      const scales = Array.from({ length: count }, (_, m) => mapScale(explainer, run, m, { clipPercent }));
      if (globals().json) {
        printJson({
          method: explainer.id,
          images: loaded.paths,
          classes: run.classes,
          descriptions: run.descriptions,
          mapDims: run.maps.dims,
          ...(flags.jsonMaps === true ? { maps: run.maps.data } : {}),
          files,
          // The colour range of each picture (after clipping) and the share of the map beyond it.
          scales: scales.map((sc) => ({
            low: sc.range.low,
            high: sc.range.high,
            clipPercent: sc.range.clipped ? sc.clipPercent : 0,
            saturated: sc.range.saturated,
          })),
          ...run.numbers,
        });
      } else {
        for (let m = 0; m < count; m++) {
          process.stdout.write(
            `${path.basename(loaded.paths[Math.floor(m / k)])}: ${explainer.title}, ${run.descriptions[m]}; ${scales[m].text}\n`,
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
