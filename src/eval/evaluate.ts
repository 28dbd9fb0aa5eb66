/**
 * `evaluateExplainers`: runs map methods from the explainer catalog over a batch of images and scores every
 * map with the chosen trust metrics. Each method explains the same class per image (the model's prediction
 * unless given); every metric gives one number per image, summarised as a mean with a 95 % bootstrap
 * interval; methods are ranked by their mean rank over the metric columns.
 */
import { closestNames, OptionError } from '../errors.js';
import type { Explainer } from '../explainers/spec.js';
import { argmaxRows } from '../methods/target.js';
import type { ScoreKind } from '../methods/class-scores.js';
import type { Model, ProgressCallback, TensorData } from '../types.js';
import type { MapBatch } from './context.js';
import { giniSparseness, mapEntropy } from './complexity.js';
import { relevanceGame } from './deletion.js';
import { explainerFunction } from './explain-fn.js';
import { faithfulnessCorrelation } from './faithfulness-correlation.js';
import { infidelity } from './infidelity.js';
import { localisation, type GroundTruth } from './localisation.js';
import { METRIC_IDS, METRICS, metricSpec, type MetricColumn, type MetricId } from './metrics.js';
import { road } from './road.js';
import type { Replacement } from './replacement.js';
import {
  modelRandomization,
  randomLogit,
  type RandomizationSource,
  type RandomizationStep,
} from './sanity.js';
import { sensitivity } from './sensitivity.js';
import { bootstrapMean, type Interval } from './stats.js';

export interface EvaluateOptions {
  /** Metrics to run (default: every one whose needs are met). */
  metrics?: readonly MetricId[];
  /** Class explained per image (default: the predicted class). */
  classes?: readonly number[];
  groundTruth?: GroundTruth;
  /** Needed by the randomisation checks. */
  randomization?: RandomizationSource;
  /** Options per method id, passed to the explainer (e.g. { occlusion: { stride: 8 } }). */
  methodOptions?: Record<string, Record<string, unknown>>;
  seed?: number;
  /** Points of the deletion / insertion curves (default 32). */
  steps?: number;
  replacement?: Replacement;
  score?: ScoreKind;
  /** Samples per image for faithfulness correlation, infidelity and sensitivity (default 16). */
  numSamples?: number;
  /** Layers randomised at most, from the top (default all). */
  maxLayers?: number;
  /** Randomisation steps measured, evenly spread, the last always included (default: every layer). */
  checkpoints?: number;
  miniBatchSize?: number;
  onProgress?: ProgressCallback;
}

export interface MethodCurves {
  fractions: number[];
  /** Mean over images at each point. */
  mean: number[];
}

export interface RandomizationCurve {
  layers: string[];
  /** Mean over images after each step. */
  spearman: number[];
  ssim: number[];
  hog: number[];
}

export interface MethodEvaluation {
  method: string;
  title: string;
  /** Per column: one number per image. */
  values: Record<string, number[]>;
  summary: Record<string, Interval>;
  curves: {
    deletion?: MethodCurves;
    insertion?: MethodCurves;
    roadMorf?: MethodCurves;
    roadLerf?: MethodCurves;
    cascading?: RandomizationCurve;
    independent?: RandomizationCurve;
  };
  /** The maps that were scored ([N, H, W]). */
  maps: TensorData;
}

export interface Evaluation {
  metrics: MetricId[];
  columns: MetricColumn[];
  classes: number[];
  images: number;
  methods: MethodEvaluation[];
  /** Methods from best to worst by mean rank over the columns (ties share the mean rank). */
  ranking: { method: string; meanRank: number }[];
  /** Metrics left out because their needs were not met (only when `metrics` was not given). */
  skipped: { metric: MetricId; reason: string }[];
}

