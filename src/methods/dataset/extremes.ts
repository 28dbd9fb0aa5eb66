/**
 * Maximal and minimal activating items of a data set: for each class (its score) or a chosen channel of any
 * layer (its mean over space or time), the k items that score highest and the k that score lowest, plus the
 * most confident mistakes (highest probability given to a wrong class). One streaming pass: each score goes
 * into a k-entry heap, so memory does not grow with the data set.
 */
import { OptionError, UnsupportedError } from '../../errors.js';
import type { BatchOptions, Model, TensorData } from '../../types.js';
import { checkChoice, checkPositiveInt } from '../batch.js';
import { resolveClass, type ClassTarget } from '../target.js';
import { forEachMiniBatch } from './activations.js';
import { probeLayerLayout, reduceRows } from './layer-layout.js';
import type { DatasetSource } from './source.js';
import { StreamingTopK, type Scored } from './top-k.js';

export type ExtremesScore = 'probability' | 'logit';

export interface ExtremeItem {
  /** Item of the data set. */
  index: number;
  score: number;
  /** True class, when the source has labels. */
  label?: number;
  /** Class the model predicts (classification models). */
  predicted?: number;
}

export interface ExtremeSet {
  kind: 'class' | 'channel';
  /** The class scored (kind 'class'). */
  class?: number;
  /** The layer and channel scored (kind 'channel'). */
  layer?: string;
  channel?: number;
  /** Items ranked (all items, or only those of the class with `among: 'class'`). */
  ranked: number;
  /** Best first: highest scores in decreasing order, lowest scores in increasing order. */
  highest: ExtremeItem[];
  lowest: ExtremeItem[];
}

export interface MistakeItem {
  index: number;
  /** True class. */
  label: number;
  /** The wrong class the model predicts, and its probability. */
  predicted: number;
  probability: number;
}

export interface ExtremesResult {
  sets: ExtremeSet[];
  /** What the scores are: class probabilities or logits, or the channel's mean activation. */
  score: ExtremesScore | 'mean activation';
  /** Most confident mistakes, most confident first (sources with labels, classification models). */
  mistakes?: MistakeItem[];
  /** Share of items predicted correctly (sources with labels). */
  accuracy?: number;
  count: number;
}

interface CommonOptions extends BatchOptions {
  /** Items per list (default 8). */
  k?: number;
  /** How many confident mistakes to list (default k; 0 = none). Needs labels. */
  mistakes?: number;
}

export interface ClassExtremesOptions extends CommonOptions {
  /** Classes (indices or names); default every class. */
  classes?: readonly ClassTarget[];
  /** 'probability' (default, softmax score as MATLAB's example) or 'logit' (the pre-softmax score). */
  score?: ExtremesScore;
  /**
   * Rank every item ('all') or only the items whose true class is the scored class ('class': the most and least
   * typical members). Default 'class' when the source has labels, else 'all'.
   */
  among?: 'class' | 'all';
}

export interface ChannelExtremesOptions extends CommonOptions {
  layer: string;
  /** Channel indices of the layer (after averaging over space/time). */
  channels: readonly number[];
}

/** Softmax of each row of a [N, C] tensor. */
function softmaxRows(scores: Float32Array, n: number, c: number): Float32Array {
  const out = new Float32Array(scores.length);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, scores[i * c + j]);
    let sum = 0;
    for (let j = 0; j < c; j++) sum += out[i * c + j] = Math.exp(scores[i * c + j] - max);
    for (let j = 0; j < c; j++) out[i * c + j] /= sum;
  }
  return out;
}

function rowsOf(t: TensorData, n: number): { data: Float32Array; width: number } {
  return { data: t.data, width: n > 0 ? t.data.length / n : 0 };
}

/** Classification output check: one score row per item. */
function classificationOutput(model: Model): number {
  const output = model.outputs.find((o) => o.name === model.outputName);
  const classes = output?.shape[1];
  if (output?.shape.length !== 2) {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      `ranking by class needs a classification output [N, classes]; '${model.outputName}' has shape [${output?.shape.join(', ') ?? ''}]`,
    );
  }
  return typeof classes === 'number' ? classes : (model.labels?.length ?? 0);
}

