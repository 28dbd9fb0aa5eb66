/**
 * LIME for table models, as MATLAB's `lime`: synthetic rows are drawn around the data — each numeric
 * feature from a normal distribution with the mean and standard deviation of the data ('global') or of the
 * `numNeighbors` rows nearest the query point ('local'), each categorical feature from its empirical level
 * frequencies — scored by the model, weighted by their distance d to the query point (scaled so the largest
 * is 1) with w = sqrt(exp(−d² / kernelWidth²)), and explained by a simple model of `numImportantPredictors`
 * features: a weighted linear model on the features chosen by orthogonal matching pursuit ('linear'), or a
 * weighted regression tree on the features of largest predictor importance ('tree'). A categorical feature
 * enters the simple model as the indicator "same level as the query point".
 *
 * A classifier is explained as MATLAB explains one, by a classification simple model of the classes the
 * model predicts for the synthetic rows: 'linear' is a weighted logistic regression of one class (the
 * predicted one, or `target`) against the others on the features chosen by the same pursuit; 'tree' is a
 * weighted classification tree (Gini) of every class. The simple model's class at the query point is then
 * compared with the model's (MATLAB's SimpleModelFitted and BlackboxFitted).
 */
import { OptionError } from '../../errors.js';
import type { TableData } from '../../data/table-csv.js';
import type { BatchOptions, Model } from '../../types.js';
import { checkSeed, createRandom, DEFAULT_SEED, type Random } from '../../util/random.js';
import { checkChoice, checkPositiveInt } from '../batch.js';
import { fitClassificationTree } from '../lime/classification-tree.js';
import { fitWeightedLogistic } from '../lime/logistic.js';
import { fitRegressionTree, predictTree } from '../lime/regression-tree.js';
import { fitWeightedRidge, weightedR2 } from '../lime/surrogate.js';
import { resolveClass, type ClassTarget } from '../target.js';
import { tableSchema, type CategoricalPredictors, type TableSchema } from './schema.js';
import { tableScorer } from './scorer.js';
import { checkTableData, outputNames } from './table.js';

export type LimeDistance = 'euclidean' | 'seuclidean' | 'cityblock' | 'chebychev';

export interface TableLimeOptions extends BatchOptions {
  /** The row to explain (raw values, the model's feature order). */
  queryPoint: TableData;
  /** Features in the simple model (default min(M, 10)). */
  numImportantPredictors?: number;
  simpleModelType?: 'linear' | 'tree';
  /** Width of the weighting kernel on distances scaled to [0, 1] (default 0.75). */
  kernelWidth?: number;
  /** Where the synthetic data's distributions come from (default 'global'). */
  dataLocality?: 'global' | 'local';
  /** Rows nearest the query point that 'local' uses (default 1500). */
  numNeighbors?: number;
  /** Synthetic rows drawn (default 5000). */
  numSyntheticData?: number;
  /** Distance between rows (default 'euclidean'); categorical features add 0 or 1 (mismatch). */
  distance?: LimeDistance;
  categoricalPredictors?: CategoricalPredictors;
  schema?: TableSchema;
  /**
   * Classifiers, linear simple model: the class it separates from the others (index or name; default the
   * class the model predicts at the query point).
   */
  target?: ClassTarget;
  seed?: number;
}

interface TableLimeBase {
  features: string[];
  simpleModelType: 'linear' | 'tree';
  /** Output column explained and its name (classifiers: the linear model's positive class). */
  target: number;
  targetName: string;
  query: Float32Array;
  /** The important predictors, most important first (linear: largest |coefficient| × feature std). */
  importantPredictors: string[];
  importantIndices: number[];
  /**
   * Linear: coefficient per important predictor (per raw unit; of the log-odds of `targetName` for a
   * classifier). Tree: its predictor importance.
   */
  coefficients: Float64Array;
  /** Linear only. */
  intercept?: number;
  kernelWidth: number;
  dataLocality: 'global' | 'local';
  distance: LimeDistance;
  numSyntheticData: number;
  seed: number;
  forwardRows: number;
  /** The synthetic rows (raw values). */
  syntheticData: TableData;
}