export function checkMetricIds(ids: readonly string[]): MetricId[] {
  return ids.map((id) => {
    if ((METRIC_IDS as readonly string[]).includes(id)) return id as MetricId;
    const near = closestNames(id, METRIC_IDS);
    throw new OptionError(
      'INVALID_OPTION',
      `unknown metric "${id}"${near.length ? `: did you mean ${near.map((n) => `"${n}"`).join(', ')}?` : ''}`,
    );
  });
}

function missingNeed(id: MetricId, options: EvaluateOptions): string | undefined {
  const needs = metricSpec(id).needs;
  if (needs === 'ground truth' && !options.groundTruth) {
    return `metric '${id}' needs ground truth (object boxes or masks), and the images have none`;
  }
  if (needs === 'model graph' && !options.randomization) {
    return `metric '${id}' needs the model's ONNX graph to randomise its layers`;
  }
  return undefined;
}

function mean(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
}

function meanCurve(fractions: number[], curves: number[][]): MethodCurves {
  return { fractions, mean: fractions.map((_, k) => mean(curves.map((c) => c[k]))) };
}

function randomizationCurve(steps: RandomizationStep[]): RandomizationCurve {
  return {
    layers: steps.map((s) => s.layer),
    spearman: steps.map((s) => mean(s.similarity.spearman)),
    ssim: steps.map((s) => mean(s.similarity.ssim)),
    hog: steps.map((s) => mean(s.similarity.hog)),
  };
}

/** Mean rank of each method over the columns (rank 1 = best), NaN columns left out. */
export function rankMethods(methods: readonly MethodEvaluation[], columns: readonly MetricColumn[]) {
  const totals = new Map<string, { sum: number; count: number }>(
    methods.map((m) => [m.method, { sum: 0, count: 0 }]),
  );
  for (const column of columns) {
    const scored = methods
      .map((m) => ({ method: m.method, value: m.summary[column.key]?.mean ?? NaN }))
      .filter((s) => Number.isFinite(s.value));
    for (const s of scored) {
      const better = scored.filter((o) =>
        column.better === 'higher' ? o.value > s.value : o.value < s.value,
      ).length;
      const equal = scored.filter((o) => o.value === s.value).length;
      const entry = totals.get(s.method)!;
      entry.sum += better + (equal + 1) / 2;
      entry.count++;
    }
  }
  return methods
    .map((m) => {
      const t = totals.get(m.method)!;
      return { method: m.method, meanRank: t.count ? t.sum / t.count : NaN };
    })
    .sort(
      (a, b) =>
        (Number.isFinite(a.meanRank) ? a.meanRank : Infinity) -
        (Number.isFinite(b.meanRank) ? b.meanRank : Infinity),
    );
}

