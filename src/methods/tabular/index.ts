/** Table models: MATLAB's `lime` and `shapley` over raw rows matched to the model's features. */
export {
  isTableModel,
  featureIndex,
  standardize,
  tableSchema,
  type CategoricalPredictors,
  type TableSchema,
} from './schema.js';
export { TABLE_MINI_BATCH, tableScorer, type TableScorer, type TableScoreKind } from './scorer.js';
export {
  shapley,
  shapleyEvaluation,
  type ShapleyEvaluation,
  type TableShapleyExplanation,
  type TableShapleyOptions,
  type TableShapleyResult,
} from './shapley.js';
export {
  lime,
  type LimeDistance,
  type TableLimeClassification,
  type TableLimeOptions,
  type TableLimeRegression,
  type TableLimeResult,
} from './lime.js';
export {
  beeswarmSpec,
  dependenceSpec,
  limeBarSpec,
  limeFitSummary,
  meanAbsoluteShapleySpec,
  shapleyBarSpec,
  waterfallSpec,
} from './plots.js';
export { conditionalNeighbours, tableGame, type ShapleyMethod } from './value-functions.js';
export { inlineRowExecutor, type RowStreamExecutor, type RowStreamSpec } from './interventional.js';
