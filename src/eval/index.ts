/** Trust metrics for map methods: faithfulness, robustness, sanity checks, localisation, complexity. */
export { evaluateExplainers, checkMetricIds, rankMethods } from './evaluate.js';
export type {
  EvaluateOptions,
  Evaluation,
  MethodEvaluation,
  MethodCurves,
  RandomizationCurve,
} from './evaluate.js';
export { METRICS, METRIC_IDS, type MetricId, type MetricSpec, type MetricColumn } from './metrics.js';
export type { MapBatch, MetricOptions } from './context.js';
export {
  deletionCurves,
  insertionCurves,
  relevanceGame,
  type DeletionOptions,
  type GameCurves,
} from './deletion.js';
export { road, type RoadOptions, type RoadResult } from './road.js';
export { faithfulnessCorrelation, type FaithfulnessCorrelationOptions } from './faithfulness-correlation.js';
export { infidelity, type InfidelityOptions } from './infidelity.js';
export { sensitivity, type SensitivityOptions, type SensitivityResult } from './sensitivity.js';
export {
  modelRandomization,
  randomLogit,
  SANITY_SPEARMAN_THRESHOLD,
  type RandomizationSource,
  type RandomizationOptions,
  type RandomizationResult,
  type RandomLogitResult,
} from './sanity.js';
export { localisation, type GroundTruth, type LocalisationResult } from './localisation.js';
export { giniSparseness, mapEntropy } from './complexity.js';
export { mapSimilarity, mapSsim, hogSimilarity, type MapSimilarity } from './similarity.js';
export { spearman, pearson, bootstrapMean, type Interval } from './stats.js';
export { explainerFunction, type ExplainFunction } from './explain-fn.js';
export { REPLACEMENTS, type Replacement } from './replacement.js';
