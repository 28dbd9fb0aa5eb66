/**
 * Attribution over time: any catalog explainer run on sequences. Sequences are batched by length (no
 * padding) and each batch is shown to the explainer through a SequenceView: perturbation methods and the CAM
 * family see a 1 × T strip with C channels (time windows / segments, one value per step), gradient methods a
 * T × C grid (one value per step and channel). Options in steps (`maskSize`, `stride`) are given as numbers and
 * mapped onto the strip; occlusion's stride defaults to one step.
 */
import { OptionError } from '../../errors.js';
import type { Explainer } from '../../explainers/spec.js';
import type { Model, TensorData } from '../../types.js';
import { SequenceView, sequenceInput, type SequenceViewKind } from './view.js';

export interface SequenceItem {
  /** T × C values, time-major. */
  values: Float32Array;
  length: number;
}

export interface SequenceExplanation {
  /** [K, T, C] (time × channel) for gradient methods, [K, T, 1] (one value per step) otherwise. */
  map: TensorData;
  classes: (number | undefined)[];
  descriptions: string[];
  /** The run's numbers for this sequence: per-item arrays picked at its index, others as they are. */
  numbers: Record<string, unknown>;
}

/** Explainers whose unit is a time window / segment or a 1-D feature map: they see the strip. */
const STRIP_METHODS = new Set([
  'occlusion',
  'lime',
  'kernel-shap',
  'cam',
  'gradcam',
  'hirescam',
  'gradcampp',
  'xgradcam',
  'layercam',
  'eigengradcam',
  'scorecam',
  'ablationcam',
  'eigencam',
]);

export function viewKindFor(explainer: Pick<Explainer, 'id'>): SequenceViewKind {
  return STRIP_METHODS.has(explainer.id) ? 'strip' : 'grid';
}

/** Indices of the sequences grouped by length, lengths in order of first appearance. */
export function groupByLength(items: readonly { length: number }[]): number[][] {
  const groups = new Map<number, number[]>();
  items.forEach((item, i) => {
    const group = groups.get(item.length);
    if (group) group.push(i);
    else groups.set(item.length, [i]);
  });
  return [...groups.values()];
}

/** Sequences of one length as a view batch [N, 1, T, C]. */
export function stackSequences(
  items: readonly SequenceItem[],
  indices: readonly number[],
  channels: number,
): TensorData {
  const length = items[indices[0]].length;
  const size = length * channels;
  const data = new Float32Array(indices.length * size);
  indices.forEach((i, k) => {
    if (items[i].values.length !== size) {
      throw new OptionError(
        'INVALID_INPUT',
        `sequence ${i} holds ${items[i].values.length} values, not ${length} steps × ${channels} channels`,
      );
    }
    data.set(items[i].values, k * size);
  });
  return { data, dims: [indices.length, 1, length, channels] };
}

/** A step option (5, or [1, 5] / [5, 5] as the size parser gives it) as [1, steps] on the strip. */
function onStrip(value: unknown): unknown {
  if (typeof value === 'number') return [1, value];
  if (Array.isArray(value) && value.length === 2) return [1, value[1] as number];
  return value;
}

function perItem(numbers: Record<string, unknown>, count: number, k: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(numbers)) {
    out[key] = Array.isArray(value) && value.length === count ? value[k] : value;
  }
  return out;
}

/**
 * Run `explainer` on every sequence. `options.target` may be one class for all or one per sequence; each
 * length group gets its share.
 */
export async function explainSequences(
  model: Model,
  explainer: Explainer,
  items: readonly SequenceItem[],
  options: Record<string, unknown> = {},
): Promise<SequenceExplanation[]> {
  if (items.length === 0) throw new OptionError('INVALID_INPUT', 'no sequences given');
  const { layout, channels } = sequenceInput(model);
  const kind = viewKindFor(explainer);
  const target = options.target;
  if (Array.isArray(target) && target.length !== items.length) {
    throw new OptionError('INVALID_OPTION', `${target.length} targets given for ${items.length} sequences`);
  }
  const results = new Array<SequenceExplanation>(items.length);
  for (const indices of groupByLength(items)) {
    const length = items[indices[0]].length;
    const view = new SequenceView(model, kind, length, channels, layout);
    const input = stackSequences(items, indices, channels);
    const groupOptions: Record<string, unknown> = { ...options };
    if (Array.isArray(target)) groupOptions.target = indices.map((i) => target[i] as unknown);
    if (kind === 'strip') {
      for (const key of ['maskSize', 'stride']) {
        if (groupOptions[key] !== undefined && groupOptions[key] !== 'auto')
          groupOptions[key] = onStrip(groupOptions[key]);
      }
      if (explainer.id === 'lime' || explainer.id === 'kernel-shap') {
        groupOptions.segmentation ??= 'grid';
        groupOptions.outputUpsampling ??= 'nearest';
      }
      if (explainer.id === 'occlusion') {
        groupOptions.outputUpsampling ??= 'nearest';
        // One step between masks unless asked otherwise: MATLAB's 'auto' stride (10 % of the length) puts mask
        // positions 4 to 8 steps apart on typical sequences, coarser than the patterns it should find (peak in
        // the window 0.874 of sequence-lstm's samples against 0.960), and a sequence's T passes are cheap.
        groupOptions.stride ??= onStrip(1);
        // The logit unless asked otherwise: a confident class's probability saturates, so every mask that hides
        // most of the pattern drops it alike and the map is flat as far as such masks reach, past the pattern
        // (peak in the window 0.869 of sequence-lstm's samples with the probability against 0.960).
        groupOptions.score ??= 'logit';
      }
    }
    const run = await explainer.run(view, input, groupOptions);
    const [count, h, w] = run.maps.dims;
    const perSequence = count / indices.length;
    const mapSize = h * w;
    const mapDims = kind === 'strip' ? [perSequence, length, 1] : [perSequence, length, channels];
    indices.forEach((i, k) => {
      const from = k * perSequence;
      results[i] = {
        map: { data: run.maps.data.slice(from * mapSize, (from + perSequence) * mapSize), dims: mapDims },
        classes: run.classes.slice(from, from + perSequence),
        descriptions: run.descriptions.slice(from, from + perSequence),
        numbers: perItem(run.numbers, indices.length * perSequence, k),
      };
    });
  }
  return results;
}
