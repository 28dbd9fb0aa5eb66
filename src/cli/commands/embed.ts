/**
 * `netlens embed <model> <images...|--samples NAME> --layer L --out plot.png`: a layer's activations over a
 * data set embedded with t-SNE (or UMAP / PCA) and plotted coloured by class; `--compare-raw` puts the raw
 * inputs' embedding beside it.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { OptionError } from '../../errors.js';
import {
  compareRawAndLayer,
  comparisonSpec,
  datasetEmbeddingSpec,
  embedDataset,
  type EmbeddingView,
  type EmbedOptions,
} from '../../methods/dataset/embedding.js';
import { REDUCTIONS } from '../../methods/dataset/layer-layout.js';
import { ortNeighbourSearch } from '../../node/gemm-neighbours.js';
import { ortMatrixProducts } from '../../node/gemm-products.js';
import { tsneThreads } from '../../node/tsne-threads.js';
import { DISTANCE_NAMES, type DistanceName } from '../../projection/index.js';
import { renderPlotPng, renderSvg, type TopLevelSpec } from '../../render/plot.js';
import { writeFileAtomic } from '../../render/png.js';
import { openDataset, withDatasetFlags, type DatasetFlags } from '../dataset.js';
import {
  miniBatchSize,
  openModel,
  parseChoice,
  parseNumber,
  parsePositiveInt,
  withModelFlags,
  type GlobalFlags,
  type ModelFlags,
} from '../options.js';
import { checkOutputFile, printJson } from '../output.js';
import { createProgress } from '../progress.js';

interface EmbedFlags extends ModelFlags, DatasetFlags {
  layer?: string;
  reduction: string;
  method: string;
  compareRaw?: boolean;
  out?: string;
  perplexity?: string;
  numPcaComponents?: string;
  exaggeration?: string;
  learnRate?: string;
  theta?: string;
  maxIterations?: string;
  algorithm?: string;
  distance?: string;
  standardize?: boolean;
  seed: string;
}

const METHODS = ['tsne', 'umap', 'pca'] as const;

function projectionOptions(flags: EmbedFlags, seed: number): EmbedOptions {
  const method = parseChoice(flags.method, '--method', METHODS);
  // The neighbour search (t-SNE, UMAP), t-SNE's interpolation gradient and UMAP's epochs run on --threads worker
  // threads (default: the cores, up to 4); PCA's products on as many ONNX Runtime threads.
  const threads = flags.threads ? parsePositiveInt(flags.threads, '--threads') : undefined;
  if (method === 'pca') {
    return { method, standardize: flags.standardize, matrixProducts: ortMatrixProducts(threads) };
  }
  if (method === 'umap') {
    return {
      method,
      seed,
      executor: tsneThreads(threads),
      ...(flags.distance ? { distance: parseChoice(flags.distance, '--distance', DISTANCE_NAMES) } : {}),
    };
  }
  const pcs = flags.numPcaComponents;
  return {
    method,
    seed,
    standardize: flags.standardize,
    executor: tsneThreads(threads),
    // Exact neighbours from ONNX Runtime's matrix products: as fast as the approximate search, and complete.
    euclideanNeighbours: ortNeighbourSearch(threads),
    ...(pcs !== undefined
      ? {
          numPCAComponents:
            pcs === 'auto' ? 'auto' : pcs === '0' ? 0 : parsePositiveInt(pcs, '--num-pca-components'),
        }
      : {}),
    ...(flags.perplexity ? { perplexity: parseNumber(flags.perplexity, '--perplexity') } : {}),
    ...(flags.exaggeration ? { exaggeration: parseNumber(flags.exaggeration, '--exaggeration') } : {}),
    ...(flags.learnRate
      ? { learnRate: flags.learnRate === 'auto' ? 'auto' : parseNumber(flags.learnRate, '--learn-rate') }
      : {}),
    ...(flags.theta ? { theta: parseNumber(flags.theta, '--theta') } : {}),
    ...(flags.maxIterations
      ? { maxIterations: parsePositiveInt(flags.maxIterations, '--max-iterations') }
      : {}),
    ...(flags.algorithm
      ? { algorithm: parseChoice(flags.algorithm, '--algorithm', ['barneshut', 'exact', 'fft'] as const) }
      : {}),
    ...(flags.distance
      ? { distance: parseChoice(flags.distance, '--distance', DISTANCE_NAMES) as DistanceName }
      : {}),
  };
}

/** PNG or SVG by the file's extension; checked before any work, which can take minutes on a large data set. */
function plotFormat(file: string): 'png' | 'svg' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.svg') return 'svg';
  if (ext === '.png') return 'png';
  throw new OptionError('INVALID_OPTION', `--out must end in .png or .svg, got '${file}'`);
}

async function writePlot(file: string, spec: TopLevelSpec): Promise<void> {
  const bytes = plotFormat(file) === 'svg' ? await renderSvg(spec) : await renderPlotPng(spec);
  await writeFileAtomic(file, bytes);
}