/** A regression model: the simple model regresses its output. */
export interface TableLimeRegression extends TableLimeBase {
  task: 'regression';
  /** The model's output at the query point (MATLAB's BlackboxFitted). */
  blackboxFitted: number;
  /** The simple model's prediction there (MATLAB's SimpleModelFitted). */
  simpleModelFitted: number;
  /** Weighted R² and weighted mean squared error of the simple model on the synthetic data. */
  goodnessOfFit: { r2: number; mse: number };
}

/** A classifier: the simple model classifies the classes the model predicts. */
export interface TableLimeClassification extends TableLimeBase {
  task: 'classification';
  classes: string[];
  /** The class the model predicts at the query point (MATLAB's BlackboxFitted). */
  blackboxFitted: string;
  /**
   * The simple model's class there (MATLAB's SimpleModelFitted): the tree's class, or for the linear model
   * `targetName` or "not <targetName>".
   */
  simpleModelFitted: string;
  /** Weighted share of the synthetic rows on which the simple model agrees with the model. */
  goodnessOfFit: { accuracy: number };
}

export type TableLimeResult = TableLimeRegression | TableLimeClassification;

export async function lime(
  model: Model,
  data: TableData,
  options: TableLimeOptions,
): Promise<TableLimeResult> {
  const schema = options.schema ?? tableSchema(model, options.categoricalPredictors);
  const m = schema.features.length;
  checkTableData('data', data, schema);
  checkTableData('queryPoint', options.queryPoint, schema);
  if (options.queryPoint.rows !== 1) {
    throw new OptionError('INVALID_OPTION', `lime explains one query point, got ${options.queryPoint.rows}`);
  }
  const query = options.queryPoint.values.slice(0, m);
  const numImportant = checkPositiveInt(
    'numImportantPredictors',
    options.numImportantPredictors,
    Math.min(m, 10),
  );
  if (numImportant > m) {
    throw new OptionError(
      'INVALID_OPTION',
      `numImportantPredictors ${numImportant} exceeds the ${m} features`,
    );
  }
  const simpleModelType = checkChoice(
    'simpleModelType',
    options.simpleModelType,
    ['linear', 'tree'] as const,
    'linear',
  );
  const kernelWidth = options.kernelWidth ?? 0.75;
  if (!(kernelWidth > 0 && Number.isFinite(kernelWidth))) {
    throw new OptionError('INVALID_OPTION', `kernelWidth must be a positive number, got ${kernelWidth}`);
  }
  const dataLocality = checkChoice(
    'dataLocality',
    options.dataLocality,
    ['global', 'local'] as const,
    'global',
  );
  const numNeighbors = checkPositiveInt('numNeighbors', options.numNeighbors, 1500);
  const numSynthetic = checkPositiveInt('numSyntheticData', options.numSyntheticData, 5000);
  if (numSynthetic < 2) throw new OptionError('INVALID_OPTION', 'numSyntheticData must be at least 2');
  const distance = checkChoice<LimeDistance>(
    'distance',
    options.distance,
    ['euclidean', 'seuclidean', 'cityblock', 'chebychev'],
    'euclidean',
  );
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  const random = createRandom(seed);
  const scales = dataScales(data.values, m);
  const measure = rowDistance(distance, schema.categorical, scales);

  const source =
    dataLocality === 'global' ? data.values : nearestRows(data.values, m, query, numNeighbors, measure);
  const synthetic = drawSynthetic(source, m, schema.categorical, numSynthetic, random);

  const scorer = await tableScorer(model, schema, { miniBatchSize: options.miniBatchSize });
  const k = scorer.columns;
  const queryScores = await scorer.score(query, 1);
  const names = outputNames(model, k);
  const predicted = argmax(queryScores);
  if (k > 1 && simpleModelType === 'tree' && options.target !== undefined) {
    throw new OptionError(
      'INVALID_OPTION',
      'a classification tree separates every class; target chooses the class of the linear simple model',
    );
  }
  const target =
    options.target === undefined
      ? predicted
      : k === 1
        ? singleOutput(options.target)
        : resolveClass(model, options.target, k);
  const scores = await scorer.score(synthetic, numSynthetic);

  const d = Float64Array.from({ length: numSynthetic }, (_, i) => measure(synthetic, i * m, query));
  const maxD = d.reduce((a, b) => Math.max(a, b), 0) || 1;
  const weights = d.map((v) => Math.sqrt(Math.exp(-((v / maxD) ** 2) / kernelWidth ** 2)));

  // Design: raw values, or "same level as the query" for categorical features.
  const design = new Float64Array(numSynthetic * m);
  for (let i = 0; i < numSynthetic; i++) {
    for (let f = 0; f < m; f++) {
      const v = synthetic[i * m + f];
      design[i * m + f] = schema.categorical[f] ? (v === query[f] ? 1 : 0) : v;
    }
  }
  const queryRow = Float64Array.from(query, (v, f) => (schema.categorical[f] ? 1 : v));
  // Most important first: a linear coefficient by its effect over one standard deviation of its feature.
  const ordered = (fit: { indices: number[]; coefficients: Float64Array }) => {
    const effect = (f: number, c: number) =>
      Math.abs(c) * (simpleModelType === 'linear' && !schema.categorical[f] ? scales[f] : 1);
    const order = fit.indices
      .map((f, j) => ({ f, c: fit.coefficients[j] }))
      .sort((a, b) => effect(b.f, b.c) - effect(a.f, a.c) || a.f - b.f);
    return {
      importantPredictors: order.map((o) => schema.features[o.f]),
      importantIndices: order.map((o) => o.f),
      coefficients: Float64Array.from(order, (o) => o.c),
    };
  };
  const common = {
    features: schema.features,
    simpleModelType,
    target,
    targetName: names[target],
    query,
    kernelWidth,
    dataLocality,
    distance,
    numSyntheticData: numSynthetic,
    seed,
  };
  const sample = { features: schema.features, rows: numSynthetic, values: synthetic };

  if (k > 1) {
    const labels = Int32Array.from({ length: numSynthetic }, (_, i) =>
      argmax(scores.subarray(i * k, (i + 1) * k)),
    );
    const fit = classificationSimpleModel(
      simpleModelType,
      { design, n: numSynthetic, m, weights, numImportant, queryRow },
      labels,
      k,
      target,
    );
    let agree = 0;
    let sw = 0;
    for (let i = 0; i < numSynthetic; i++) {
      if (fit.agrees(i, labels[i])) agree += weights[i];
      sw += weights[i];
    }
    const simpleClass = fit.atQuery;
    return {
      ...common,
      task: 'classification',
      classes: names,
      ...ordered(fit),
      ...(fit.intercept !== undefined ? { intercept: fit.intercept } : {}),
      blackboxFitted: names[predicted],
      simpleModelFitted: simpleClass >= 0 ? names[simpleClass] : `not ${names[target]}`,
      goodnessOfFit: { accuracy: agree / sw },
      forwardRows: scorer.rowsEvaluated,
      syntheticData: sample,
    };
  }

  const y = Float64Array.from({ length: numSynthetic }, (_, i) => scores[i]);
  const fit =
    simpleModelType === 'linear'
      ? linearSimpleModel(design, numSynthetic, m, y, weights, numImportant, queryRow)
      : treeSimpleModel(design, numSynthetic, m, y, weights, numImportant, queryRow);
  let mse = 0;
  let sw = 0;
  for (let i = 0; i < numSynthetic; i++) {
    mse += weights[i] * (y[i] - fit.predictions[i]) ** 2;
    sw += weights[i];
  }
  return {
    ...common,
    task: 'regression',
    ...ordered(fit),
    ...(fit.intercept !== undefined ? { intercept: fit.intercept } : {}),
    blackboxFitted: queryScores[0],
    simpleModelFitted: fit.atQuery,
    goodnessOfFit: { r2: weightedR2(y, fit.predictions, weights), mse: mse / sw },
    forwardRows: scorer.rowsEvaluated,
    syntheticData: sample,
  };
}

