/**
 * The report of a sequence model (input kind 'sequence'): predictions, a layer's activations over time for a
 * few sequences, attribution maps over time, and with a data set the t-SNE of time-averaged activations beside the
 * raw inputs and the highest / lowest scoring sequences. One self-contained HTML page like the image report.
 */
import { EXPLAINERS } from '../explainers/index.js';
import { compareRawAndLayer, comparisonSpec } from '../methods/dataset/embedding.js';
import { extremesFigure } from '../methods/dataset/extremes-figure.js';
import { classExtremes } from '../methods/dataset/extremes.js';
import { sequenceSource } from '../methods/dataset/source.js';
import { sequenceActivations } from '../methods/sequence/activations.js';
import { explainSequences } from '../methods/sequence/explain.js';
import { attributionRows, sequenceFigureSpec, type HeatRows } from '../methods/sequence/figure.js';
import { sequenceInput } from '../methods/sequence/view.js';
import { encodePng } from '../render/png.js';
import { renderPlotPng } from '../render/plot.js';
import type { LayerInfo, Model, ProgressCallback } from '../types.js';
import { escapeHtml, figure, page, table, type PageSection } from './html.js';

export interface ReportSequence {
  name: string;
  /** T × C values, time-major. */
  values: Float32Array;
  length: number;
  channels: number;
  channelNames?: string[];
}

export interface SequenceReportInput {
  model: Model;
  modelName: string;
  sequences: ReportSequence[];
  /** A labelled set for the data set sections. */
  dataset?: { sequences: Float32Array[]; labels?: Int32Array; names?: string[] };
  seed: number;
  /** Sections to run (ids), default all. */
  only?: string[];
  onProgress?: ProgressCallback;
}

/** How many sequences get figures (activations, attributions). */
const FIGURES = 3;

/** Attribution methods shown, with options that keep the report quick; CAM only for 1-D conv models. */
const METHODS: { id: string; options: Record<string, unknown> }[] = [
  { id: 'occlusion', options: { score: 'logit' } },
  { id: 'integrated-gradients', options: { numSteps: 16, tolerance: 0.01 } },
  { id: 'gradcam', options: {} },
];

export const SEQUENCE_SECTIONS = ['predictions', 'activations', 'attributions', 'embedding', 'extremes'];

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** The layer shown over time: the last recurrent output with a time axis, else the last 1-D convolution. */
export function timeLayer(layers: readonly LayerInfo[]): LayerInfo | undefined {
  const recurrent = layers.filter((l) => ['LSTM', 'GRU', 'RNN'].includes(l.opType) && l.shape.length === 4);
  if (recurrent.length) return recurrent[recurrent.length - 1];
  const conv = layers.filter((l) => l.shape.length === 3 && ['Relu', 'Conv'].includes(l.opType));
  return conv[conv.length - 1];
}

async function png(spec: Parameters<typeof renderPlotPng>[0]): Promise<Uint8Array> {
  return renderPlotPng(spec, { scale: 1.5 });
}

