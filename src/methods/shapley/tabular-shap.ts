/**
 * Shapley values of table features (MATLAB `shapley` with its interventional Kernel SHAP): the value of a
 * coalition S for a query point q is the model's mean output over the background rows b with the features
 * in S set to q's values, v(S) = mean_b f(q_S, b_¬S). So φ sums to f(q) − mean_b f(b), the query's distance
 * from the average prediction, and a feature the model ignores gets exactly 0.
 */
import { OptionError } from '../../errors.js';
import type { BatchOptions, Model, TensorData } from '../../types.js';
import { checkSeed, DEFAULT_SEED } from '../../util/random.js';
import { checkChoice, checkPositiveInt } from '../batch.js';
import { classScorer, type ClassScorer, type ScoreKind } from '../class-scores.js';
import { resolveTargets, type ClassTarget, type TargetOption } from '../target.js';
import { kernelShap } from './kernel-shap.js';

export interface TabularShapOptions extends BatchOptions {
  /** Class (index or name) for classifiers, one or one per query point; default the predicted class. */
  target?: TargetOption;
  /** Classifiers: 'probability' (default) or 'logit'. A single-output model's output is used as it is. */
  score?: ScoreKind;
  /** Coalitions per query point at most, none and all features included (default min(2^M, 1024)). */
  maxNumSubsets?: number;
  /** Background rows used at most, evenly spaced through the given ones (default 100). */
  maxNumBackground?: number;
  /** Seed of the coalition sampling (default 0). */
  seed?: number;
}

export interface TabularShapExplanation {
  /** Output column explained (the class for classifiers). */
  target: number;
  /** One Shapley value per feature; they sum to prediction − baseValue. */
  shapleyValues: Float32Array;
  /** f(q) and the mean output over the background rows. */
  prediction: number;
  baseValue: number;
  exact: boolean;
  numSubsets: number;
}

export interface TabularShapResult {
  explanations: TabularShapExplanation[];
  /** 'output' for single-output models. */
  score: ScoreKind | 'output';
  backgroundRows: number;
  seed: number;
  /** Model rows evaluated (coalitions × background rows, plus the query points). */
  forwardRows: number;
}

const DEFAULTS = { maxNumBackground: 100, miniBatchSize: 1024 };

export async function tabularShap(
  model: Model,
  background: TensorData,
  queryPoints: TensorData,
  options: TabularShapOptions = {},
): Promise<TabularShapResult> {
  const features = checkTable('background', background);
  if (checkTable('queryPoints', queryPoints) !== features) {
    throw new OptionError(
      'INVALID_INPUT',
      `queryPoints have ${queryPoints.dims[1]} features, the background has ${features}`,
    );
  }
  const miniBatchSize = checkPositiveInt('miniBatchSize', options.miniBatchSize, DEFAULTS.miniBatchSize);
  const maxNumBackground = checkPositiveInt(
    'maxNumBackground',
    options.maxNumBackground,
    DEFAULTS.maxNumBackground,
  );
  const kind = checkChoice<ScoreKind>('score', options.score, ['probability', 'logit'], 'probability');
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  const rows = evenlySpacedRows(background, maxNumBackground);
  const numRows = rows.length / features;

  const queries = queryPoints.dims[0];
  const raw = (await model.run(queryPoints, [model.outputName], { miniBatchSize }))[model.outputName];
  const columns = raw.data.length / queries;
  const scorer: ClassScorer =
    columns > 1
      ? await classScorer(model, kind)
      : async (batch, opts) => (await model.run(batch, [model.outputName], opts))[model.outputName];
  const queryScores = columns > 1 ? await scorer(queryPoints, { miniBatchSize }) : raw;
  const targets =
    columns > 1
      ? resolveTargets(model, options.target, queries, queryScores)
      : checkSingleOutputTarget(options.target, queries);

  const explanations: TabularShapExplanation[] = [];
  let forwardRows = queries;
  for (let q = 0; q < queries; q++) {
    const query = queryPoints.data.subarray(q * features, (q + 1) * features);
    const target = targets[q];
    const shap = await kernelShap(
      {
        numPlayers: features,
        numOutputs: 1,
        values: async (coalitions) => {
          const batch = new Float32Array(coalitions.length * rows.length);
          coalitions.forEach((z, c) => {
            batch.set(rows, c * rows.length);
            for (let r = 0; r < numRows; r++) {
              const at = c * rows.length + r * features;
              for (let f = 0; f < features; f++) if (z[f]) batch[at + f] = query[f];
            }
          });
          const scores = await scorer(
            { data: batch, dims: [coalitions.length * numRows, features] },
            { miniBatchSize },
          );
          forwardRows += coalitions.length * numRows;
          const out = new Float64Array(coalitions.length);
          for (let c = 0; c < coalitions.length; c++) {
            let sum = 0;
            for (let r = 0; r < numRows; r++) sum += scores.data[(c * numRows + r) * columns + target];
            out[c] = sum / numRows;
          }
          return out;
        },
      },
      {
        maxNumSubsets: options.maxNumSubsets,
        seed,
        onProgress: options.onProgress
          ? (e) => options.onProgress!({ ...e, stage: `coalitions, query ${q + 1}/${queries}` })
          : undefined,
      },
    );
    explanations.push({
      target,
      shapleyValues: Float32Array.from(shap.values),
      prediction: shap.fullValue[0],
      baseValue: shap.emptyValue[0],
      exact: shap.exact,
      numSubsets: shap.numSubsets,
    });
  }
  return {
    explanations,
    score: columns > 1 ? kind : 'output',
    backgroundRows: numRows,
    seed,
    forwardRows,
  };
}

function checkTable(name: string, t: TensorData): number {
  if (t.dims.length !== 2 || t.dims[0] < 1 || t.dims[1] < 1) {
    throw new OptionError(
      'INVALID_INPUT',
      `${name} must be a [rows, features] table, got dims [${t.dims.join(', ')}]`,
    );
  }
  if (t.data.length !== t.dims[0] * t.dims[1]) {
    throw new OptionError(
      'INVALID_INPUT',
      `${name} has ${t.data.length} values but dims [${t.dims.join(', ')}] need ${t.dims[0] * t.dims[1]}`,
    );
  }
  return t.dims[1];
}

/** Up to `most` rows spread evenly through the table (all of them when it has no more). */
function evenlySpacedRows(table: TensorData, most: number): Float32Array {
  const [count, features] = table.dims;
  const take = Math.min(count, most);
  const out = new Float32Array(take * features);
  for (let i = 0; i < take; i++) {
    const row = Math.floor((i * count) / take);
    out.set(table.data.subarray(row * features, (row + 1) * features), i * features);
  }
  return out;
}

function checkSingleOutputTarget(target: TargetOption, queries: number): number[] {
  const list =
    target === undefined ? [] : Array.isArray(target) ? (target as readonly ClassTarget[]) : [target];
  if (list.some((t) => t !== 0)) {
    throw new OptionError('INVALID_OPTION', 'the model has a single output: the only target is 0');
  }
  return new Array<number>(queries).fill(0);
}
