/**
 * Control flow (Scan, Loop, If) rewritten as plain nodes in the VJP graph's own copy of the model, before the
 * backward pass is planned: a Scan or Loop becomes one renamed copy of its body per iteration, an If its
 * chosen branch (or both branches and a Where). Every existing rule then applies to the body's ops, and the
 * recurrence is differentiated by backpropagation through time like the unrolled LSTM/GRU/RNN. Tensors inside
 * a body have no probed shapes: each copy's shapes are inferred statically (onnx/shape-inference.ts) from
 * the probed shapes of its inputs. The graph grows with the iteration count.
 */
import {
  AttrType,
  DataType,
  attrInt,
  attrInts,
  attrString,
  int64Tensor,
  makeNode,
  onnx,
  opsetVersion,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from '../onnx/proto.js';
import { inferShapes } from '../onnx/shape-inference.js';
import { foldConstant } from './fold.js';
import { GraphIndex } from './graph.js';

export const CONTROL_FLOW_OPS = new Set(['Scan', 'Loop', 'If']);
const RECURRENT_OPS = new Set(['LSTM', 'GRU', 'RNN']);

/** More iterations than this are not unrolled (the VJP graph grows with the count). */
const MAX_ITERATIONS = 4096;

/** Stand-ins for batch-dependent (-1) dims while shapes are inferred: two runs, dims that differ are -1. */
const BATCH_STAND_INS = [9973, 8191];

type Graph = GraphProto | NonNullable<ModelProto['graph']>;

/** Why a control-flow node stays as it is (then refused by name if a gradient must cross it). */
class NotUnrolled extends Error {}

/** Control-flow nodes that could not be unrolled, with the reason. */
export type Refusals = Map<NodeProto, string>;

/**
 * Replaces the Scan, Loop and If nodes of `model` that lie between `wrt` and `output` by their unrolled
 * bodies, adding the shapes of the new tensors to `shapes`. Nodes that cannot be unrolled are left in place
 * and returned with the reason.
 */
export function unrollControlFlow(
  model: ModelProto,
  shapes: Record<string, number[]>,
  output: string,
  wrt: readonly string[],
): Refusals {
  const refusals: Refusals = new Map();
  const graph = model.graph;
  if (!graph?.node?.some((n) => CONTROL_FLOW_OPS.has(n.opType ?? ''))) return refusals;
  const relevant = onPath(graph, output, wrt);
  const unroller = new Unroller(model, shapes, refusals);
  graph.node = unroller.expand(graph.node, relevant, false);
  graph.initializer = [...(graph.initializer ?? []), ...unroller.initializers];
  return refusals;
}

/** Control-flow nodes that read (explicitly or from a body) a tensor reached from `wrt` and feed `output`. */
function onPath(graph: Graph, output: string, wrt: readonly string[]): Set<NodeProto> {
  const nodes = graph.node ?? [];
  const reached = new Set(wrt);
  for (const node of nodes) {
    if (allInputs(node).some((i) => reached.has(i))) for (const o of node.output ?? []) if (o) reached.add(o);
  }
  const needed = new Set([output]);
  const result = new Set<NodeProto>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!(node.output ?? []).some((o) => o && needed.has(o))) continue;
    for (const inp of allInputs(node)) needed.add(inp);
    if (CONTROL_FLOW_OPS.has(node.opType ?? '') && allInputs(node).some((i) => reached.has(i))) {
      result.add(node);
    }
  }
  return result;
}

/** Explicit inputs and the outer-scope names a node's subgraphs read. */
function allInputs(node: NodeProto): string[] {
  const names = (node.input ?? []).filter((n) => n);
  for (const sub of subgraphs(node)) names.push(...outerNames(sub));
  return names;
}