/** The state of one pass: per-item predictions and confident mistakes. */
class PredictionTally {
  correct = 0;
  private readonly mistakes?: StreamingTopK;
  readonly predicted: Int32Array;

  constructor(
    count: number,
    readonly labels: Int32Array | undefined,
    mistakes: number,
  ) {
    this.predicted = new Int32Array(count);
    if (labels && mistakes > 0) this.mistakes = new StreamingTopK(mistakes, 'highest');
  }

  add(items: readonly number[], probabilities: Float32Array, classes: number): void {
    items.forEach((item, k) => {
      let best = 0;
      for (let c = 1; c < classes; c++)
        if (probabilities[k * classes + c] > probabilities[k * classes + best]) best = c;
      this.predicted[item] = best;
      if (!this.labels) return;
      if (best === this.labels[item]) this.correct++;
      else this.mistakes?.push(item, probabilities[k * classes + best]);
    });
  }

  mistakeList(): MistakeItem[] | undefined {
    if (!this.mistakes || !this.labels) return undefined;
    const labels = this.labels;
    return this.mistakes.result().map(({ index, score }) => ({
      index,
      label: labels[index],
      predicted: this.predicted[index],
      probability: score,
    }));
  }
}

function describe(
  selected: Scored[],
  labels: Int32Array | undefined,
  predicted: Int32Array | undefined,
): ExtremeItem[] {
  return selected.map(({ index, score }) => ({
    index,
    score,
    ...(labels ? { label: labels[index] } : {}),
    ...(predicted ? { predicted: predicted[index] } : {}),
  }));
}

function checkCommon(options: CommonOptions, source: DatasetSource) {
  const k = checkPositiveInt('k', options.k, 8);
  const mistakes = options.mistakes ?? k;
  if (!Number.isInteger(mistakes) || mistakes < 0) {
    throw new OptionError('INVALID_OPTION', `mistakes must be a non-negative integer, got ${mistakes}`);
  }
  if (!(source.count >= 1)) throw new OptionError('INVALID_INPUT', 'the data set is empty');
  return { k, mistakes };
}

/** For each class, the items with the highest and the lowest class score; and the most confident mistakes. */
export async function classExtremes(
  model: Model,
  source: DatasetSource,
  options: ClassExtremesOptions = {},
): Promise<ExtremesResult> {
  const { k, mistakes } = checkCommon(options, source);
  const score = checkChoice('score', options.score, ['probability', 'logit'] as const, 'probability');
  const labels = source.labels;
  const among = checkChoice('among', options.among, ['class', 'all'] as const, labels ? 'class' : 'all');
  if (among === 'class' && !labels) {
    throw new OptionError('INVALID_OPTION', "among 'class' needs true labels, and the data set has none");
  }
  const numClasses = classificationOutput(model);
  const classes = (options.classes ?? Array.from({ length: numClasses }, (_, c) => c)).map((c) =>
    resolveClass(model, c, numClasses > 0 ? numClasses : undefined),
  );
  // Logits of a model ending in Softmax are the tensor that feeds it.
  const logitTensor =
    score === 'logit' && model.outputKind === 'probabilities'
      ? await model.reductionLayer()
      : model.outputName;
  const names = [...new Set([model.outputName, logitTensor])];
  const highest = classes.map(() => new StreamingTopK(k, 'highest'));
  const lowest = classes.map(() => new StreamingTopK(k, 'lowest'));
  const ranked = classes.map(() => 0);
  const tally = new PredictionTally(source.count, labels, mistakes);
  await forEachMiniBatch(model, source, names, options, (items, outputs) => {
    const out = rowsOf(outputs[model.outputName], items.length);
    const probabilities =
      model.outputKind === 'probabilities' ? out.data : softmaxRows(out.data, items.length, out.width);
    tally.add(items, probabilities, out.width);
    const scored =
      score === 'probability'
        ? { data: probabilities, width: out.width }
        : rowsOf(outputs[logitTensor], items.length);
    classes.forEach((c, s) => {
      if (c >= scored.width) {
        throw new OptionError('INVALID_OPTION', `class ${c} is out of range for ${scored.width} scores`);
      }
      items.forEach((item, row) => {
        if (among === 'class' && labels?.[item] !== c) return;
        const value = scored.data[row * scored.width + c];
        highest[s].push(item, value);
        lowest[s].push(item, value);
        ranked[s]++;
      });
    });
  });
  return {
    sets: classes.map((c, s) => ({
      kind: 'class' as const,
      class: c,
      ranked: ranked[s],
      highest: describe(highest[s].result(), labels, tally.predicted),
      lowest: describe(lowest[s].result(), labels, tally.predicted),
    })),
    score,
    ...resultExtras(tally, source),
  };
}