export async function evaluateExplainers(
  model: Model,
  input: TensorData,
  explainers: readonly Explainer[],
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  const n = input.dims[0] ?? 0;
  if (n === 0) throw new OptionError('INVALID_INPUT', 'no images to evaluate (0 given)');
  if (explainers.length === 0) throw new OptionError('INVALID_OPTION', 'no methods to evaluate');
  const skipped: { metric: MetricId; reason: string }[] = [];
  let metrics: MetricId[];
  if (options.metrics) {
    metrics = checkMetricIds(options.metrics);
    for (const id of metrics) {
      const missing = missingNeed(id, options);
      if (missing) throw new OptionError('INVALID_OPTION', missing);
    }
  } else {
    metrics = METRIC_IDS.filter((id) => {
      const missing = missingNeed(id, options);
      if (missing) skipped.push({ metric: id, reason: missing });
      return !missing;
    });
  }
  const columns = METRICS.filter((m) => metrics.includes(m.id)).flatMap((m) => m.columns);
  const classes = options.classes
    ? [...options.classes]
    : argmaxRows((await model.predict(input, options)).scores);
  if (classes.length !== n) {
    throw new OptionError('INVALID_OPTION', `expected ${n} classes (one per image), got ${classes.length}`);
  }
  const seed = options.seed ?? 0;
  const samples = options.numSamples ?? 16;
  const common = { seed, miniBatchSize: options.miniBatchSize, score: options.score };
  const units = explainers.length * (metrics.length + 1);
  let done = 0;
  const tick = (stage: string) => options.onProgress?.({ done: ++done, total: units, stage });

  const methods: MethodEvaluation[] = [];
  for (const explainer of explainers) {
    const methodOptions = {
      ...(explainer.seeded ? { seed } : {}),
      ...(options.miniBatchSize ? { miniBatchSize: options.miniBatchSize } : {}),
      ...options.methodOptions?.[explainer.id],
    };
    const explain = explainerFunction(explainer, methodOptions);
    const maps = await explain(model, input, classes);
    tick(`${explainer.id}: maps`);
    const batch: MapBatch = { maps, classes };
    const values: Record<string, number[]> = {};
    const curves: MethodEvaluation['curves'] = {};
    for (const id of metrics) {
      switch (id) {
        case 'deletion':
        case 'insertion': {
          const r = await relevanceGame(id, model, input, batch, {
            ...common,
            steps: options.steps,
            replacement: options.replacement,
          });
          values[id] = r.auc;
          curves[id] = meanCurve(r.fractions, r.curves);
          break;
        }
        case 'road': {
          const r = await road(model, input, batch, common);
          values['road-morf'] = r.morfAuc;
          values['road-lerf'] = r.lerfAuc;
          curves.roadMorf = meanCurve(r.fractions, r.morf);
          curves.roadLerf = meanCurve(r.fractions, r.lerf);
          break;
        }
        case 'faithfulness-correlation':
          values[id] = await faithfulnessCorrelation(model, input, batch, {
            ...common,
            numSamples: Math.max(2, samples),
          });
          break;
        case 'infidelity':
          values[id] = await infidelity(model, input, batch, { ...common, numSamples: samples });
          break;
        case 'sensitivity': {
          const r = await sensitivity(model, input, batch, explain, {
            seed,
            numSamples: Math.max(1, Math.round(samples / 2)),
          });
          values['max-sensitivity'] = r.max;
          values['avg-sensitivity'] = r.average;
          break;
        }
        case 'randomization': {
          const r = await modelRandomization(options.randomization!, input, batch, explain, {
            seed,
            maxLayers: options.maxLayers,
            checkpoints: options.checkpoints,
          });
          const last = r.steps[r.steps.length - 1];
          values['randomization-spearman'] = last.similarity.spearman;
          values['randomization-ssim'] = last.similarity.ssim;
          values['randomization-hog'] = last.similarity.hog;
          curves.cascading = randomizationCurve(r.steps);
          break;
        }
        case 'independent-randomization': {
          const r = await modelRandomization(options.randomization!, input, batch, explain, {
            seed,
            mode: 'independent',
            maxLayers: options.maxLayers,
            checkpoints: options.checkpoints,
          });
          values['independent-spearman'] = classes.map((_, i) =>
            mean(r.steps.map((s) => s.similarity.spearman[i])),
          );
          curves.independent = randomizationCurve(r.steps);
          break;
        }
        case 'random-logit':
          values[id] = (await randomLogit(model, input, batch, explain, { seed })).similarity.ssim;
          break;
        case 'localisation': {
          const r = localisation(maps, options.groundTruth!);
          values['pointing-game'] = r.pointingGame;
          values['energy-pointing-game'] = r.energyPointingGame;
          values['relevance-mass'] = r.relevanceMass;
          values['relevance-rank'] = r.relevanceRank;
          break;
        }
        case 'complexity':
          values.sparseness = giniSparseness(maps);
          values.entropy = mapEntropy(maps);
          break;
      }
      tick(`${explainer.id}: ${id}`);
    }
    const summary: Record<string, Interval> = {};
    for (const column of columns) summary[column.key] = bootstrapMean(values[column.key] ?? [], { seed });
    methods.push({ method: explainer.id, title: explainer.title, values, summary, curves, maps });
  }
  return { metrics, columns, classes, images: n, methods, ranking: rankMethods(methods, columns), skipped };
}
