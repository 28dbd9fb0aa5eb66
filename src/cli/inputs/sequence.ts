/**
 * Sequence inputs at the command line: CSV / .npy / JSON files and folders (src/data/sequence-files.ts),
 * explained over time and drawn as the input channels above a time × channel (or time) heat map.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { OptionError } from '../../errors.js';
import { loadSequenceArgs, type SequenceFile } from '../../data/sequence-files.js';
import { sequenceActivations } from '../../methods/sequence/activations.js';
import { explainSequences, groupByLength, stackSequences } from '../../methods/sequence/explain.js';
import { formatSummary, summarizePrediction, type PredictionSummary } from '../../methods/classify.js';
import { attributionRows, sequenceFigureSpec, type HeatRows } from '../../methods/sequence/figure.js';
import { SequenceView, sequenceInput } from '../../methods/sequence/view.js';
import { renderPlotPng, renderSvg } from '../../render/plot.js';
import { writeFileAtomic } from '../../render/png.js';
import type { OnnxModel } from '../../model.js';
import { printJson } from '../output.js';
import { parsePositiveInt } from '../options.js';
import { loadSequenceSamples } from '../../data/samples.js';
import { buildSequenceReport, SEQUENCE_SECTIONS } from '../../report/sequence-report.js';
import { createProgress } from '../progress.js';
import { EXPLAINERS, type Explainer } from '../../explainers/index.js';
import type { CliFlags, InputCommand, InputCommandContext, InputKind } from './index.js';

interface ExplainCall {
  model: OnnxModel;
  explainer: Explainer;
  /** File / folder arguments. */
  args: string[];
  /** Parsed method options (target included). */
  options: Record<string, unknown>;
  out?: string;
  json: boolean;
}

interface ActivationsCall {
  model: OnnxModel;
  args: string[];
  layer?: string;
  out?: string;
  json: boolean;
}

interface ReportCall {
  model: OnnxModel;
  modelName: string;
  args: string[];
  out: string;
  limit?: number;
  /** Report sections to run (ids), default all. */
  only?: string[];
  seed: number;
  /** A bundled sample set or a folder for the data set sections. */
  samples?: string;
  dataset?: string;
  datasetLimit?: number;
  json: boolean;
  progress: boolean;
}

export async function loadSequences(model: OnnxModel, args: readonly string[]): Promise<SequenceFile[]> {
  const { channels } = sequenceInput(model);
  return (await loadSequenceArgs(args, { channels })).sequences;
}

/** A figure as .svg or .png, by the file's extension. */
async function writeFigure(file: string, spec: Parameters<typeof renderSvg>[0]): Promise<void> {
  if (file.toLowerCase().endsWith('.svg')) await writeFileAtomic(file, await renderSvg(spec));
  else await writeFileAtomic(file, await renderPlotPng(spec));
}

/** Output files: `out` itself for one figure, else `<out>/<name>-<suffix>.png`. */
async function figureFiles(out: string, names: readonly string[], suffix: string): Promise<string[]> {
  if (names.length === 1 && /\.(png|svg)$/i.test(out)) return [out];
  if (/\.(png|svg)$/i.test(out)) {
    throw new OptionError(
      'INVALID_OPTION',
      `${names.length} figures to write: give --out a folder, not ${out}`,
    );
  }
  await mkdir(out, { recursive: true });
  return names.map((n) =>
    path.join(
      out,
      `${path
        .basename(n)
        .replace(/\.[^.]+$/, '')
        .replace(/[[\]]/g, '_')}-${suffix}.png`,
    ),
  );
}

async function explain(call: ExplainCall): Promise<void> {
  const { model, explainer } = call;
  const sequences = await loadSequences(model, call.args);
  const results = await explainSequences(model, explainer, sequences, call.options);
  const files: string[] = [];
  if (call.out) {
    // Every figure is rendered before any file is written, so a failure leaves no partial output.
    const specs = results.map((r, i) => {
      const s = sequences[i];
      const rows = attributionRows(r.map, s, explainer.signed, explainer.title);
      return sequenceFigureSpec(
        s,
        rows,
        `${path.basename(s.name)}: ${explainer.title}, ${r.descriptions[0] ?? ''}`,
      );
    });
    const targets = await figureFiles(
      call.out,
      sequences.map((s) => s.name),
      explainer.id,
    );
    const rendered = await Promise.all(
      specs.map(async (spec, i) => (targets[i].endsWith('.svg') ? renderSvg(spec) : renderPlotPng(spec))),
    );
    for (const [i, bytes] of rendered.entries()) {
      await writeFileAtomic(targets[i], bytes);
      files.push(targets[i]);
    }
  }
  if (call.json) {
    printJson({
      method: explainer.id,
      sequences: sequences.map((s, i) => ({
        name: s.name,
        length: s.length,
        class: results[i].classes[0],
        description: results[i].descriptions[0],
        mapDims: results[i].map.dims,
        map: results[i].map.data,
        ...results[i].numbers,
      })),
      files,
    });
    return;
  }
  results.forEach((r, i) => {
    process.stdout.write(
      `${path.basename(sequences[i].name)}: ${explainer.title}, ${r.descriptions.join('; ')}\n`,
    );
  });
  if (files.length) {
    process.stdout.write(`wrote ${files.length === 1 ? files[0] : `${files.length} files to ${call.out}`}\n`);
  }
}

