/**
 * The coalition graph of a table model: the rows of an interventional coalition game scored and averaged
 * inside one ONNX graph around the model, so no JavaScript touches a row. For G groups (a query point q and a
 * coalition z each) and B background rows b, the row of (g, b) is (q_S, b_¬S), and
 *
 *   means[k, g] = mean over b of score(row (g, b))[k]      (softmax over k first when asked)
 *
 * Two ways to get the rows' scores, same values to float32 rounding:
 * - 'first-layer', where the model starts with an affine first layer (onnx/first-layer.ts: per-feature affine
 *   ops into a Gemm or MatMul, layer(x) = offset + Σ_f x_f·W[f, ·]): that layer's output of row (g, b) is
 *   base_b + Σ_f z_f·(q_f − b_f)·W[f, ·], so one Gemm computes it for all rows of a run,
 *   [G, B·H] = masks [G, F] · shifts [F, B·H] + base [1, B·H], read as [G·B, H]; the rows are never built, the
 *   layer's multiply-adds per row are the model's own (F·H), and the rest of the model runs unchanged.
 *   shifts depend on the query point, so a run holds one query point's groups.
 * - 'rows' otherwise: the rows are built feature-major by one batched MatMul,
 *   rowsᵀ[f, b, g] = bg[b, f]·keep[f, g] + 1·pick[f, g] ([B, 2]·[2, G] per feature, keep = 1 − z, pick = z·q:
 *   one product of each sum is exactly zero, so every row holds the very values, finite inputs), and handed to
 *   the model transposed, which ONNX Runtime folds into a first Gemm. A MatMul, because ONNX Runtime's
 *   broadcasting Where, Mul and Add walk such rows in spans of F values and measured several times dearer.
 *
 * Scores come out class-major: when the scores are a Gemm's output it is rewritten to compute their transpose
 * directly (the same dot products), and the softmax then runs on whole class vectors (Split, Max, Sub, Exp, Sum,
 * Div) instead of one short row at a time.
 */
import { UnsupportedError } from '../errors.js';
import { consumersOf, findInitializer, producerOf, selectOutputs } from './graph.js';
import type { AffineFirstLayer } from './first-layer.js';
import {
  attrInt,
  DataType,
  getAttr,
  int64Tensor,
  makeAttr,
  makeNode,
  makeValueInfo,
  opsetVersion,
  type ModelProto,
  type NodeProto,
  type ValueInfoProto,
} from './proto.js';

export const COALITION_INPUTS = {
  /** [F, B, 2]: background value and 1 per feature and background row (`packBackground`). */
  background: 'netlens/coalition_background',
  /** [F, 2, G]: keep flag and picked query value per feature and group (`packGroups`). */
  groups: 'netlens/coalition_groups',
  /** int64 [3]: K and the two group axes of the rows ([K, B, G] built rows, [K, G, B] first layer). */
  shape: 'netlens/coalition_shape',
  /** First layer: [G, F] coalition flags (0/1), one row per group. */
  masks: 'netlens/coalition_masks',
  /** First layer: [F, B·H] the layer's change per feature when the query's value replaces row b's. */
  shifts: 'netlens/coalition_shifts',
  /** First layer: [1, B·H] the layer's output at each background row. */
  base: 'netlens/coalition_base',
};
export const COALITION_MEANS = 'netlens/coalition_means';

/** Classes up to this many take the softmax as whole class vectors; beyond it the Softmax op (fewer nodes). */
const SPLIT_SOFTMAX_MAX = 16;
/** Unary elementwise ops that may run before the first layer's Reshape (keeping ONNX Runtime's Gemm + activation fusion). */
const ELEMENTWISE = new Set([
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'Elu',
  'Selu',
  'Softplus',
  'HardSigmoid',
]);

export interface CoalitionGraphOptions {
  /** The model's table input, [N, F]. */
  input: string;
  /** The tensor averaged, [N, K]. */
  scores: string;
  numFeatures: number;
  columns: number;
  softmax: boolean;
  /** Build the first layer's output from its parts (see `CoalitionGraphPath`); default: the rows. */
  firstLayer?: AffineFirstLayer;
}