function singleOutput(target: ClassTarget): number {
  if (target !== 0)
    throw new OptionError('INVALID_OPTION', 'the model has a single output: the only target is 0');
  return 0;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Per-feature standard deviation of the data (1 where constant). */
function dataScales(values: Float32Array, m: number): Float64Array {
  const n = values.length / m;
  const mean = new Float64Array(m);
  const sq = new Float64Array(m);
  for (let i = 0; i < values.length; i++) mean[i % m] += values[i] / n;
  for (let i = 0; i < values.length; i++) sq[i % m] += (values[i] - mean[i % m]) ** 2 / Math.max(1, n - 1);
  return sq.map((v) => (v > 0 ? Math.sqrt(v) : 1));
}

type RowDistance = (rows: Float32Array, offset: number, query: Float32Array) => number;

function rowDistance(kind: LimeDistance, categorical: readonly boolean[], scales: Float64Array): RowDistance {
  const m = categorical.length;
  return (rows, offset, query) => {
    let acc = 0;
    for (let f = 0; f < m; f++) {
      const raw = rows[offset + f] - query[f];
      const g = categorical[f]
        ? raw === 0
          ? 0
          : 1
        : Math.abs(kind === 'seuclidean' ? raw / scales[f] : raw);
      if (kind === 'cityblock') acc += g;
      else if (kind === 'chebychev') acc = Math.max(acc, g);
      else acc += g * g;
    }
    return kind === 'euclidean' || kind === 'seuclidean' ? Math.sqrt(acc) : acc;
  };
}

function nearestRows(
  values: Float32Array,
  m: number,
  query: Float32Array,
  k: number,
  measure: RowDistance,
): Float32Array {
  const n = values.length / m;
  const d = Float64Array.from({ length: n }, (_, r) => measure(values, r * m, query));
  const order = Array.from({ length: n }, (_, r) => r).sort((a, b) => d[a] - d[b] || a - b);
  const take = order.slice(0, Math.min(k, n));
  const out = new Float32Array(take.length * m);
  take.forEach((r, i) => out.set(values.subarray(r * m, (r + 1) * m), i * m));
  return out;
}

/** Numeric features ~ N(mean, std) of the source rows; categorical ones drawn from their level frequencies. */
function drawSynthetic(
  source: Float32Array,
  m: number,
  categorical: readonly boolean[],
  count: number,
  random: Random,
): Float32Array {
  const n = source.length / m;
  const mean = new Float64Array(m);
  const std = new Float64Array(m);
  for (let i = 0; i < source.length; i++) mean[i % m] += source[i] / n;
  for (let i = 0; i < source.length; i++) std[i % m] += (source[i] - mean[i % m]) ** 2 / Math.max(1, n - 1);
  for (let f = 0; f < m; f++) std[f] = Math.sqrt(std[f]);
  const out = new Float32Array(count * m);
  for (let i = 0; i < count; i++) {
    for (let f = 0; f < m; f++) {
      out[i * m + f] = categorical[f] ? source[random.nextInt(n) * m + f] : random.normal(mean[f], std[f]);
    }
  }
  return out;
}

interface SimpleFit {
  indices: number[];
  coefficients: Float64Array;
  intercept?: number;
  predictions: Float64Array;
  atQuery: number;
}

function columns(design: Float64Array, n: number, m: number, indices: readonly number[]): Float64Array {
  const out = new Float64Array(n * indices.length);
  for (let i = 0; i < n; i++) indices.forEach((f, j) => (out[i * indices.length + j] = design[i * m + f]));
  return out;
}

function fitLinear(
  design: Float64Array,
  n: number,
  m: number,
  y: Float64Array,
  w: Float64Array,
  indices: readonly number[],
) {
  return fitWeightedRidge(
    {
      features: columns(design, n, m, indices),
      samples: n,
      numFeatures: indices.length,
      targets: y,
      weights: w,
    },
    0,
  );
}

/**
 * Orthogonal matching pursuit with weights: repeatedly add the feature whose (weighted, standardised) column
 * best explains the current residual, refitting on the chosen ones each time.
 */
function pursuit(
  design: Float64Array,
  n: number,
  m: number,
  y: Float64Array,
  w: Float64Array,
  k: number,
): number[] {
  const chosen: number[] = [];
  let residual = Float64Array.from(y);
  let sw = 0;
  for (let i = 0; i < n; i++) sw += w[i];
  const wmean = (get: (i: number) => number) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += w[i] * get(i);
    return s / sw;
  };
  while (chosen.length < k) {
    const rMean = wmean((i) => residual[i]);
    let best = -1;
    let bestScore = -1;
    for (let f = 0; f < m; f++) {
      if (chosen.includes(f)) continue;
      const xMean = wmean((i) => design[i * m + f]);
      let cov = 0;
      let varX = 0;
      for (let i = 0; i < n; i++) {
        const dx = design[i * m + f] - xMean;
        cov += w[i] * dx * (residual[i] - rMean);
        varX += w[i] * dx * dx;
      }
      const s = varX > 0 ? Math.abs(cov) / Math.sqrt(varX) : 0;
      if (s > bestScore) [best, bestScore] = [f, s];
    }
    chosen.push(best);
    if (chosen.length === k) break;
    const fit = fitLinear(design, n, m, y, w, chosen);
    residual = Float64Array.from(y, (v, i) => v - fit.predictions[i]);
  }
  return chosen;
}