async function activations(call: ActivationsCall): Promise<void> {
  const { model } = call;
  if (call.args.length !== 1) throw new OptionError('INVALID_OPTION', 'give one sequence file');
  const sequences = await loadSequences(model, call.args);
  if (sequences.length !== 1) {
    throw new OptionError('INVALID_OPTION', `${call.args[0]} holds ${sequences.length} sequences; give one`);
  }
  const layer = call.layer ?? (await defaultTimeLayer(model));
  const sequence = sequences[0];
  const acts = await sequenceActivations(model, sequence, layer);
  const top = acts.strongest.slice(0, 5);
  if (call.out) {
    const heat: HeatRows = {
      data: acts.matrix,
      rows: acts.units,
      rowNames: Array.from({ length: acts.units }, (_, u) => `unit ${u}`),
      rowTitle: 'unit',
      signed: true,
      legend: 'activation',
    };
    const title = `${path.basename(sequence.name)}: ${layer}, strongest units ${top.join(', ')}`;
    await writeFigure(call.out, sequenceFigureSpec(sequence, heat, title));
  }
  if (call.json) {
    printJson({
      layer,
      dims: acts.layerDims,
      units: acts.units,
      steps: acts.steps,
      strongestUnits: acts.strongest.slice(0, 10),
      matrix: Array.from({ length: acts.units }, (_, u) =>
        acts.matrix.subarray(u * acts.steps, (u + 1) * acts.steps),
      ),
      out: call.out,
    });
    return;
  }
  process.stdout.write(
    `layer ${layer} [${acts.layerDims.join(', ')}]: ${acts.units} units x ${acts.steps} steps; strongest units ${top.join(', ')}` +
      (call.out ? `; wrote ${call.out}` : '') +
      '\n',
  );
}

/** The last recurrent (or 1-D convolution) layer: the default layer to show over time. */
async function defaultTimeLayer(model: OnnxModel): Promise<string> {
  const layers = await model.layers();
  const recurrent = layers.filter(
    (l) => ['LSTM', 'GRU', 'RNN', 'Conv'].includes(l.opType) && l.shape.length >= 3,
  );
  const chosen =
    recurrent.find((l) => l.shape.length === 4 && l.opType !== 'Conv') ?? recurrent[recurrent.length - 1];
  if (!chosen)
    throw new OptionError('INVALID_OPTION', 'the model has no recurrent or convolution layer: give --layer');
  return chosen.name;
}

/** Label strings of a labels file as class indices (names or numbers). */
function classIndices(model: OnnxModel, labels: readonly string[]): Int32Array {
  return Int32Array.from(labels, (label) => {
    const byName = model.labels?.indexOf(label) ?? -1;
    const index = byName >= 0 ? byName : /^\d+$/.test(label) ? Number(label) : -1;
    if (index < 0 || (model.labels && index >= model.labels.length)) {
      throw new OptionError('INVALID_INPUT', `label '${label}' is not a class of the model`);
    }
    return index;
  });
}

/** Scores of every sequence, run in one batch per length (no padding). */
async function predict(call: {
  model: OnnxModel;
  args: string[];
  top: number;
  json: boolean;
}): Promise<void> {
  const { model } = call;
  const sequences = await loadSequences(model, call.args);
  const { layout, channels } = sequenceInput(model);
  const summaries = new Array<PredictionSummary>(sequences.length);
  for (const indices of groupByLength(sequences)) {
    const view = new SequenceView(model, 'grid', sequences[indices[0]].length, channels, layout);
    const prediction = await view.predict(stackSequences(sequences, indices, channels));
    const perItem = summarizePrediction(prediction, model.mainOutput, model.labels, call.top);
    indices.forEach((i, k) => (summaries[i] = perItem[k]));
  }
  if (call.json) {
    printJson(
      sequences.map((s, i) => {
        const summary = summaries[i];
        return summary.kind === 'class-scores'
          ? { file: s.name, steps: s.length, top: summary.top }
          : { file: s.name, steps: s.length, ...summary };
      }),
    );
    return;
  }
  for (const [i, s] of sequences.entries()) {
    process.stdout.write(`${path.basename(s.name)} (${s.length} steps): ${formatSummary(summaries[i])}\n`);
  }
}