function resultExtras(tally: PredictionTally, source: DatasetSource) {
  const mistakes = tally.mistakeList();
  return {
    ...(mistakes ? { mistakes } : {}),
    ...(source.labels ? { accuracy: tally.correct / source.count } : {}),
    count: source.count,
  };
}

/**
 * For channels of a layer, the items whose mean activation of the channel (over space or time) is highest
 * and lowest; and, for classification models with a labelled source, the most confident mistakes.
 */
export async function channelExtremes(
  model: Model,
  source: DatasetSource,
  options: ChannelExtremesOptions,
): Promise<ExtremesResult> {
  const { k, mistakes } = checkCommon(options, source);
  const layer = options.layer;
  await model.checkLayer(layer);
  if (options.channels.length === 0) throw new OptionError('INVALID_OPTION', 'no channels given');
  const layout = await probeLayerLayout(model, layer, await source.read([0]));
  const output = model.outputs.find((o) => o.name === model.outputName);
  const withPredictions = output?.shape.length === 2;
  const names = withPredictions ? [...new Set([layer, model.outputName])] : [layer];
  const highest = options.channels.map(() => new StreamingTopK(k, 'highest'));
  const lowest = options.channels.map(() => new StreamingTopK(k, 'lowest'));
  const tally = new PredictionTally(source.count, withPredictions ? source.labels : undefined, mistakes);
  let checked = false;
  await forEachMiniBatch(model, source, names, options, (items, outputs) => {
    const rows = reduceRows(outputs[layer], layout, 'mean');
    if (!checked) {
      for (const channel of options.channels) {
        if (!Number.isInteger(channel) || channel < 0 || channel >= rows.features) {
          throw new OptionError(
            'INVALID_OPTION',
            `channel ${channel} is out of range: layer '${layer}' has ${rows.features} channels (0..${rows.features - 1})`,
          );
        }
      }
      checked = true;
    }
    if (withPredictions) {
      const out = rowsOf(outputs[model.outputName], items.length);
      const probabilities =
        model.outputKind === 'probabilities' ? out.data : softmaxRows(out.data, items.length, out.width);
      tally.add(items, probabilities, out.width);
    }
    options.channels.forEach((channel, s) => {
      items.forEach((item, row) => {
        const value = rows.data[row * rows.features + channel];
        highest[s].push(item, value);
        lowest[s].push(item, value);
      });
    });
  });
  const labels = source.labels;
  return {
    sets: options.channels.map((channel, s) => ({
      kind: 'channel' as const,
      layer,
      channel,
      ranked: source.count,
      highest: describe(highest[s].result(), labels, withPredictions ? tally.predicted : undefined),
      lowest: describe(lowest[s].result(), labels, withPredictions ? tally.predicted : undefined),
    })),
    score: 'mean activation',
    ...resultExtras(tally, source),
  };
}

/** The k most confident mistakes alone (highest probability given to a wrong class). */
export async function confidentMistakes(
  model: Model,
  source: DatasetSource,
  options: BatchOptions & { k?: number } = {},
): Promise<MistakeItem[]> {
  if (!source.labels) throw new OptionError('INVALID_OPTION', 'finding mistakes needs true labels');
  const k = checkPositiveInt('k', options.k, 8);
  const result = await classExtremes(model, source, { ...options, classes: [], k, mistakes: k });
  return result.mistakes ?? [];
}