function summary(v: EmbeddingView) {
  const kl = v.projection.kl;
  return {
    features: v.features,
    pcaComponents: v.pcaComponents,
    agreement10: v.agreement10,
    ...(kl && kl.length > 0 ? { kl: kl[kl.length - 1] } : {}),
    ...(v.projection.explainedVariance ? { explainedVariance: v.projection.explainedVariance } : {}),
    iterations: v.projection.iterations,
    seconds: v.seconds,
  };
}

export function register(program: Command, globals: () => GlobalFlags): void {
  withDatasetFlags(
    withModelFlags(
      program
        .command('embed')
        .description(
          "embed a layer's activations over a data set (t-SNE, UMAP or PCA) and plot them by class",
        )
        .argument('<model>', 'ONNX model (or TF.js model.json)')
        .argument('[images...]', 'image files or folders (or use --samples)')
        .option('--layer <name>', 'layer (tensor) name; default the last layer with spatial dims')
        .option('--reduction <r>', `one row per item: ${REDUCTIONS.join(', ')}`, 'mean')
        .option('--method <m>', `projection: ${METHODS.join(', ')}`, 'tsne')
        .option('--compare-raw', 'also embed the raw inputs and plot both side by side')
        .option('--out <file>', 'plot file, .png or .svg')
        .option('--perplexity <p>', 't-SNE perplexity (default 30, capped below a third of the items)')
        .option(
          '--num-pca-components <n>',
          "t-SNE: PCA components first; 0 = none, 'auto' (default) = 50 when that is faster",
        )
        .option('--exaggeration <f>', 't-SNE early exaggeration (default 4)')
        .option('--learn-rate <r>', "t-SNE learning rate (default 500, or 'auto')")
        .option('--theta <t>', 'Barnes-Hut accuracy/speed trade-off (default 0.5)')
        .option('--max-iterations <n>', 't-SNE iterations (default 1000)')
        .option(
          '--algorithm <a>',
          't-SNE algorithm: barneshut, exact or fft (default: fft from 30 000 points, else barneshut)',
        )
        .option('--distance <d>', 't-SNE/UMAP input distance (default euclidean)')
        .option('--standardize', 'standardise the features first')
        .option('--seed <n>', 'random seed', '0'),
    ),
  ).action(async (modelPath: string, imageArgs: string[], flags: EmbedFlags) => {
    const seed = Number(flags.seed);
    if (!Number.isInteger(seed))
      throw new OptionError('INVALID_OPTION', `--seed must be an integer, got '${flags.seed}'`);
    const reduction = parseChoice(flags.reduction, '--reduction', REDUCTIONS);
    const projection = projectionOptions(flags, seed);
    if (flags.out) {
      plotFormat(flags.out);
      await checkOutputFile(flags.out);
    }
    const model = await openModel(modelPath, flags);
    try {
      const source = await openDataset(model, imageArgs, flags);
      const progress = createProgress('embed', !globals().json && globals().progress !== false);
      const options = {
        layer: flags.layer,
        reduction,
        projection: { ...projection, onProgress: progress.onProgress },
        miniBatchSize: miniBatchSize(flags),
        onProgress: progress.onProgress,
        predictions: !source.labels,
      };
      const classNames = source.classNames ?? model.labels;
      let json: Record<string, unknown>;
      let line: string;
      if (flags.compareRaw) {
        const result = await compareRawAndLayer(model, source, options);
        progress.stop();
        if (flags.out) await writePlot(flags.out, comparisonSpec(result, { classNames }));
        json = {
          n: source.count,
          method: result.layer.projection.method,
          layer: result.layer.layer,
          reduction,
          raw: summary(result.raw),
          activations: summary(result.layer),
        };
        const agreements =
          result.raw.agreement10 !== undefined && result.layer.agreement10 !== undefined
            ? `; 10-NN class agreement raw ${result.raw.agreement10.toFixed(3)} vs layer ${result.layer.agreement10.toFixed(3)}`
            : '';
        line = `embedded ${source.count} items: raw inputs and ${result.layer.layer}${agreements}`;
      } else {
        const result = await embedDataset(model, source, options);
        progress.stop();
        if (flags.out) await writePlot(flags.out, datasetEmbeddingSpec(result, { classNames }));
        json = {
          n: source.count,
          method: result.projection.method,
          layer: result.layer,
          reduction,
          activations: summary(result),
        };
        const agreement =
          result.agreement10 !== undefined ? `; 10-NN class agreement ${result.agreement10.toFixed(3)}` : '';
        line = `embedded ${source.count} items of ${result.layer} (${reduction}, ${result.features} values)${agreement}`;
      }
      if (globals().json) printJson({ ...json, out: flags.out });
      else process.stdout.write(`${line}${flags.out ? `; wrote ${flags.out}` : ''}\n`);
    } finally {
      await model.dispose();
    }
  });
}