function linearSimpleModel(
  design: Float64Array,
  n: number,
  m: number,
  y: Float64Array,
  w: Float64Array,
  k: number,
  queryRow: Float64Array,
): SimpleFit {
  const chosen = pursuit(design, n, m, y, w, k);
  const fit = fitLinear(design, n, m, y, w, chosen);
  let atQuery = fit.intercept ?? 0;
  chosen.forEach((f, j) => (atQuery += fit.importance[j] * queryRow[f]));
  return {
    indices: chosen,
    coefficients: fit.importance,
    intercept: fit.intercept,
    predictions: fit.predictions,
    atQuery,
  };
}

interface SyntheticDesign {
  design: Float64Array;
  n: number;
  m: number;
  weights: Float64Array;
  numImportant: number;
  queryRow: Float64Array;
}

interface ClassificationFit {
  indices: number[];
  coefficients: Float64Array;
  intercept?: number;
  /** The simple model's class at the query point; −1: "not the positive class" (linear). */
  atQuery: number;
  /** Whether the simple model's decision on synthetic row i matches the model's class there. */
  agrees(i: number, label: number): boolean;
}

/**
 * 'linear': the positive class against the rest — features chosen by the pursuit on the 0/1 response,
 * then a weighted logistic regression on them. 'tree': a weighted classification tree of every class on
 * all features, whose most important ones are kept and refitted.
 */
