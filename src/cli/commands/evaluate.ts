/**
 * `netlens evaluate <model> [images...] --methods gradcam,saliency,...`: how far to trust each map method on
 * these images — faithfulness, robustness, sanity, localisation (with `--samples <fixture>`, whose images
 * carry boxes and masks) and complexity, as one HTML page (`--out`) and/or numbers (`--json`).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { closestNames, OptionError } from '../../errors.js';
import { imagePixels, loadImageSamples } from '../../data/samples.js';
import { checkMetricIds, evaluateExplainers, type Evaluation } from '../../eval/evaluate.js';
import type { GroundTruth } from '../../eval/localisation.js';
import { METRIC_IDS } from '../../eval/metrics.js';
import { REPLACEMENTS } from '../../eval/replacement.js';
import { EXPLAINERS, type Explainer } from '../../explainers/index.js';
import { prepareImages } from '../../image/normalize.js';
import { OnnxModel } from '../../model.js';
import { nodeRuntime } from '../../node/load.js';
import type { ModelProto } from '../../onnx/proto.js';
import { writeFileAtomic } from '../../render/png.js';
import { evaluationPage, evaluationText } from '../../report/evaluation-page.js';
import type { TensorData } from '../../types.js';
import { loadImageArgs } from '../images.js';
import {
  miniBatchSize,
  openModel,
  parseChoice,
  parsePositiveInt,
  requireInputSpec,
  withModelFlags,
  type GlobalFlags,
  type ModelFlags,
} from '../options.js';
import { checkOutputFile, printJson } from '../output.js';
import { createProgress } from '../progress.js';

interface EvaluateFlags extends ModelFlags {
  methods: string;
  metrics?: string;
  samples?: string;
  limit?: string;
  out?: string;
  seed: string;
  steps?: string;
  replacement?: string;
  numSamples?: string;
  maxLayers?: string;
}

export function resolveMethods(list: string): Explainer[] {
  const ids = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (ids.length === 0) throw new OptionError('INVALID_OPTION', '--methods is empty');
  const known = EXPLAINERS.map((e) => e.id);
  return ids.map((id) => {
    const found = EXPLAINERS.find((e) => e.id === id.toLowerCase());
    if (found) return found;
    throw new OptionError(
      'INVALID_OPTION',
      `unknown method "${id}": did you mean ${closestNames(id, known)
        .map((n) => `"${n}"`)
        .join(', ')}?`,
    );
  });
}

/** Images and ground truth of a bundled sample set, at the model's input size. */
function sampleImages(
  name: string,
  model: OnnxModel,
  limit: number | undefined,
): { input: TensorData; names: string[]; truth?: GroundTruth } {
  const spec = requireInputSpec(model);
  const set = loadImageSamples(name);
  const count = Math.min(set.count, limit ?? set.count);
  if (set.channels !== 1 && set.channels !== 3) {
    throw new OptionError('INVALID_OPTION', `sample set '${name}' has ${set.channels}-channel images`);
  }
  const images = Array.from({ length: count }, (_, i) => ({
    data: imagePixels(set, i),
    width: set.width,
    height: set.height,
    channels: set.channels as 1 | 3,
  }));
  const names = Array.from({ length: count }, (_, i) => `${name} #${i}`);
  let truth: GroundTruth | undefined;
  if (set.boxes) {
    truth = { boxes: set.boxes.slice(0, count), frame: { width: set.width, height: set.height } };
    // Masks are used as they are when they match the map size; boxes scale to any size.
    if (set.masks && set.width === spec.width && set.height === spec.height) {
      truth.masks = set.masks.subarray(0, count * set.width * set.height).map((v) => (v ? 1 : 0));
    }
  }
  return { input: prepareImages(images, spec), names, ...(truth ? { truth } : {}) };
}

function jsonOf(evaluation: Evaluation, images: string[], file: string | undefined) {
  return {
    images,
    classes: evaluation.classes,
    metrics: evaluation.metrics,
    columns: evaluation.columns,
    methods: evaluation.methods.map((m) => ({
      method: m.method,
      summary: m.summary,
      values: m.values,
      curves: m.curves,
    })),
    ranking: evaluation.ranking,
    skipped: evaluation.skipped,
    ...(file ? { file } : {}),
  };
}