export async function buildSequenceReport(
  input: SequenceReportInput,
): Promise<{ html: string; rendered: string[]; skipped: { id: string; reason: string }[] }> {
  const { model } = input;
  const labels = model.labels;
  const name = (c: number) => labels?.[c] ?? String(c);
  const wanted = (id: string) => !input.only || input.only.includes(id);
  const sections: PageSection[] = [];
  const skipped: { id: string; reason: string }[] = [];
  const shown = input.sequences.slice(0, FIGURES);
  const total = SEQUENCE_SECTIONS.length;
  const progress = (done: number, stage: string) => input.onProgress?.({ done, total, stage });

  const predicted: number[] = [];
  for (const s of input.sequences) {
    const scores = (await model.predict({ data: s.values, dims: [1, s.length, s.channels] })).probabilities;
    predicted.push(argmax(scores.data));
    if (wanted('predictions') && predicted.length === 1) progress(0, 'predictions');
  }
  if (wanted('predictions')) {
    const rows = await Promise.all(
      input.sequences.map(async (s, i) => {
        const p = (await model.predict({ data: s.values, dims: [1, s.length, s.channels] })).probabilities;
        return [s.name, s.length, name(predicted[i]), p.data[predicted[i]]];
      }),
    );
    sections.push({
      id: 'predictions',
      title: 'Predictions',
      html: table(['sequence', 'steps', 'predicted', 'probability'], rows),
    });
  }

  if (wanted('activations')) {
    progress(1, 'activations over time');
    const layer = timeLayer(await model.layers());
    if (!layer) skipped.push({ id: 'activations', reason: 'no recurrent or 1-D convolution layer' });
    else {
      const figures: string[] = [];
      for (const s of shown) {
        const acts = await sequenceActivations(model, s, layer.name);
        const heat: HeatRows = {
          data: acts.matrix,
          rows: acts.units,
          rowNames: Array.from({ length: acts.units }, (_, u) => `unit ${u}`),
          rowTitle: 'unit',
          signed: true,
          legend: 'activation',
        };
        const caption = `${s.name}: strongest units ${acts.strongest.slice(0, 5).join(', ')}`;
        figures.push(
          figure(await png(sequenceFigureSpec(s, heat, `${s.name}: ${layer.name}`)), caption, 640),
        );
      }
      sections.push({
        id: 'activations',
        title: `Activations over time (${layer.name})`,
        html: `<div class="row">${figures.join('\n')}</div>`,
      });
    }
  }

  if (wanted('attributions')) {
    progress(2, 'attribution over time');
    const parts: string[] = [];
    const targets = shown.map((_, i) => predicted[i]);
    for (const method of METHODS) {
      const explainer = EXPLAINERS.find((e) => e.id === method.id)!;
      let results;
      try {
        results = await explainSequences(model, explainer, shown, { ...method.options, target: targets });
      } catch (err) {
        parts.push(
          `<p class="skip">${escapeHtml(explainer.title)}: ${escapeHtml(String((err as Error).message))}</p>`,
        );
        continue;
      }
      const figures: string[] = [];
      for (const [i, r] of results.entries()) {
        const rows = attributionRows(r.map, shown[i], explainer.signed, explainer.title);
        const spec = sequenceFigureSpec(
          shown[i],
          rows,
          `${shown[i].name}: ${explainer.title}, ${r.descriptions[0]}`,
        );
        figures.push(figure(await png(spec), `${shown[i].name}: ${r.descriptions[0]}`, 640));
      }
      parts.push(`<h3>${escapeHtml(explainer.title)}</h3><div class="row">${figures.join('\n')}</div>`);
    }
    sections.push({ id: 'attributions', title: 'Attribution over time', html: parts.join('\n') });
  }

  const dataset = input.dataset;
  const { channels } = sequenceInput(model);
  if ((wanted('embedding') || wanted('extremes')) && !dataset) {
    for (const id of ['embedding', 'extremes'].filter(wanted)) {
      skipped.push({ id, reason: 'no data set given (--samples or --dataset)' });
    }
  }
  if (dataset && wanted('embedding')) {
    progress(3, 'embedding');
    const layer = timeLayer(await model.layers());
    const source = sequenceSource(dataset.sequences, channels, {
      labels: dataset.labels,
      names: dataset.names,
    });
    if (!layer || !dataset.labels) {
      skipped.push({ id: 'embedding', reason: layer ? 'the data set has no labels' : 'no time layer' });
    } else {
      // The mean over time: a network that pools its per-step outputs need not keep the class in its last
      // state, while every step's output enters the mean.
      const compared = await compareRawAndLayer(model, source, {
        layer: layer.name,
        reduction: 'mean',
        projection: { seed: input.seed },
      });
      const spec = comparisonSpec(compared, { classNames: labels });
      const note =
        `10-NN class agreement: raw inputs ${compared.raw.agreement10?.toFixed(3)}, ` +
        `activations of ${layer.name} averaged over time ${compared.layer.agreement10?.toFixed(3)}`;
      sections.push({
        id: 'embedding',
        title: 'Embedding of the data set (t-SNE)',
        html: `${figure(await png(spec), note, 900)}`,
      });
    }
  }
  if (dataset && wanted('extremes')) {
    progress(4, 'extremes');
    const source = sequenceSource(dataset.sequences, channels, {
      labels: dataset.labels,
      names: dataset.names,
    });
    const result = await classExtremes(model, source, { k: 4, mistakes: 4 });
    const picture = await extremesFigure(source, result, { classNames: labels });
    sections.push({
      id: 'extremes',
      title: 'Highest and lowest scoring sequences',
      html: figure(
        await encodePng(picture),
        'per class: highest (top row) and lowest (bottom row) scoring',
        800,
      ),
    });
  }
  const meta = `${escapeHtml(input.modelName)} · ${input.sequences.length} sequences · ${channels} channels`;
  return {
    html: page(`netlens report: ${input.modelName}`, meta, sections),
    rendered: sections.map((s) => s.id),
    skipped,
  };
}