function classificationSimpleModel(
  type: 'linear' | 'tree',
  { design, n, m, weights, numImportant, queryRow }: SyntheticDesign,
  labels: Int32Array,
  classes: number,
  positive: number,
): ClassificationFit {
  if (type === 'linear') {
    const y = Float64Array.from(labels, (c) => (c === positive ? 1 : 0));
    const chosen = pursuit(design, n, m, y, weights, numImportant);
    const fit = fitWeightedLogistic(columns(design, n, m, chosen), chosen.length, y, weights);
    let atQuery = fit.intercept;
    chosen.forEach((f, j) => (atQuery += fit.coefficients[j] * queryRow[f]));
    return {
      indices: chosen,
      coefficients: fit.coefficients,
      intercept: fit.intercept,
      atQuery: atQuery > 0 ? positive : -1,
      agrees: (i, label) => fit.logOdds[i] > 0 === (label === positive),
    };
  }
  const all = Array.from({ length: m }, (_, f) => f);
  const first = fitClassificationTree(design, m, labels, classes, weights);
  const chosen = all
    .sort((a, b) => first.importance[b] - first.importance[a] || a - b)
    .slice(0, numImportant);
  const x = columns(design, n, m, chosen);
  const tree = fitClassificationTree(x, chosen.length, labels, classes, weights);
  return {
    indices: chosen,
    coefficients: tree.importance,
    atQuery: predictTree(
      tree.root,
      Float64Array.from(chosen, (f) => queryRow[f]),
    ),
    agrees: (i, label) => predictTree(tree.root, x, i * chosen.length) === label,
  };
}

function treeSimpleModel(
  design: Float64Array,
  n: number,
  m: number,
  y: Float64Array,
  w: Float64Array,
  k: number,
  queryRow: Float64Array,
): SimpleFit {
  const all = Array.from({ length: m }, (_, f) => f);
  const first = fitRegressionTree(design, m, y, w);
  const chosen = all.sort((a, b) => first.importance[b] - first.importance[a] || a - b).slice(0, k);
  const x = columns(design, n, m, chosen);
  const tree = fitRegressionTree(x, chosen.length, y, w);
  const predictions = Float64Array.from({ length: n }, (_, i) =>
    predictTree(tree.root, x, i * chosen.length),
  );
  const atQuery = predictTree(
    tree.root,
    Float64Array.from(chosen, (f) => queryRow[f]),
  );
  return { indices: chosen, coefficients: tree.importance, predictions, atQuery };
}