async function report(call: ReportCall): Promise<void> {
  const { model } = call;
  for (const id of call.only ?? []) {
    if (!SEQUENCE_SECTIONS.includes(id)) {
      throw new OptionError(
        'INVALID_OPTION',
        `unknown report section '${id}': expected ${SEQUENCE_SECTIONS.join(', ')}`,
      );
    }
  }
  if (call.samples !== undefined && call.dataset !== undefined) {
    throw new OptionError('INVALID_OPTION', 'give --samples or --dataset, not both');
  }
  const loaded = await loadSequences(model, call.args);
  const sequences = (call.limit ? loaded.slice(0, call.limit) : loaded).map((s) => ({
    ...s,
    name: path.basename(s.name),
  }));
  let dataset: { sequences: Float32Array[]; labels?: Int32Array; names?: string[] } | undefined;
  if (call.samples !== undefined) {
    const set = loadSequenceSamples(call.samples);
    const n = Math.min(set.count, call.datasetLimit ?? set.count);
    dataset = { sequences: set.sequences.slice(0, n), labels: set.labels.slice(0, n) };
  } else if (call.dataset !== undefined) {
    const { channels } = sequenceInput(model);
    const set = await loadSequenceArgs([call.dataset], { channels, limit: call.datasetLimit });
    dataset = {
      sequences: set.sequences.map((s) => s.values),
      names: set.sequences.map((s) => path.basename(s.name)),
      ...(set.labels ? { labels: classIndices(model, set.labels) } : {}),
    };
  }
  const progress = createProgress('report', call.progress);
  const built = await buildSequenceReport({
    model,
    modelName: call.modelName,
    sequences,
    ...(dataset ? { dataset } : {}),
    seed: call.seed,
    ...(call.only ? { only: call.only } : {}),
    onProgress: progress.onProgress,
  });
  progress.stop();
  await mkdir(call.out, { recursive: true });
  const file = path.join(call.out, 'index.html');
  await writeFileAtomic(file, built.html);
  if (call.json) printJson({ file, sections: built.rendered, skipped: built.skipped });
  else {
    const skipped = built.skipped.length ? `; not shown: ${built.skipped.map((s) => s.id).join(', ')}` : '';
    process.stdout.write(`wrote ${file} (${built.rendered.length} sections${skipped})\n`);
  }
}

const text = (flags: CliFlags, key: string): string | undefined =>
  typeof flags[key] === 'string' ? (flags[key] as string) : undefined;

function explainCommand(explainer: Explainer): InputCommand {
  return {
    options: [],
    run: (model, args, flags, context: InputCommandContext) =>
      explain({
        model,
        explainer,
        args: [...args],
        options: context.options ?? {},
        out: text(flags, 'out'),
        json: context.globals.json === true,
      }),
  };
}

/** Sequences run every heat-map command and `activations` their own way: batched by length, drawn over time. */
export const SEQUENCE_INPUT: InputKind = {
  kind: 'sequence',
  commands: {
    ...Object.fromEntries(EXPLAINERS.map((e) => [e.id, explainCommand(e)])),
    report: {
      options: [],
      run: (model, args, flags, context) => {
        const count = (key: string, flag: string) =>
          text(flags, key) !== undefined ? parsePositiveInt(text(flags, key)!, flag) : undefined;
        const seed = Number(text(flags, 'seed') ?? '0');
        if (!Number.isInteger(seed)) {
          throw new OptionError('INVALID_OPTION', `--seed must be an integer, got '${text(flags, 'seed')}'`);
        }
        const only = text(flags, 'sections')
          ?.split(',')
          .map((id) => id.trim());
        return report({
          model,
          modelName: path.basename(context.modelPath),
          args: [...args],
          out: text(flags, 'out')!,
          limit: count('limit', '--limit'),
          ...(only ? { only } : {}),
          seed,
          samples: text(flags, 'samples'),
          dataset: text(flags, 'dataset'),
          datasetLimit: count('datasetLimit', '--dataset-limit'),
          json: context.globals.json === true,
          progress: !context.globals.json && context.globals.progress !== false,
        });
      },
    },
    predict: {
      summary: 'scores of each sequence (CSV, .npy or JSON files, folders)',
      options: [],
      run: (model, args, flags, context) =>
        predict({
          model,
          args: [...args],
          top: parsePositiveInt(text(flags, 'top') ?? '3', '--top'),
          json: context.globals.json === true,
        }),
    },
    activations: {
      options: [],
      run: (model, args, flags, context) =>
        activations({
          model,
          args: [...args],
          layer: text(flags, 'layer'),
          out: text(flags, 'out'),
          json: context.globals.json === true,
        }),
    },
  },
};
