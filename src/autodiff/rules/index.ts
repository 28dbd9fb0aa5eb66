/**
 * The backprop-rule registry: op type → rule. `gradient` is the exact derivative; a variant (`guided`,
 * `deconvnet`) lists only the ops it changes and falls back to the exact rule for every other op.
 */
import type { BackpropRule } from '../../types.js';
import type { Rule } from '../context.js';
import { activationRules } from './activations.js';
import { arithmeticRules } from './arithmetic.js';
import { convRules } from './conv.js';
import { deconvnetRules } from './deconvnet.js';
import { guidedRules } from './guided.js';
import { linearRules } from './linear.js';
import { poolingRules } from './pooling.js';
import { shapeRules } from './shape.js';
import { softmaxRules } from './softmax.js';
import { concatRules } from './concat.js';
import { geluRules } from './gelu.js';
import { indexingRules } from './indexing.js';
import { layoutRules } from './layout.js';
import { normalizationRules } from './normalization.js';
import { padRules } from './pad.js';
import { rectifierRules } from './rectifiers.js';
import { recurrentRules } from './recurrent.js';
import { reduceRules } from './reduce.js';
import { resizeRules } from './resize.js';
import { sigmoidRules } from './sigmoids.js';
import { broadcastRules } from './broadcast.js';
import { piecewiseConstantRules } from './piecewise-constant.js';
import { softActivationRules } from './soft-activations.js';
import { trigonometricRules } from './trigonometric.js';
import { lossRules } from './losses.js';
import { selectionRules } from './selection.js';
import { generatorRules } from './generators.js';
import { gridSampleRules } from './grid-sample.js';
import { roiAlignRules } from './roi-align.js';
import { fourierRules } from './fourier.js';
import { linearAlgebraRules } from './linear-algebra.js';

export type RuleTable = Readonly<Record<string, Rule>>;

/** One table per op family; a new family file adds its table here. */
const families: RuleTable[] = [
  arithmeticRules,
  activationRules,
  shapeRules,
  convRules,
  linearRules,
  softmaxRules,
  poolingRules,
  rectifierRules,
  sigmoidRules,
  geluRules,
  normalizationRules,
  reduceRules,
  layoutRules,
  concatRules,
  indexingRules,
  padRules,
  resizeRules,
  broadcastRules,
  piecewiseConstantRules,
  softActivationRules,
  trigonometricRules,
  lossRules,
  selectionRules,
  generatorRules,
  gridSampleRules,
  roiAlignRules,
  fourierRules,
  linearAlgebraRules,
  recurrentRules,
];

const exactRules: RuleTable = Object.assign({}, ...families) as RuleTable;

const variants: Record<BackpropRule, RuleTable> = {
  gradient: {},
  guided: guidedRules,
  deconvnet: deconvnetRules,
};

export function exactRuleFor(opType: string): Rule | undefined {
  return Object.hasOwn(exactRules, opType) ? exactRules[opType] : undefined;
}

export function ruleFor(opType: string, rule: BackpropRule): Rule | undefined {
  const variant = variants[rule];
  return Object.hasOwn(variant, opType) ? variant[opType] : exactRuleFor(opType);
}

/** Op types with an exact backprop rule, sorted. */
export function differentiableOps(): string[] {
  return Object.keys(exactRules).sort();
}
