/**
 * Input kinds at the command-line edge: the model's input description (`netlens.input.kind`) picks how
 * arguments are loaded and results drawn. 'image' (and a model without a description) is the image path
 * through ../images.ts, written in each command; other kinds register their handlers here.
 */
import type { Explainer } from '../../explainers/index.js';
import type { OnnxModel } from '../../model.js';
import { sequenceInputs } from './sequence.js';

export interface ExplainCall {
  model: OnnxModel;
  explainer: Explainer;
  /** File / folder arguments. */
  args: string[];
  /** Parsed method options (target included). */
  options: Record<string, unknown>;
  out?: string;
  json: boolean;
}

export interface ActivationsCall {
  model: OnnxModel;
  args: string[];
  layer?: string;
  out?: string;
  json: boolean;
}

export interface ReportCall {
  model: OnnxModel;
  modelName: string;
  args: string[];
  out: string;
  limit?: number;
  /** Report sections to run (ids), default all. */
  only?: string[];
  seed: number;
  /** A bundled sample set or a folder for the data set sections. */
  samples?: string;
  dataset?: string;
  datasetLimit?: number;
  json: boolean;
  progress: boolean;
}

export interface InputKindHandler {
  /** A heat-map explainer command (`netlens occlusion`, `netlens saliency`, ...). */
  explain(call: ExplainCall): Promise<void>;
  /** `netlens activations`. */
  activations(call: ActivationsCall): Promise<void>;
  /** `netlens report`. */
  report(call: ReportCall): Promise<void>;
}

const KINDS: Record<string, InputKindHandler> = {
  sequence: sequenceInputs,
};

/** The handler of the model's input kind, or undefined for images (the commands' own path). */
export function inputKindHandler(model: OnnxModel): InputKindHandler | undefined {
  const kind = model.inputDescription?.kind;
  return typeof kind === 'string' && Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined;
}