export function coalitionGraph(model: ModelProto, options: CoalitionGraphOptions): ModelProto {
  const { input, scores, numFeatures: m, columns: k, softmax, firstLayer } = options;
  const copy = selectOutputs(model, [scores]);
  const graph = copy.graph as NonNullable<ModelProto['graph']>;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const others = (graph.input ?? []).filter((i) => i.name !== input && !initializers.has(i.name ?? ''));
  if (others.length > 0) {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      `a coalition graph feeds only the table input '${input}'; the model also reads ${others.map((i) => `'${i.name}'`).join(', ')}`,
    );
  }
  const opset = opsetVersion(copy);
  graph.initializer ??= [];
  let count = 0;
  const fresh = (hint: string) => `netlens/coalition_${hint}_${count++}`;
  let nodes: NodeProto[] = [];
  const op = (
    type: string,
    ins: string[],
    attrs: Record<string, number | number[]> = {},
    out = fresh(type),
  ) => {
    nodes.push(makeNode(type, ins, [out], attrs, out));
    return out;
  };
  const ints = (values: number[]) => {
    const name = fresh('ints');
    graph.initializer!.push(int64Tensor(name, [values.length], values));
    return name;
  };

  let feeds: ValueInfoProto[];
  let meanAxis: number;
  let body = graph.node ?? [];
  if (firstLayer) {
    // The first layer's output of row (g, b), [G, B·H] = masks [G, F] · shifts [F, B·H] + base [1, B·H],
    // is its output of the rows (g, b) [G·B, H] read row-major; an activation right after it runs first.
    // By output name: the graph here is a copy.
    const removed = new Set(firstLayer.nodes.map((n) => n.output![0]));
    body = body.filter((n) => !removed.has(n.output?.[0] ?? ''));
    const h = firstLayer.hidden;
    const next = consumersOf(graph, firstLayer.output);
    const activation =
      next.length === 1 &&
      ELEMENTWISE.has(next[0].opType ?? '') &&
      (next[0].output ?? []).length === 1 &&
      next[0].output![0] !== scores
        ? next[0]
        : undefined;
    const layer = op('Gemm', [COALITION_INPUTS.masks, COALITION_INPUTS.shifts, COALITION_INPUTS.base]);
    if (activation) {
      body = body.filter((n) => n.output?.[0] !== activation.output![0]);
      const activated = fresh('activated');
      nodes.push({
        ...activation,
        input: [layer, ...(activation.input ?? []).slice(1)],
        output: [activated],
        name: activated,
      });
      op('Reshape', [activated, ints([-1, h])], {}, activation.output![0]);
    } else op('Reshape', [layer, ints([-1, h])], {}, firstLayer.output);
    feeds = [
      makeValueInfo(COALITION_INPUTS.masks, ['groups', m]),
      makeValueInfo(COALITION_INPUTS.shifts, [m, 'columns']),
      makeValueInfo(COALITION_INPUTS.base, [1, 'columns']),
    ];
    meanAxis = 2;
  } else {
    // Rows, feature-major, then transposed into the model's input.
    const rowsT = op('MatMul', [COALITION_INPUTS.background, COALITION_INPUTS.groups]);
    op('Transpose', [op('Reshape', [rowsT, ints([m, -1])])], { perm: [1, 0] }, input);
    feeds = [
      makeValueInfo(COALITION_INPUTS.background, [m, 'rows', 2]),
      makeValueInfo(COALITION_INPUTS.groups, [m, 2, 'groups']),
    ];
    meanAxis = 1;
  }
  const before = nodes;
  nodes = [];
  // The model's nodes without the replaced ones, for the scores' producer below.
  graph.node = body;

  // Scores class-major [K, N]: a transposed Gemm where the scores are a Gemm's, else a Transpose. Many
  // classes take the Softmax op on [N, K] first (one node; axis 1 means the same in every opset).
  const split = softmax && k > 1 && k <= SPLIT_SOFTMAX_MAX;
  const rowMajor = softmax && !split ? op('Softmax', [scores], { axis: 1 }) : scores;
  const scoresT =
    (rowMajor === scores ? transposeGemm(graph, scores, fresh('scores_t')) : undefined) ??
    op('Transpose', [rowMajor], { perm: [1, 0] });
  let probs = scoresT;
  if (split) {
    const parts = Array.from({ length: k }, () => fresh('class'));
    nodes.push(makeNode('Split', [scoresT], parts, opset >= 18 ? { axis: 0, num_outputs: k } : { axis: 0 }));
    const max = op('Max', parts);
    const exps = parts.map((p) => op('Exp', [op('Sub', [p, max])]));
    const sum = op('Sum', exps);
    probs = op(
      'Concat',
      exps.map((e) => op('Div', [e, sum])),
      { axis: 0 },
    );
  }
  const grouped = op('Reshape', [probs, COALITION_INPUTS.shape]);
  if (opset >= 18) op('ReduceMean', [grouped, ints([meanAxis])], { keepdims: 0 }, COALITION_MEANS);
  else op('ReduceMean', [grouped], { axes: [meanAxis], keepdims: 0 }, COALITION_MEANS);

  graph.node = [...before, ...graph.node, ...nodes];
  if (firstLayer) dropUnused(graph);
  // Initializers listed as inputs stay listed (IR version 3 requires it).
  graph.input = [
    ...(graph.input ?? []).filter((i) => initializers.has(i.name ?? '')),
    ...feeds,
    makeValueInfo(COALITION_INPUTS.shape, [3], DataType.INT64),
  ];
  graph.output = [makeValueInfo(COALITION_MEANS, [k, 'groups'])];
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => v.name !== input);
  return copy;
}