export function register(program: Command, globals: () => GlobalFlags): void {
  withModelFlags(
    program
      .command('evaluate')
      .description(
        'score map methods: deletion/insertion, ROAD, infidelity, sensitivity, sanity checks, localisation',
      )
      .argument('<model>', 'ONNX model (or TF.js model.json)')
      .argument('[images...]', 'image files or folders (or --samples)')
      .requiredOption(
        '--methods <ids>',
        `comma-separated map methods (${EXPLAINERS.map((e) => e.id).join(', ')})`,
      )
      .option(
        '--metrics <ids>',
        `comma-separated metrics (default: all that apply): ${METRIC_IDS.join(', ')}`,
      )
      .option('--samples <fixture>', 'a bundled sample set with ground-truth boxes/masks (e.g. shapes-cnn)')
      .option('--limit <n>', 'use at most n images')
      .option('--out <file.html>', 'write the evaluation page here')
      .option('--seed <n>', 'random seed', '0')
      .option('--steps <n>', 'points of the deletion / insertion curves (default 32)')
      .option('--replacement <kind>', `what deleted pixels become: ${REPLACEMENTS.join(', ')} (default blur)`)
      .option(
        '--num-samples <n>',
        'samples per image for faithfulness correlation, infidelity, sensitivity (default 16)',
      )
      .option('--max-layers <n>', 'randomise at most this many learned layers from the top (default all)'),
  ).action(async (modelPath: string, imageArgs: string[], flags: EvaluateFlags) => {
    const explainers = resolveMethods(flags.methods);
    const metrics = flags.metrics
      ? checkMetricIds(
          flags.metrics
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s.length > 0),
        )
      : undefined;
    const seed = Number(flags.seed);
    if (!Number.isInteger(seed))
      throw new OptionError('INVALID_OPTION', `--seed must be an integer, got '${flags.seed}'`);
    const limit = flags.limit ? parsePositiveInt(flags.limit, '--limit') : undefined;
    const steps = flags.steps ? parsePositiveInt(flags.steps, '--steps') : undefined;
    const numSamples = flags.numSamples ? parsePositiveInt(flags.numSamples, '--num-samples') : undefined;
    const maxLayers = flags.maxLayers ? parsePositiveInt(flags.maxLayers, '--max-layers') : undefined;
    const replacement = flags.replacement
      ? parseChoice(flags.replacement, '--replacement', REPLACEMENTS)
      : undefined;
    if (flags.samples !== undefined && imageArgs.length > 0) {
      throw new OptionError('INVALID_OPTION', 'give image files/folders or --samples, not both');
    }
    if (flags.samples === undefined && imageArgs.length === 0) {
      throw new OptionError(
        'INVALID_INPUT',
        'no images to evaluate: give image files or folders, or --samples <fixture>',
      );
    }
    if (flags.out !== undefined && !flags.out.toLowerCase().endsWith('.html')) {
      throw new OptionError('INVALID_OPTION', `--out must name an .html file, got '${flags.out}'`);
    }
    if (flags.out) await checkOutputFile(flags.out);
    const model = await openModel(modelPath, flags);
    try {
      const spec = requireInputSpec(model);
      let input: TensorData;
      let names: string[];
      let truth: GroundTruth | undefined;
      if (flags.samples !== undefined) {
        ({ input, names, truth } = sampleImages(flags.samples, model, limit));
      } else {
        const loaded = await loadImageArgs(imageArgs, spec, limit, flags);
        input = loaded.input;
        names = loaded.paths;
      }
      const mbs = miniBatchSize(flags);
      const open = (proto: ModelProto) =>
        OnnxModel.create(proto, nodeRuntime, {
          labels: model.labels,
          inputSpec: spec,
          ...(mbs ? { miniBatchSize: mbs } : {}),
          source: `${path.basename(modelPath)} (randomised)`,
        });
      const progress = createProgress('evaluate', !globals().json && globals().progress !== false);
      const evaluation = await evaluateExplainers(model, input, explainers, {
        ...(metrics ? { metrics } : {}),
        ...(truth ? { groundTruth: truth } : {}),
        randomization: { proto: model.proto, open },
        methodOptions: Object.fromEntries(explainers.map((e) => [e.id, e.reportOptions ?? {}])),
        seed,
        steps,
        replacement,
        numSamples,
        maxLayers,
        miniBatchSize: mbs,
        onProgress: progress.onProgress,
      });
      progress.stop();
      if (flags.out) {
        await writeFileAtomic(
          flags.out,
          await evaluationPage(evaluation, path.basename(modelPath), names.length),
        );
      }
      if (globals().json) printJson(jsonOf(evaluation, names, flags.out));
      else {
        process.stdout.write(`${evaluationText(evaluation)}\n`);
        for (const s of evaluation.skipped) process.stdout.write(`not measured: ${s.reason}\n`);
        if (flags.out) process.stdout.write(`wrote ${flags.out}\n`);
      }
    } finally {
      await model.dispose();
    }
  });
}
