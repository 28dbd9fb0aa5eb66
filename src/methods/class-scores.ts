/**
 * The class score that perturbation methods compare: the softmax probability (what MATLAB's
 * occlusionSensitivity and imageLIME use for classification networks) or the raw pre-softmax score.
 */
import { TargetError, UnsupportedError } from '../errors.js';
import type { BatchOptions, Model, TensorData } from '../types.js';
import { resolveTarget, type ResolvedTarget, type Target } from './target.js';

export type ScoreKind = 'probability' | 'logit';

/** Scores of a batch as a [N, C] tensor. */
export type ClassScorer = (batch: TensorData, options?: BatchOptions) => Promise<TensorData>;

export async function classScorer(model: Model, kind: ScoreKind): Promise<ClassScorer> {
  if (kind === 'probability') {
    return async (batch, options) => (await model.predict(batch, options)).probabilities;
  }
  // The reduction layer is the tensor feeding the final Softmax (the main output for logit models).
  const layer = await model.reductionLayer();
  return async (batch, options) => {
    const out = (await model.run(batch, [layer], options))[layer];
    const n = batch.dims[0];
    return { data: out.data, dims: [n, out.data.length / n] };
  };
}

/** Whether perturbation methods can read the main output as one class vector per item. */
export function servesClassScores(model: Model): boolean {
  const kind = model.outputDescriptions?.[0]?.kind;
  return kind === undefined || kind === 'class-scores';
}

/** Throws, naming the method, when the main output is not class scores (a dense map, a sequence, ...). */
export function requireClassScores(model: Model, method: string): void {
  const d = model.outputDescriptions?.[0];
  if (d && d.kind !== 'class-scores') {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      `${method} explains class scores [N, K]; output '${d.name}' is a ${d.kind.replace('-', ' ')} ` +
        `(use occlusion or a gradient method, which take region and time-step targets)`,
    );
  }
}

/**
 * Any target, for perturbation methods: resolved once on the unperturbed batch as a seed on the output (in
 * probability space) or its logits, so the explained value of a perturbed copy of image b is <tensor, seed_b>.
 */
export interface TargetValues {
  resolved: ResolvedTarget;
  /** Runs a perturbed batch: each row is one copy's target tensor, flattened. */
  scorer: ClassScorer;
  /** The explained value of one flattened row for image `image`. */
  value(row: Float32Array, image: number): number;
}

export async function targetValues(
  model: Model,
  target: Target,
  input: TensorData,
  kind: ScoreKind,
  options: BatchOptions = {},
): Promise<TargetValues> {
  const tensor = kind === 'probability' ? model.outputName : await model.reductionLayer();
  const run = async (batch: TensorData, opts?: BatchOptions): Promise<TensorData> =>
    kind === 'probability'
      ? (await model.predict(batch, opts)).probabilities
      : (await model.run(batch, [tensor], opts))[tensor];
  const base = await run(input, { miniBatchSize: options.miniBatchSize });
  const resolved = resolveTarget(model, target, tensor, base);
  if (resolved.perImage !== 1) {
    throw new TargetError('INVALID_TARGET', 'perturbation methods explain one target per image');
  }
  const size = resolved.seeds.data.length / resolved.seeds.dims[0];
  return {
    resolved,
    scorer: async (batch, opts) => {
      const out = await run(batch, opts);
      return { data: out.data, dims: [batch.dims[0], out.data.length / batch.dims[0]] };
    },
    value: (row, image) => {
      const seed = resolved.seeds.data.subarray(image * size, (image + 1) * size);
      let s = 0;
      for (let i = 0; i < size; i++) if (seed[i] !== 0) s += row[i] * seed[i];
      return s;
    },
  };
}
