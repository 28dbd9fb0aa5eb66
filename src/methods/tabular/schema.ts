/**
 * What a table model expects per column: the feature names in input order, the standardisation recorded with
 * the model (x = (raw − mean) / std, applied by netlens so users pass raw values), and which predictors are
 * categorical with, where known, their levels in code order. Read from the model's `netlens.input` metadata
 * (kind 'table'); a model without it but with a [N, F] input gets the names x0..x(F−1) and no standardisation.
 */
import { ModelError, OptionError } from '../../errors.js';
import type { InputDescription } from '../../onnx/metadata.js';
import type { Model } from '../../types.js';

export interface TableSchema {
  features: string[];
  /** Per feature; undefined where the model records no standardisation. */
  mean?: Float64Array;
  std?: Float64Array;
  /** Per feature: whether it is categorical (its values are level codes 0, 1, ...). */
  categorical: boolean[];
  /** Per feature: the level names in code order, where the model records them. */
  levels: (string[] | undefined)[];
}

/** Which predictors are categorical: names or column indices (MATLAB's CategoricalPredictors). */
export type CategoricalPredictors = readonly (string | number)[];

function describedInput(model: Model): InputDescription | undefined {
  return 'inputDescription' in model ? (model.inputDescription as InputDescription | undefined) : undefined;
}

/** Whether the model takes a table: described as one, or a plain [N, F] input with no other description. */
export function isTableModel(model: Model): boolean {
  const description = describedInput(model);
  if (description?.kind !== undefined) return description.kind === 'table';
  const input = model.inputs.find((i) => i.name === model.inputName);
  return input?.shape.length === 2 && !model.inputSpec;
}

function numberList(value: unknown, what: string, length: number): Float64Array {
  if (!Array.isArray(value) || value.length !== length || value.some((v) => typeof v !== 'number')) {
    throw new ModelError('INVALID_MODEL', `table input ${what} must be ${length} numbers`);
  }
  return Float64Array.from(value as number[]);
}

export function tableSchema(model: Model, categoricalPredictors: CategoricalPredictors = []): TableSchema {
  const description = describedInput(model) ?? {};
  const input = model.inputs.find((i) => i.name === model.inputName);
  const width = input?.shape.length === 2 ? input.shape[1] : undefined;
  let features: string[];
  if (description.features !== undefined) {
    const names = description.features;
    if (!Array.isArray(names) || names.some((n) => typeof n !== 'string') || names.length === 0) {
      throw new ModelError('INVALID_MODEL', 'table input features must be a non-empty list of names');
    }
    features = names as string[];
    if (typeof width === 'number' && width !== features.length) {
      throw new ModelError(
        'INVALID_MODEL',
        `the model names ${features.length} features but its input has ${width} columns`,
      );
    }
  } else if (typeof width === 'number') {
    features = Array.from({ length: width }, (_, i) => `x${i}`);
  } else {
    throw new ModelError(
      'UNSUPPORTED_MODEL',
      'the model input is not a [N, F] table with a known number of features',
    );
  }
  const m = features.length;
  const schema: TableSchema = {
    features,
    categorical: new Array<boolean>(m).fill(false),
    levels: new Array<string[] | undefined>(m).fill(undefined),
  };
  if (description.mean !== undefined || description.std !== undefined) {
    schema.mean = numberList(description.mean, 'mean', m);
    schema.std = numberList(description.std, 'std', m);
    if (schema.std.some((s) => !(s > 0)))
      throw new ModelError('INVALID_MODEL', 'table input std must be positive');
  }
  const declared = description.categories;
  if (declared !== undefined) {
    if (typeof declared !== 'object' || declared === null || Array.isArray(declared)) {
      throw new ModelError('INVALID_MODEL', 'table input categories must map feature names to level lists');
    }
    for (const [name, levels] of Object.entries(declared as Record<string, unknown>)) {
      const f = features.indexOf(name);
      if (f < 0)
        throw new ModelError('INVALID_MODEL', `table input categories name unknown feature '${name}'`);
      if (!Array.isArray(levels) || levels.length === 0 || levels.some((l) => typeof l !== 'string')) {
        throw new ModelError('INVALID_MODEL', `table input categories of '${name}' must be a list of names`);
      }
      schema.categorical[f] = true;
      schema.levels[f] = levels as string[];
    }
  }
  for (const predictor of categoricalPredictors) schema.categorical[featureIndex(schema, predictor)] = true;
  return schema;
}

/** Column index of a feature given by name or index, with a one-line error naming the choices. */
export function featureIndex(schema: Pick<TableSchema, 'features'>, feature: string | number): number {
  const { features } = schema;
  if (typeof feature === 'number') {
    if (Number.isInteger(feature) && feature >= 0 && feature < features.length) return feature;
    throw new OptionError(
      'INVALID_OPTION',
      `feature index ${feature} is out of range 0..${features.length - 1}`,
    );
  }
  const f = features.indexOf(feature);
  if (f < 0) {
    throw new OptionError(
      'INVALID_OPTION',
      `unknown feature '${feature}': expected one of ${features.join(', ')}`,
    );
  }
  return f;
}

/** Raw rows → what the model takes: the recorded standardisation applied per feature. */
export function standardize(schema: TableSchema, raw: Float32Array): Float32Array {
  const { mean, std } = schema;
  if (!mean || !std) return raw;
  const m = schema.features.length;
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i += m) {
    for (let f = 0; f < m; f++) out[i + f] = (raw[i + f] - mean[f]) / std[f];
  }
  return out;
}