/** Drops the Constant nodes and initializers that only the replaced first layer read. */
function dropUnused(graph: NonNullable<ModelProto['graph']>): void {
  const read = () => new Set((graph.node ?? []).flatMap((n) => n.input ?? []));
  let used = read();
  graph.node = (graph.node ?? []).filter(
    (n) => n.opType !== 'Constant' || (n.output ?? []).some((o) => used.has(o)),
  );
  used = read();
  graph.initializer = (graph.initializer ?? []).filter((t) => used.has(t.name ?? ''));
  graph.input = (graph.input ?? []).filter((i) => used.has(i.name ?? ''));
}

/**
 * Rewrites the Gemm that computes `scores` = A·B' + C (B' = B or Bᵀ, B and C constant) to compute its transpose
 * B'ᵀ·Aᵀ + Cᵀ into `out`; undefined (nothing changed) for any other producer.
 */
function transposeGemm(
  graph: NonNullable<ModelProto['graph']>,
  scores: string,
  out: string,
): string | undefined {
  const node = producerOf(graph, scores);
  if (!node || node.opType !== 'Gemm' || (node.output ?? []).length !== 1) return undefined;
  if (consumersOf(graph, scores).length > 0 || attrInt(node, 'transA', 0) !== 0) return undefined;
  const [a, b, c] = node.input ?? [];
  if (!a || !b || !findInitializer(graph, b)) return undefined;
  const inputs = [b, a];
  if (c) {
    const bias = findInitializer(graph, c);
    const dims = (bias?.dims ?? []).map(Number);
    if (!bias || dims.length > 2 || (dims.length === 2 && dims[0] !== 1)) return undefined;
    const size = dims.reduce((p, d) => p * d, 1);
    const column = `${c}/column`;
    // A bias per class becomes a column; a scalar broadcasts as it is.
    graph.initializer!.push({ ...bias, name: column, dims: size === 1 ? dims : [size, 1] });
    inputs.push(column);
  }
  const alpha = getAttr(node, 'alpha');
  const beta = getAttr(node, 'beta');
  node.input = inputs;
  node.output = [out];
  node.attribute = [
    makeAttr('transA', attrInt(node, 'transB', 0) === 0 ? 1 : 0),
    makeAttr('transB', 1),
    ...(typeof alpha === 'number' ? [makeAttr('alpha', alpha, 'float')] : []),
    ...(typeof beta === 'number' ? [makeAttr('beta', beta, 'float')] : []),
  ];
  return out;
}

/** [F, B, 2] background feed: background rows [B, F] feature-major, each value beside a 1. */
export function packBackground(background: Float32Array, m: number): Float32Array {
  const n = background.length / m;
  const packed = new Float32Array(m * n * 2);
  for (let b = 0; b < n; b++) {
    for (let f = 0; f < m; f++) {
      packed[(f * n + b) * 2] = background[b * m + f];
      packed[(f * n + b) * 2 + 1] = 1;
    }
  }
  return packed;
}

/**
 * [F, 2, G] groups feed into `packed`: for group g, the coalition `masks[g]` (0/1 per feature) and its query
 * point `queries[g]`: keep = 1 − z, pick = z·q.
 */
export function packGroups(
  masks: readonly Uint8Array[],
  queries: readonly Float32Array[],
  m: number,
  packed: Float32Array,
): Float32Array {
  const g = masks.length;
  const out = packed.subarray(0, m * 2 * g);
  for (let i = 0; i < g; i++) {
    const z = masks[i];
    const q = queries[i];
    for (let f = 0; f < m; f++) {
      out[f * 2 * g + i] = z[f] ? 0 : 1;
      out[f * 2 * g + g + i] = z[f] ? q[f] : 0;
    }
  }
  return out;
}
