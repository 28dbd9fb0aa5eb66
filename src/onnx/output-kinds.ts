/**
 * What each model output is, decided once from the graph (its final activation), the declared shape, the
 * labels and the metadata (`netlens.output`, `netlens.task`), and overridable by option: class scores
 * [N, K], a dense map [N, K, H, W], a sequence of class scores [N, T, K] or a regression. Every command reads
 * this description: what `predict` prints, which targets apply, probability vs logit.
 */
import { ModelError, OptionError } from '../errors.js';
import type { OutputActivation, OutputDescription, OutputKind, TensorInfo } from '../types.js';
import { producerOf } from './graph.js';
import type { ModelProto } from './proto.js';

export const OUTPUT_KEY = 'netlens.output';
export const OUTPUT_KINDS: readonly OutputKind[] = ['class-scores', 'dense-map', 'sequence', 'regression'];

/** Ops that hand a value through unchanged (so an activation before them is still the output's). */
const PASS_THROUGH = new Set([
  'Identity',
  'Flatten',
  'Reshape',
  'Squeeze',
  'Unsqueeze',
  'Dropout',
  'Transpose',
]);
const ACTIVATIONS: Record<string, OutputActivation> = {
  Softmax: 'softmax',
  LogSoftmax: 'log-softmax',
  Sigmoid: 'sigmoid',
};
/** Label names that mark class 0 as a CTC blank. */
const BLANK_LABELS = new Set(['blank', '<blank>', '<b>', '_', '-', '']);

export interface OutputKindContext {
  proto: ModelProto;
  outputs: readonly TensorInfo[];
  labels: readonly string[] | undefined;
  metadata: Record<string, string>;
  task: string | undefined;
  /** Layer layout: a dense map's class axis is 1 (NCHW) or 3 (NHWC). */
  layout: 'NCHW' | 'NHWC';
  /** Kinds given by the user, by output name ('' = the main output). */
  overrides?: Record<string, OutputKind>;
  source: string;
}

interface Declared {
  kind?: OutputKind;
  decoding?: 'ctc' | 'argmax';
  blank?: number;
}

function declaredInMetadata(metadata: Record<string, string>, source: string): Declared {
  const text = metadata[OUTPUT_KEY];
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ModelError('INVALID_MODEL', `${source} metadata '${OUTPUT_KEY}' is not valid JSON`);
  }
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const kind = v.kind;
  if (kind !== undefined && !OUTPUT_KINDS.includes(kind as OutputKind)) {
    throw new ModelError(
      'INVALID_MODEL',
      `${source} metadata '${OUTPUT_KEY}' kind '${String(kind)}' is not one of ${OUTPUT_KINDS.join(', ')}`,
    );
  }
  return {
    ...(kind ? { kind: kind as OutputKind } : {}),
    ...(v.decoding === 'ctc' || v.decoding === 'argmax' ? { decoding: v.decoding } : {}),
    ...(typeof v.blank === 'number' ? { blank: v.blank } : {}),
  };
}

/** The activation that ends the graph at `output` (through pass-through ops) and the tensor it is applied to. */
export function finalActivation(
  proto: ModelProto,
  output: string,
): { activation: OutputActivation; logits: string; axis?: number } {
  const graph = proto.graph!;
  let node = producerOf(graph, output);
  while (node && PASS_THROUGH.has(node.opType ?? '')) node = producerOf(graph, node.input?.[0] ?? '');
  const activation = node ? ACTIVATIONS[node.opType ?? ''] : undefined;
  if (!node || !activation) return { activation: 'none', logits: output };
  const axisAttr = node.attribute?.find((a) => a.name === 'axis');
  const axis = axisAttr ? Number(axisAttr.i ?? 0) : undefined;
  return { activation, logits: node.input?.[0] ?? output, ...(axis !== undefined ? { axis } : {}) };
}

function describeOne(ctx: OutputKindContext, info: TensorInfo, main: boolean): OutputDescription {
  const declared = main ? declaredInMetadata(ctx.metadata, ctx.source) : {};
  const { activation, logits } = finalActivation(ctx.proto, info.name);
  const rank = info.shape.length;
  const dim = (axis: number) =>
    typeof info.shape[axis] === 'number' ? (info.shape[axis] as number) : undefined;
  const override = ctx.overrides?.[info.name] ?? (main ? ctx.overrides?.[''] : undefined);
  let kind: OutputKind;
  let why: string;
  if (override) {
    kind = override;
    why = 'set by the user';
  } else if (declared.kind) {
    kind = declared.kind;
    why = `metadata '${OUTPUT_KEY}'`;
  } else if (main && /regression/i.test(ctx.task ?? '')) {
    kind = 'regression';
    why = `task '${ctx.task}'`;
  } else if (rank === 4) {
    kind = 'dense-map';
    why = `rank-4 output (${ctx.layout})`;
  } else if (rank === 3) {
    kind = 'sequence';
    why = 'rank-3 output [N, T, K]';
  } else if (rank === 2) {
    const k = dim(1);
    const oneLabel = main && ctx.labels?.length === 1;
    if (k === 1 && activation !== 'sigmoid' && !oneLabel) {
      kind = 'regression';
      why = 'one value per item without a sigmoid or a label';
    } else {
      kind = 'class-scores';
      why = k === 1 ? 'one class score per item (sigmoid probability)' : 'rank-2 output [N, K]';
    }
  } else {
    kind = 'regression';
    why = `rank-${rank} output`;
  }
  const classAxis =
    kind === 'dense-map'
      ? ctx.layout === 'NHWC'
        ? 3
        : 1
      : kind === 'sequence'
        ? 2
        : kind === 'class-scores'
          ? 1
          : -1;
  const classes = classAxis >= 0 ? dim(classAxis) : undefined;
  const description: OutputDescription = {
    name: info.name,
    kind,
    activation,
    logits,
    classAxis,
    ...(classes !== undefined ? { classes } : {}),
    why,
  };
  if (kind === 'sequence') {
    const labels = main ? ctx.labels : undefined;
    const blankLabel = labels && labels.length > 0 && BLANK_LABELS.has(labels[0].trim().toLowerCase());
    description.decoding = declared.decoding ?? (blankLabel ? 'ctc' : 'argmax');
    if (description.decoding === 'ctc') description.blank = declared.blank ?? 0;
  }
  return description;
}

/** One description per graph output, in the graph's order (the first is the main output). */
export function describeOutputs(ctx: OutputKindContext): OutputDescription[] {
  for (const name of Object.keys(ctx.overrides ?? {})) {
    if (name !== '' && !ctx.outputs.some((o) => o.name === name)) {
      throw new OptionError(
        'INVALID_OPTION',
        `outputKinds names '${name}', which is not an output of ${ctx.source} (outputs: ${ctx.outputs.map((o) => o.name).join(', ')})`,
      );
    }
  }
  return ctx.outputs.map((o, i) => describeOne(ctx, o, i === 0));
}

/** "dense map [N, 1, 64, 64], sigmoid" for `info` and messages. */
export function formatOutputDescription(d: OutputDescription): string {
  const act = d.activation === 'none' ? 'no final activation' : d.activation;
  const decoding = d.decoding ? `, ${d.decoding} decoding` : '';
  return `${d.kind.replace('-', ' ')}, ${act}${decoding} (${d.why})`;
}
