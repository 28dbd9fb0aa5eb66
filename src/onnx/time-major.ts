/**
 * Time-major sequence inputs ([T, N, C], e.g. an ONNX LSTM with layout 0 fed straight from the graph input)
 * are read batch-first: one Transpose at the front of a copy of the graph turns the input into [N, T, C].
 * The model then computes the same function of the same numbers, and everything that batches, slices or
 * probes along axis 0 (runs, VJPs, shape probes) sees the batch there, as for any other model.
 */
import { UnsupportedError } from '../errors.js';
import { consumersOf, feedInputs, nodeInputs } from './graph.js';
import { INPUT_KEY } from './metadata.js';
import {
  DataType,
  attrInt,
  cloneModel,
  makeNode,
  valueInfoElemType,
  valueInfoShape,
  type ModelProto,
  type NodeProto,
} from './proto.js';

const RECURRENT_OPS = new Set(['LSTM', 'GRU', 'RNN']);

function readsAsSequence(node: NodeProto, input: string): boolean {
  return RECURRENT_OPS.has(node.opType ?? '') && node.input?.[0] === input;
}

/**
 * Whether `input` is time-major: the declared layout when there is one ('TNC' is time-major, any other
 * is not), else the graph's word for it: a rank-3 input read as X by a recurrent node with layout 0 (and by
 * none with layout 1).
 */
export function isTimeMajorInput(model: ModelProto, input: string, declaredLayout: unknown): boolean {
  if (typeof declaredLayout === 'string') return declaredLayout === 'TNC';
  const graph = model.graph;
  const info = graph ? feedInputs(graph).find((v) => v.name === input) : undefined;
  if (!graph || !info || valueInfoShape(info)?.length !== 3) return false;
  const recurrent = consumersOf(graph, input).filter((n) => readsAsSequence(n, input));
  return recurrent.length > 0 && recurrent.every((n) => attrInt(n, 'layout', 0) === 0);
}

export type SequenceLayout = 'NTC' | 'TNC' | 'NCT';

/** The model's first float32 input, the one netlens feeds (as OnnxModel picks it). */
function mainInputName(model: ModelProto): string | undefined {
  const graph = model.graph;
  const input = graph ? feedInputs(graph).find((v) => valueInfoElemType(v) === DataType.FLOAT) : undefined;
  return input?.name ?? undefined;
}

/**
 * `model` read batch-first when its main input is time-major (see `isTimeMajorInput`; `declared` is the
 * layout the caller or the model's `netlens.input` gives), else undefined.
 */
export function readBatchFirst(
  model: ModelProto,
  declared: unknown,
): { model: ModelProto; note: string } | undefined {
  const input = mainInputName(model);
  if (input === undefined || !isTimeMajorInput(model, input, declared)) return undefined;
  return {
    model: batchFirstInput(model, input),
    note: `time-major input '${input}' [T, N, C] read batch-first as [N, T, C] through a Transpose (same function)`,
  };
}

/**
 * A copy of `model` whose input `input` is [N, T, C] where the original takes [T, N, C]: a Transpose feeds
 * the original consumers. A `netlens.input` description saying 'TNC' is rewritten to 'NTC'.
 */
export function batchFirstInput(model: ModelProto, input: string): ModelProto {
  const copy = cloneModel(model);
  const graph = copy.graph;
  const info = graph?.input?.find((v) => v.name === input);
  const dims = info?.type?.tensorType?.shape?.dim;
  if (!graph || !info || !dims || dims.length !== 3) {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      `'${input}' is not a rank-3 input: cannot read it batch-first`,
    );
  }
  const inner = `${input}::time_major`;
  for (const node of graph.node ?? []) {
    const outerRead = nodeInputs(node).filter((name) => name === input).length;
    if (outerRead > (node.input ?? []).filter((name) => name === input).length) {
      throw new UnsupportedError(
        'UNSUPPORTED_MODEL',
        `'${input}' is time-major and read inside a subgraph of '${node.name ?? node.opType}': cannot read it batch-first`,
      );
    }
    node.input = (node.input ?? []).map((name) => (name === input ? inner : name));
  }
  graph.node = [makeNode('Transpose', [input], [inner], { perm: [1, 0, 2] }), ...(graph.node ?? [])];
  info.type!.tensorType!.shape!.dim = [dims[1], dims[0], dims[2]];
  for (const prop of copy.metadataProps ?? []) {
    if (prop.key !== INPUT_KEY || !prop.value) continue;
    try {
      const description = JSON.parse(prop.value) as Record<string, unknown>;
      if (description.layout === 'TNC') prop.value = JSON.stringify({ ...description, layout: 'NTC' });
    } catch {
      // An unreadable description is reported where it is read.
    }
  }
  return copy;
}