function subgraphs(node: NodeProto): Graph[] {
  return (node.attribute ?? []).flatMap((a) => [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) as Graph[];
}

function outerNames(graph: Graph): string[] {
  const local = new Set<string>([
    ...(graph.input ?? []).map((v) => v.name ?? ''),
    ...(graph.initializer ?? []).map((t) => t.name ?? ''),
  ]);
  const outer: string[] = [];
  for (const node of graph.node ?? []) {
    for (const name of allInputs(node)) if (!local.has(name)) outer.push(name);
    for (const name of node.output ?? []) local.add(name);
  }
  return outer;
}

function graphAttr(node: NodeProto, name: string): Graph | undefined {
  return ((node.attribute ?? []).find((a) => a.name === name)?.g ?? undefined) as Graph | undefined;
}

const normalize = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

class Unroller {
  readonly initializers: TensorProto[] = [];
  private readonly bodyWeights = new Map<Graph, Map<string, string>>();
  private readonly hoisted = new Map<
    Graph,
    { nodes: Set<NodeProto>; names: Map<string, string>; copies: NodeProto[] }
  >();
  /** Nodes whose values shape inference may need besides the ones it runs on (a body's hoisted nodes). */
  private context: readonly NodeProto[] = [];
  private readonly used = new Set<string>();
  private readonly types = new Map<string, number>();
  private readonly opset: number;
  private readonly index: GraphIndex;
  private readonly baseInitializers: TensorProto[];

  constructor(
    private readonly model: ModelProto,
    private readonly shapes: Record<string, number[]>,
    private readonly refusals: Refusals,
  ) {
    this.opset = opsetVersion(model);
    this.index = new GraphIndex(model);
    for (const [name, type] of this.index.elemType) this.types.set(name, type);
    const graph = model.graph!;
    this.baseInitializers = graph.initializer ?? [];
    for (const t of this.baseInitializers) this.used.add(t.name ?? '');
    for (const v of graph.input ?? []) this.used.add(v.name ?? '');
    const collect = (g: Graph): void => {
      for (const n of g.node ?? []) {
        for (const o of n.output ?? []) this.used.add(o);
        for (const sub of subgraphs(n)) collect(sub);
      }
    };
    collect(graph);
  }

  /**
   * `nodes` with every control-flow node in `wanted` (all of them when undefined) unrolled, recursively.
   * With `infer`, the shapes of the plain nodes are inferred too (bodies; the main graph's are probed).
   */
  expand(nodes: readonly NodeProto[], wanted: Set<NodeProto> | undefined, infer: boolean): NodeProto[] {
    const out: NodeProto[] = [];
    let segment: NodeProto[] = [];
    const flush = (): void => {
      if (infer) this.infer(segment);
      out.push(...segment);
      segment = [];
    };
    for (const node of nodes) {
      if (!CONTROL_FLOW_OPS.has(node.opType ?? '') || (wanted && !wanted.has(node))) {
        segment.push(node);
        continue;
      }
      flush();
      try {
        out.push(...this.unroll(node, out));
      } catch (error) {
        if (!(error instanceof NotUnrolled)) throw error;
        this.refusals.set(node, error.message);
        out.push(node);
      }
    }
    flush();
    return out;
  }

  private unroll(node: NodeProto, before: readonly NodeProto[]): NodeProto[] {
    switch (node.opType) {
      case 'Scan':
        return this.scan(node);
      case 'Loop':
        return this.loop(node, before);
      default:
        return this.branch(node, before);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Scan

  private scan(node: NodeProto): NodeProto[] {
    if (this.opset < 9) {
      throw new NotUnrolled(
        'Scan of opset 8 (batched, with sequence_lens) is not unrolled: convert the model',
      );
    }
    const body = graphAttr(node, 'body');
    if (!body) throw new NotUnrolled('Scan without a body');
    const label = labelOf(node);
    const m = attrInt(node, 'num_scan_inputs', 0);
    const inputs = node.input ?? [];
    const n = inputs.length - m;
    const k = (body.output ?? []).length - n;
    const inAxes = attrInts(node, 'scan_input_axes') ?? new Array<number>(m).fill(0);
    const inDirections = attrInts(node, 'scan_input_directions') ?? new Array<number>(m).fill(0);
    const outAxes = attrInts(node, 'scan_output_axes') ?? new Array<number>(k).fill(0);
    const outDirections = attrInts(node, 'scan_output_directions') ?? new Array<number>(k).fill(0);
    const scanned = inputs.slice(n);
    const lengths = scanned.map((x, j) => {
      const dims = this.shapeOf(x);
      return dims[normalize(inAxes[j], dims.length)];
    });
    const steps = lengths[0];
    if (steps === undefined || steps < 0 || lengths.some((l) => l !== steps)) {
      throw new NotUnrolled('the scan length is not fixed by the probed shapes (it varies with the batch)');
    }
    if (steps === 0) throw new NotUnrolled('a scan of length 0 has no iterations to unroll');
    if (steps > MAX_ITERATIONS) throw new NotUnrolled(`${steps} iterations: more than ${MAX_ITERATIONS}`);

    const out: NodeProto[] = [];
    // Every scan input split into its slices along its axis, the axis dropped.
    const slices = scanned.map((x, j) => {
      const dims = this.shapeOf(x);
      const axis = normalize(inAxes[j], dims.length);
      const one = dims.map((d, i) => (i === axis ? 1 : d));
      const pieces =
        steps === 1 ? [x] : this.glue(out, 'Split', [x], steps, { axis }, `${label}/${x}/slice`, one, true);
      const squeezed = pieces.map((p) =>
        this.squeezeAt(
          out,
          p,
          axis,
          dims.filter((_, i) => i !== axis),
          `${label}/${x}/step`,
        ),
      );
      return inDirections[j] ? squeezed.reverse() : squeezed;
    });
    let states = inputs.slice(0, n);
    const perStep: string[][] = Array.from({ length: k }, () => []);
    for (let t = 0; t < steps; t++) {
      const results = this.instantiate(body, `${label}/t${t}`, [...states, ...slices.map((s) => s[t])], out);
      states = results.slice(0, n);
      results.slice(n).forEach((r, i) => perStep[i].push(r));
    }
    (node.output ?? []).slice(0, n).forEach((o, i) => {
      if (o)
        this.push(
          out,
          makeNode('Identity', [states[i]], [o], {}, `${label}/final/${o}`),
          o,
          this.shapeOf(states[i]),
        );
    });
    (node.output ?? []).slice(n).forEach((o, i) => {
      if (!o) return;
      const item = this.shapeOf(perStep[i][0]);
      const axis = normalize(outAxes[i], item.length + 1);
      const order = outDirections[i] ? [...perStep[i]].reverse() : perStep[i];
      this.stack(out, order, axis, item, o, label);
    });
    return out;
  }

  /** Stacks `items` (each of shape `item`) along a new `axis` into `name`. */
  private stack(
    out: NodeProto[],
    items: string[],
    axis: number,
    item: number[],
    name: string,
    label: string,
  ): void {
    const one = [...item.slice(0, axis), 1, ...item.slice(axis)];
    if (items.length === 1) {
      this.unsqueezeAt(out, items[0], axis, one, name);
      return;
    }
    const expanded = items.map((x) =>
      this.unsqueezeAt(out, x, axis, one, this.fresh(`${label}/${x}/stacked`)),
    );
    const dims = [...one];
    dims[axis] = items.length;
    this.push(out, makeNode('Concat', expanded, [name], { axis }, `${label}/stack/${name}`), name, dims);
  }

  // -------------------------------------------------------------------------------------------------------
  // Loop

  private loop(node: NodeProto, before: readonly NodeProto[]): NodeProto[] {
    const body = graphAttr(node, 'body');
    if (!body) throw new NotUnrolled('Loop without a body');
    const label = labelOf(node);
    const [tripName = '', condName = '', ...initial] = node.input ?? [];
    const n = initial.length;
    const trip = tripName ? this.fold(tripName, before)?.[0] : Infinity;
    const cond = condName ? this.fold(condName, before)?.[0] : 1;
    if (cond !== undefined && trip !== undefined) {
      const fixed = this.fixedLoop(node, body, trip, cond !== 0, label);
      if (fixed) return fixed;
    }
    // The iteration count is a run-time value: unrolled to the count the probe ran (a scan output's length),
    // or to a constant trip count, and every run checked to make exactly that many iterations.
    const probed = (node.output ?? [])
      .slice(n)
      .filter((o) => o)
      .map((o) => this.shapes[o]?.[0])
      .find((c) => c !== undefined && c >= 0);
    const count = probed ?? (trip !== Infinity ? trip : undefined);
    if (count === undefined) {
      throw new NotUnrolled(
        'the iteration count depends on run-time values (trip count or condition not fixed by shapes or ' +
          'constants) and no scan output has a probed length that fixes it: it cannot be unrolled; ' +
          'export the loop with a constant trip count or unrolled',
      );
    }
    if (count > MAX_ITERATIONS) throw new NotUnrolled(`${count} iterations: more than ${MAX_ITERATIONS}`);
    if (count === 0) throw new NotUnrolled('a loop of 0 iterations has nothing to unroll');
    const tripLimit = trip === undefined ? tripName : trip;
    return this.checkedLoop(node, body, count, tripLimit, label);
  }

  /**
   * The loop whose trip count and condition are constants at every iteration: plain copies of the body.
   * Undefined when some iteration's condition is not a constant.
   */
  private fixedLoop(
    node: NodeProto,
    body: Graph,
    trip: number,
    cond: boolean,
    label: string,
  ): NodeProto[] | undefined {
    if (cond && trip > MAX_ITERATIONS && trip !== Infinity) {
      throw new NotUnrolled(`${trip} iterations: more than ${MAX_ITERATIONS}`);
    }
    const n = (node.input ?? []).length - 2;
    const out: NodeProto[] = [];
    let carried = (node.input ?? []).slice(2);
    const perStep: string[][] = Array.from({ length: (body.output ?? []).length - 1 - n }, () => []);
    let going = cond;
    let t = 0;
    for (; t < trip && going; t++) {
      if (t >= MAX_ITERATIONS) {
        throw new NotUnrolled(
          `more than ${MAX_ITERATIONS} iterations (no trip count, a condition that stays true)`,
        );
      }
      const iteration = this.constant(int64Tensor(this.fresh(`${label}/t${t}/iteration`), [], [t]));
      const condIn = this.constant(boolTensor(this.fresh(`${label}/t${t}/cond`), true));
      const start = out.length;
      const results = this.instantiate(body, `${label}/t${t}`, [iteration, condIn, ...carried], out);
      // The condition from this copy and the hoisted nodes (all copies: the cost would grow with T²).
      const next = this.foldIn(results[0], [...(this.hoisted.get(body)?.copies ?? []), ...out.slice(start)]);
      if (next === undefined) return undefined;
      going = next !== 0;
      const condOut = body.output?.[0]?.name ?? '';
      const constantCond = this.hoisted.get(body)?.names.has(condOut) || condOut === body.input?.[1]?.name;
      if (going && trip === Infinity && constantCond) {
        throw new NotUnrolled(
          'no trip count and a condition that is true at every iteration: it never stops',
        );
      }
      carried = results.slice(1, 1 + n);
      results.slice(1 + n).forEach((r, i) => perStep[i].push(r));
    }
    if (t === 0 && perStep.length > 0 && (node.output ?? []).slice(n).some((o) => o)) {
      throw new NotUnrolled('a loop of 0 iterations has empty scan outputs: nothing to unroll');
    }
    this.finish(node, out, carried, label);
    (node.output ?? []).slice(n).forEach((o, i) => {
      if (o) this.stack(out, perStep[i], 0, this.shapeOf(perStep[i][0]), o, label);
    });
    return out;
  }

  /**
   * `count` plain copies of the body for a loop whose iteration count is a run-time value (the condition, or
   * the trip count `trip` when it is a tensor name rather than a number). Every output passes through a check that the run makes exactly
   * `count` iterations: the loop ran at each (condition true, iteration number below the trip count) and
   * stops after the last. A run that would make another number fails at a node named for it, rather than
   * giving the derivative of another function: past the count a body may read out of range.
   */
  private checkedLoop(
    node: NodeProto,
    body: Graph,
    count: number,
    trip: string | number,
    label: string,
  ): NodeProto[] {
    const n = (node.input ?? []).length - 2;
    const condName = (node.input ?? [])[1] ?? '';
    const out: NodeProto[] = [];
    const scalar = this.constant(int64Tensor(this.fresh(`${label}/scalar`), [0], []));
    const logical = (opType: string, inputs: string[], hint: string): string =>
      this.glue(out, opType, inputs, 1, {}, hint, [], false, DataType.BOOL)[0];
    const asScalar = (x: string, hint: string): string => logical('Reshape', [x, scalar], hint);
    const tripTensor =
      typeof trip === 'string'
        ? this.glue(out, 'Reshape', [trip, scalar], 1, {}, `${label}/trip`, [], false, DataType.INT64)[0]
        : undefined;
    let running = condName
      ? asScalar(condName, `${label}/cond`)
      : this.constant(boolTensor(this.fresh(`${label}/true`), true));
    /** Whether the loop runs iteration `t`, given that it ran the ones before (undefined: it cannot). */
    const runsAt = (t: number): string | undefined => {
      if (typeof trip === 'number') return t < trip ? running : undefined;
      const index = this.constant(int64Tensor(this.fresh(`${label}/t${t}/index`), [], [t]));
      const below = logical('Less', [index, tripTensor!], `${label}/t${t}/below`);
      return logical('And', [running, below], `${label}/t${t}/runs`);
    };
    let carried = (node.input ?? []).slice(2);
    const perStep: string[][] = Array.from({ length: (body.output ?? []).length - 1 - n }, () => []);
    let exact = '';
    for (let t = 0; t < count; t++) {
      const runs = runsAt(t) ?? running;
      exact = t === 0 ? runs : logical('And', [exact, runs], `${label}/t${t}/so_far`);
      const iteration = this.constant(int64Tensor(this.fresh(`${label}/t${t}/iteration`), [], [t]));
      const results = this.instantiate(body, `${label}/t${t}`, [iteration, runs, ...carried], out);
      carried = results.slice(1, 1 + n);
      results.slice(1 + n).forEach((r, i) => perStep[i].push(r));
      running = asScalar(results[0], `${label}/t${t}/cond_out`);
    }
    const after = runsAt(count);
    const stops = after && logical('Not', [after], `${label}/stops`);
    const ok = stops ? logical('And', [exact, stops], `${label}/exact`) : exact;
    const guarded = this.guard(out, ok, count, label);
    this.finish(node, out, carried.map(guarded), label);
    (node.output ?? []).slice(n).forEach((o, i) => {
      if (!o) return;
      const all = this.fresh(`${label}/${o}/all`);
      this.stack(out, perStep[i], 0, this.shapeOf(perStep[i][0]), all, label);
      this.push(
        out,
        makeNode('Identity', [guarded(all)], [o], {}, `${label}/final/${o}`),
        o,
        this.shapeOf(all),
      );
    });
    return out;
  }

  /**
   * Tensors that pass through a check of `ok`: when it is false the run fails at a node whose name says that
   * the loop does not make the `count` iterations unrolled.
   */
  private guard(out: NodeProto[], ok: string, count: number, label: string): (x: string) => string {
    const valid = this.constant(int64Tensor(this.fresh(`${label}/one`), [1], [1]));
    const invalid = this.constant(int64Tensor(this.fresh(`${label}/invalid`), [1], [-2]));
    const target = this.glue(out, 'Where', [ok, valid, invalid], 1, {}, `${label}/guard_shape`, [1]);
    const checkName =
      `Loop '${label}' makes another number of iterations than the ${count} unrolled ` +
      '(the count at the probed input)';
    const checked = this.fresh(`${label}/checked`);
    // Reshape to [-2] fails: the run stops there, with the node's name in the message.
    this.push(
      out,
      makeNode('Reshape', [valid, target[0]], [checked], {}, checkName),
      checked,
      [1],
      DataType.INT64,
    );
    const scalar = this.constant(int64Tensor(this.fresh(`${label}/scalar`), [0], []));
    const flag = this.glue(
      out,
      'Cast',
      [checked],
      1,
      { to: DataType.BOOL },
      `${label}/ok`,
      [1],
      false,
      DataType.BOOL,
    );
    const passed = this.glue(
      out,
      'Reshape',
      [flag[0], scalar],
      1,
      {},
      `${label}/ok`,
      [],
      false,
      DataType.BOOL,
    )[0];
    return (x) =>
      this.glue(
        out,
        'Where',
        [passed, x, x],
        1,
        {},
        `${label}/checked`,
        this.shapeOf(x),
        false,
        this.typeOf(x),
      )[0];
  }

  /** The final carried values as the Loop's first outputs. */
  private finish(node: NodeProto, out: NodeProto[], carried: string[], label: string): void {
    (node.output ?? []).slice(0, carried.length).forEach((o, i) => {
      if (o)
        this.push(
          out,
          makeNode('Identity', [carried[i]], [o], {}, `${label}/final/${o}`),
          o,
          this.shapeOf(carried[i]),
        );
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // If

  private branch(node: NodeProto, before: readonly NodeProto[]): NodeProto[] {
    const label = labelOf(node);
    const thenBranch = graphAttr(node, 'then_branch');
    const elseBranch = graphAttr(node, 'else_branch');
    if (!thenBranch || !elseBranch) throw new NotUnrolled('If without both branches');
    const condName = (node.input ?? [])[0] ?? '';
    const cond = this.fold(condName, before)?.[0];
    const out: NodeProto[] = [];
    const outputs = node.output ?? [];
    if (cond !== undefined) {
      const chosen = cond !== 0 ? thenBranch : elseBranch;
      const results = this.instantiate(chosen, `${label}/${cond !== 0 ? 'then' : 'else'}`, [], out);
      outputs.forEach((o, i) => {
        if (o)
          this.push(
            out,
            makeNode('Identity', [results[i]], [o], {}, `${label}/final/${o}`),
            o,
            this.shapeOf(results[i]),
          );
      });
      return out;
    }
    // Chosen at run time: both branches run, a Where keeps the chosen one's values (and routes the gradient).
    const whenTrue = this.instantiate(thenBranch, `${label}/then`, [], out);
    const whenFalse = this.instantiate(elseBranch, `${label}/else`, [], out);
    const scalar = this.constant(int64Tensor(this.fresh(`${label}/scalar`), [0], []));
    const c = this.glue(
      out,
      'Reshape',
      [condName, scalar],
      1,
      {},
      `${label}/cond`,
      [],
      false,
      DataType.BOOL,
    )[0];
    outputs.forEach((o, i) => {
      if (!o) return;
      const a = this.shapes[whenTrue[i]];
      const b = this.shapes[whenFalse[i]];
      if (!a || !b || !sameDims(a, b)) {
        throw new NotUnrolled(
          `the condition is a run-time value and the branches' output ${i} shapes ` +
            `(${a ? `[${a.join(', ')}]` : 'unknown'} and ${b ? `[${b.join(', ')}]` : 'unknown'}) ` +
            'are not the same fixed shape: one Where cannot select between them',
        );
      }
      this.push(
        out,
        makeNode('Where', [c, whenTrue[i], whenFalse[i]], [o], {}, `${label}/select/${o}`),
        o,
        a,
      );
    });
    return out;
  }

  // -------------------------------------------------------------------------------------------------------
  // Bodies

  /**
   * One renamed copy of `body` with its inputs bound to `inputs`, appended (unrolled, shapes inferred) to
   * `out`. Returns the names its outputs have in the copy.
   */
  private instantiate(body: Graph, prefix: string, inputs: readonly string[], out: NodeProto[]): string[] {
    if ((body.input ?? []).length !== inputs.length) {
      throw new NotUnrolled(
        `the body takes ${(body.input ?? []).length} inputs, the node gives ${inputs.length}`,
      );
    }
    const rename = new Map<string, string>();
    (body.input ?? []).forEach((vi, i) => rename.set(vi.name ?? '', inputs[i]));
    // A body's weights are added once, whatever the number of copies.
    let weights = this.bodyWeights.get(body);
    if (!weights) {
      weights = new Map();
      for (const t of body.initializer ?? []) {
        const name = this.fresh(`${prefix}/${t.name ?? ''}`);
        weights.set(t.name ?? '', name);
        this.constant({ ...t, name });
      }
      this.bodyWeights.set(body, weights);
    }
    for (const [from, to] of weights) rename.set(from, to);
    // Nodes that read no body input compute the same values in every copy: the first copy computes them
    // for all (a scripted LSTM cell slices and concatenates its weights at every step).
    let hoisted = this.hoisted.get(body);
    const first = !hoisted;
    if (!hoisted) {
      hoisted = { nodes: invariantNodes(body), names: new Map(), copies: [] };
      this.hoisted.set(body, hoisted);
    }
    for (const [from, to] of hoisted.names) rename.set(from, to);
    for (const vi of [...(body.valueInfo ?? []), ...(body.output ?? [])]) {
      const type = vi.type?.tensorType?.elemType;
      if (vi.name && type && !rename.has(vi.name)) this.types.set(`${prefix}\u0000${vi.name}`, type);
    }
    const copies: NodeProto[] = [];
    for (const node of body.node ?? []) {
      const invariant = hoisted.nodes.has(node);
      if (invariant && !first) continue;
      const copy: NodeProto = {
        ...node,
        input: (node.input ?? []).map((i) => (i ? (rename.get(i) ?? i) : i)),
        attribute: (node.attribute ?? []).map((a) =>
          a.type === AttrType.GRAPH && a.g ? { ...a, g: renameOuter(a.g as Graph, rename) } : a,
        ),
      };
      copy.output = (node.output ?? []).map((o) => {
        if (!o) return o;
        const name = this.fresh(`${prefix}/${o}`);
        rename.set(o, name);
        if (invariant) hoisted.names.set(o, name);
        const declared = this.types.get(`${prefix}\u0000${o}`);
        if (declared) this.types.set(name, declared);
        return name;
      });
      copy.name = this.fresh(`${prefix}/${node.name || node.output?.[0] || node.opType || 'node'}`);
      copies.push(copy);
      if (invariant) hoisted.copies.push(copy);
    }
    // Later copies read the hoisted values: inference sees those nodes again for their values (axes, shapes).
    const outer = this.context;
    this.context = first ? outer : [...outer, ...hoisted.copies];
    let expanded: NodeProto[];
    try {
      expanded = this.expand(copies, undefined, true);
    } finally {
      this.context = outer;
    }
    // The rules need the shape of every float tensor they differentiate through.
    for (const node of expanded) {
      const nested = this.refusals.get(node);
      if (nested) throw new NotUnrolled(`${node.opType} in the body: ${nested}`);
      const missing = (node.output ?? []).find((o) => o && !this.shapes[o] && isFloatType(this.types.get(o)));
      if (missing) {
        throw new NotUnrolled(
          `the shape of '${missing}' (${node.opType} in the body) cannot be inferred without running it`,
        );
      }
    }
    out.push(...expanded);
    return (body.output ?? []).map((vi) => rename.get(vi.name ?? '') ?? vi.name ?? '');
  }

  /** Shapes and types of `nodes`' outputs, from the known shapes of what they read. */
  private infer(nodes: readonly NodeProto[]): void {
    // The static inference does not cover the recurrent ops (the main graph's are probed): their shapes
    // are set here, between the runs over the nodes before and after them.
    let chunk: NodeProto[] = [];
    for (const node of nodes) {
      if (!RECURRENT_OPS.has(node.opType ?? '')) {
        chunk.push(node);
        continue;
      }
      this.inferStatic(chunk);
      chunk = [];
      this.recurrentShapes(node);
    }
    this.inferStatic(chunk);
  }

  /** LSTM, GRU, RNN: Y [T, directions, N, H] and final states [directions, N, H] (batch first with layout 1). */
  private recurrentShapes(node: NodeProto): void {
    const x = this.shapes[(node.input ?? [])[0] ?? ''];
    const hidden = attrInt(node, 'hidden_size', 0);
    if (!x || x.length !== 3 || hidden <= 0) return;
    const directions = attrString(node, 'direction', 'forward') === 'bidirectional' ? 2 : 1;
    const batchFirst = attrInt(node, 'layout', 0) === 1;
    const [steps, batch] = batchFirst ? [x[1], x[0]] : [x[0], x[1]];
    const y = batchFirst ? [batch, steps, directions, hidden] : [steps, directions, batch, hidden];
    const state = batchFirst ? [batch, directions, hidden] : [directions, batch, hidden];
    (node.output ?? []).forEach((o, i) => {
      if (!o) return;
      this.shapes[o] = i === 0 ? y : state;
      this.types.set(o, this.typeOf((node.input ?? [])[0] ?? ''));
    });
  }

  private inferStatic(chunk: readonly NodeProto[]): void {
    if (chunk.length === 0) return;
    const nodes = [...this.context, ...chunk];
    const produced = new Set(nodes.flatMap((n) => n.output ?? []));
    const reads = new Set<string>();
    for (const node of nodes) for (const i of allInputs(node)) if (i && !produced.has(i)) reads.add(i);
    const initializers = [...this.baseInitializers, ...this.initializers].filter((t) =>
      reads.has(t.name ?? ''),
    );
    const varies = [...reads].some((r) => this.shapes[r]?.some((d) => d < 0));
    const runs = (varies ? BATCH_STAND_INS : BATCH_STAND_INS.slice(0, 1)).map((stand) => {
      const feeds: Record<string, { type: number; dims?: number[] }> = {};
      for (const name of reads) {
        if (initializers.some((t) => t.name === name)) continue;
        const dims = this.shapes[name];
        feeds[name] = {
          type: this.types.get(name) ?? DataType.FLOAT,
          ...(dims ? { dims: dims.map((d) => (d < 0 ? stand : d)) } : {}),
        };
      }
      return inferShapes({ node: [...nodes], initializer: initializers, input: [], output: [] }, feeds);
    });
    for (const name of produced) {
      if (!name) continue;
      const [a, b] = runs.map((r) => r.get(name));
      if (a?.type !== undefined && !this.types.has(name)) this.types.set(name, a.type);
      if (this.shapes[name] || !a?.dims) continue;
      if (b && (!b.dims || b.dims.length !== a.dims.length)) continue;
      this.shapes[name] = a.dims.map((d, i) => (b?.dims && b.dims[i] !== d ? -1 : d));
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Helpers

  fresh(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_./-]/g, '_');
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  shapeOf(name: string): number[] {
    const dims = this.shapes[name];
    if (!dims) throw new NotUnrolled(`the shape of '${name}' cannot be inferred without running the body`);
    return dims;
  }

  typeOf(name: string): number {
    return this.types.get(name) ?? DataType.FLOAT;
  }

  /** Appends `node` (one output `name` of shape `dims` unless probed). */
  push(out: NodeProto[], node: NodeProto, name: string, dims: number[], type?: number): void {
    out.push(node);
    // A probed shape (the node's own outputs in the main graph) is the authority.
    this.shapes[name] ??= dims;
    if (type !== undefined) this.types.set(name, type);
  }

  /** A constant as an initializer of the rewritten graph; returns its name. */
  constant(tensor: TensorProto): string {
    this.initializers.push(tensor);
    const name = tensor.name ?? '';
    this.shapes[name] = (tensor.dims ?? []).map(Number);
    this.types.set(name, tensor.dataType ?? DataType.FLOAT);
    return name;
  }

  /** A glue node with `count` outputs, all of shape `dims`. */
  glue(
    out: NodeProto[],
    opType: string,
    inputs: readonly string[],
    count: number,
    attrs: Record<string, number | number[]>,
    hint: string,
    dims: number[],
    splitSizes = false,
    type?: number,
  ): string[] {
    const outputs = Array.from({ length: count }, () => this.fresh(hint));
    const args = [...inputs];
    const attributes: Record<string, number | number[]> = { ...attrs };
    if (splitSizes) {
      // Split sizes: an input from opset 13, an attribute before.
      const sizes = new Array<number>(count).fill(1);
      if (this.opset >= 13)
        args.push(this.constant(int64Tensor(this.fresh(`${hint}/sizes`), [count], sizes)));
      else attributes.split = sizes;
    }
    out.push(makeNode(opType, args, outputs, attributes, outputs[0]));
    for (const o of outputs) {
      this.shapes[o] = dims;
      this.types.set(o, type ?? this.typeOf(inputs[opType === 'Where' ? 1 : 0]));
    }
    return outputs;
  }

  squeezeAt(out: NodeProto[], x: string, axis: number, dims: number[], hint: string): string {
    const inputs = this.opset >= 13 ? [x, this.axes(out, axis, hint)] : [x];
    const attrs: Record<string, number[]> = this.opset >= 13 ? {} : { axes: [axis] };
    return this.glue(out, 'Squeeze', inputs, 1, attrs, hint, dims)[0];
  }

  unsqueezeAt(
    out: NodeProto[],
    x: string,
    axis: number,
    dims: number[],
    name: string,
    type?: number,
  ): string {
    const inputs = this.opset >= 13 ? [x, this.axes(out, axis, name)] : [x];
    const attrs = this.opset >= 13 ? {} : { axes: [axis] };
    out.push(makeNode('Unsqueeze', inputs, [name], attrs, name));
    this.shapes[name] = dims;
    this.types.set(name, type ?? this.typeOf(x));
    return name;
  }

  private axes(out: NodeProto[], axis: number, hint: string): string {
    return this.constant(int64Tensor(this.fresh(`${hint}/axes`), [1], [axis]));
  }

  /** Values of a tensor computed from constants and probed shapes, in the graph as rewritten so far. */
  private fold(name: string, before: readonly NodeProto[]): number[] | undefined {
    const index = new GraphIndex(
      onnx.ModelProto.create({
        graph: {
          node: [...(this.model.graph?.node ?? []), ...before],
          initializer: [...this.baseInitializers, ...this.initializers],
          input: this.model.graph?.input ?? [],
          output: [],
        },
      }),
    );
    return foldConstant(index, name, 0, this.shapes)?.values;
  }

  /** The condition an iteration computes, when it follows from constants and shapes alone. */
  private foldIn(name: string, nodes: readonly NodeProto[]): number | undefined {
    return this.fold(name, nodes)?.[0];
  }
}

/** Ops whose value is not a function of their inputs. */
const RANDOM_OPS = new Set([
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'Bernoulli',
  'Multinomial',
  'Dropout',
]);

/** Body nodes that read no body input, directly or through other nodes, and draw nothing at random. */
function invariantNodes(body: Graph): Set<NodeProto> {
  const varying = new Set((body.input ?? []).map((v) => v.name ?? ''));
  const invariant = new Set<NodeProto>();
  for (const node of body.node ?? []) {
    const reads = allInputs(node);
    if (
      subgraphs(node).length > 0 ||
      RANDOM_OPS.has(node.opType ?? '') ||
      reads.some((i) => varying.has(i))
    ) {
      for (const o of node.output ?? []) if (o) varying.add(o);
    } else invariant.add(node);
  }
  return invariant;
}

function isFloatType(type: number | undefined): boolean {
  return (
    type === undefined ||
    [DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.BFLOAT16].includes(type)
  );
}

function boolTensor(name: string, value: boolean): TensorProto {
  return { name, dataType: DataType.BOOL, dims: [], int32Data: [value ? 1 : 0] };
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function labelOf(node: NodeProto): string {
  return node.name || node.output?.[0] || node.opType || 'node';
}

/** A copy of a nested body whose reads of renamed outer tensors use the new names. */
function renameOuter(graph: Graph, rename: ReadonlyMap<string, string>): Graph {
  const local = new Set<string>([
    ...(graph.input ?? []).map((v) => v.name ?? ''),
    ...(graph.initializer ?? []).map((t) => t.name ?? ''),
  ]);
  for (const node of graph.node ?? []) for (const o of node.output ?? []) local.add(o);
  const outer = new Map([...rename].filter(([k]) => !local.has(k)));
  return {
    ...graph,
    node: (graph.node ?? []).map((node) => ({
      ...node,
      input: (node.input ?? []).map((i) => (i && outer.has(i) ? outer.get(i)! : i)),
      attribute: (node.attribute ?? []).map((a) =>
        a.type === AttrType.GRAPH && a.g ? { ...a, g: renameOuter(a.g as Graph, outer) } : a,
      ),
    })),
    output: (graph.output ?? []).map((vi) =>
      vi.name && outer.has(vi.name) ? { ...vi, name: outer.get(vi.name)! } : vi,
    ),
  } as Graph;
}
