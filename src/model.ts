/**
 * `OnnxModel`: the `Model` interface on ONNX Runtime. Written against the `onnxruntime-common` API; the
 * runtime (onnxruntime-node, onnxruntime-web) is injected by whoever loads the model.
 */
import { buildVjpGraph, differentiableTensors } from './autodiff/index.js';
import { seedTopClass } from './autodiff/top-class-seed.js';
import {
  closestNames,
  LayerError,
  ModelError,
  OptionError,
  RuntimeError,
  UnsupportedError,
} from './errors.js';
import {
  cutAt,
  feedInputs,
  selectOutputs,
  topologicalNodes,
  valueDownstreamOf,
  nodeOutputs,
} from './onnx/graph.js';
import {
  inputLayout,
  layerLayoutOf,
  inputSpecFromMetadata,
  describesImage,
  sequenceProbeDims,
  type InputDescription,
  labelsFromMetadata,
  checkLabels,
  resolveInputSpec,
  TASK_KEY,
} from './onnx/metadata.js';
import { coalitionGraph } from './onnx/coalition-graph.js';
import { coalitionMeansRun, firstLayerMeansRun } from './onnx/coalition-means.js';
import { affineFirstLayer, type AffineFirstLayer } from './onnx/first-layer.js';
import { linearHeadAfter } from './onnx/linear-head.js';
import { localPrefix, localSegment, type LocalPrefix } from './onnx/local-prefix.js';
import { describeOutputs } from './onnx/output-kinds.js';
import { describeUpgrade, upgradeOpset } from './onnx/opset-upgrade.js';
import { toFloat32, usesHalfPrecision } from './onnx/precision.js';
import { readBatchFirst, type SequenceLayout } from './onnx/time-major.js';
import { batchBucket, declareInputDims, firstItems, padItems } from './onnx/concrete-batch.js';
import { inferShapes } from './onnx/shape-inference.js';
import {
  decodeModel,
  metadataProps,
  valueInfoElemType,
  valueInfoShape,
  type ModelProto,
  type ValueInfoProto,
} from './onnx/proto.js';
import type { GraphOptimizationLevel, OnnxRuntime, OrtSession, SessionRunner } from './onnx/runtime.js';
import {
  DEFAULT_MINI_BATCH_SIZE,
  firstLine,
  outputSetKey,
  preparedRun,
  resolveMiniBatchSize,
  runBatched,
  runRaw,
  SessionCache,
} from './onnx/session.js';
import type {
  BackpropRule,
  BatchOptions,
  CallOptions,
  CoalitionMeansRequest,
  CoalitionMeansRun,
  InputSpec,
  LayerInfo,
  LinearHead,
  LinearHeadSource,
  Model,
  OutputDescription,
  OutputKind,
  PreparedRun,
  Prediction,
  TensorData,
  TensorInfo,
  TopClassVjpFunction,
  VjpFunction,
  VjpRequest,
  VjpResult,
} from './types.js';

/**
 * Most numbers in a query point's first-layer shifts (features × background rows × hidden units, float32) for the
 * coalition graph's first-layer path; beyond it the graph builds the rows (same values, less memory).
 */
const MAX_FIRST_LAYER_SHIFTS = 2 ** 24;

/**
 * Worker sessions a model makes for many gradient calls: two, sharing the thread budget. More copies of the
 * weights gained little on two cores, and on more cores each worker gets more intra-op threads instead.
 */
const DEFAULT_SESSION_WORKERS = 2;

export interface OnnxModelOptions {
  /** Class labels; override the model's `netlens.labels` metadata. */
  labels?: string[];
  /** Input spec fields; override the model's `netlens.input` metadata field by field. */
  inputSpec?: Partial<InputSpec>;
  /**
   * Layout of a sequence input; overrides `netlens.input`'s. A time-major ('TNC') input is read batch-first
   * (see onnx/time-major.ts), so the model then describes itself as 'NTC'.
   */
  sequenceLayout?: SequenceLayout;
  /** Task name (e.g. 'classification', 'segmentation'); overrides `netlens.task` metadata. */
  task?: string;
  /** Default mini-batch size for every run (128 unless given). */
  miniBatchSize?: number;
  /** ONNX Runtime intra-op threads. */
  threads?: number;
  /** Whether idle intra-op threads spin: only while a run lasts (default), always, or never; see `SessionSettings`. */
  threadSpinning?: boolean;
  /**
   * Worker threads, each with a copy of a gradient session, that run a method's many gradient calls side by side
   * (integrated gradients' path points, SmoothGrad's noisy copies, a batch of large images) where the runtime has
   * them (Node). They share the thread budget (`threads`, else the cores): 2 workers of one thread each on two
   * cores. Default 2 where the budget is at least 2; 0 or 1 runs every call on the calling thread's session.
   * Each worker holds its own copy of the gradient graph's weights.
   */
  sessionWorkers?: number;
  graphOptimizationLevel?: GraphOptimizationLevel;
  /**
   * Dims of one input item (batch axis excluded) for the shape probe, needed only when the input has symbolic
   * dims besides the batch that the input spec does not fix (e.g. a sequence length).
   */
  exampleDims?: number[];
  /** How to name the model in error messages (e.g. its file path). */
  source?: string;
  /**
   * What the outputs are, by output name ('' for the main output), overriding what the graph, shapes and
   * metadata say (see `outputDescriptions`).
   */
  outputKinds?: Record<string, OutputKind>;
  /**
   * Values of the inputs other than the main one, by name, held fixed in every run: [1, ...] (the same for
   * every item) or [N, ...] (one per item). Float inputs left out are fed zeros (e.g. RNN states), with a note.
   */
  inputs?: Record<string, TensorData>;
  /** The output every method explains and `predict` shows (default: the graph's first output). */
  outputName?: string;
}

/** ONNX element type numbers → the runtime's type names. */
const ELEM_TYPE_NAMES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
};

/** Tensors asked for per probe run: a run holds only these besides the network's own working set. */
const PROBE_GROUP = 16;

const RULES: readonly BackpropRule[] = ['gradient', 'guided', 'deconvnet'];

/** The outputs with the one to explain first (the graph's order otherwise): the first output is the main one. */
function mainOutputFirst(outputs: TensorInfo[], name: string | undefined, source: string): TensorInfo[] {
  if (name === undefined) return outputs;
  const chosen = outputs.find((o) => o.name === name);
  if (!chosen) {
    throw new OptionError(
      'INVALID_OPTION',
      `${source} has no output named '${name}' (outputs: ${outputs.map((o) => o.name).join(', ')})`,
    );
  }
  return [chosen, ...outputs.filter((o) => o !== chosen)];
}

function tensorInfo(vi: ValueInfoProto): TensorInfo {
  const type = valueInfoElemType(vi);
  return {
    name: vi.name ?? '',
    elemType: ELEM_TYPE_NAMES[type] ?? `type${type}`,
    shape: valueInfoShape(vi) ?? [],
  };
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function formatDims(dims: readonly (number | string)[]): string {
  return `[${dims.join(', ')}]`;
}

function isTensorData(value: TensorData | Record<string, TensorData>): value is TensorData {
  return value.data instanceof Float32Array && Array.isArray(value.dims);
}

/** Softmax along axis 1 (the class axis), for any rank >= 2: one distribution per item and position. */
export function softmaxAxis1(t: TensorData): TensorData {
  const classes = t.dims[1] ?? 1;
  const inner = product(t.dims.slice(2));
  const out = new Float32Array(t.data.length);
  const items = t.dims[0] ?? 1;
  for (let n = 0; n < items; n++) {
    for (let j = 0; j < inner; j++) {
      const base = n * classes * inner + j;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, t.data[base + c * inner]);
      let sum = 0;
      for (let c = 0; c < classes; c++) {
        const e = Math.exp(t.data[base + c * inner] - max);
        out[base + c * inner] = e;
        sum += e;
      }
      for (let c = 0; c < classes; c++) out[base + c * inner] /= sum;
    }
  }
  return { data: out, dims: [...t.dims] };
}

/** `value` ([1, ...]) repeated `n` times along the batch axis. */
function repeatItems(value: TensorData, n: number, name: string): TensorData {
  if (value.dims[0] !== 1) {
    throw new OptionError(
      'INVALID_INPUT',
      `input '${name}' has ${value.dims[0]} items but this run has ${n}: give one value held for every item ` +
        `([1, ...]), or one per item for runs on the items themselves (predict, activations, plain ` +
        `gradients); methods that run derived copies of each item (occlusion, LIME, SHAP, integration paths, ` +
        `noisy copies) need one held value: explain the items that share a value together`,
    );
  }
  const data = new Float32Array(value.data.length * n);
  for (let i = 0; i < n; i++) data.set(value.data, i * value.data.length);
  return { data, dims: [n, ...value.dims.slice(1)] };
}

/** Item 0 of a batched value, as a batch of one. */
function firstItem(value: TensorData): TensorData {
  const size = product(value.dims.slice(1));
  return { data: value.data.subarray(0, size), dims: [1, ...value.dims.slice(1)] };
}

/** Softmax along `axis` of a tensor of any rank. */
export function softmaxAlong(t: TensorData, axis: number): TensorData {
  if (axis === 1) return softmaxAxis1(t);
  const count = t.dims[axis] ?? 1;
  const inner = product(t.dims.slice(axis + 1));
  const outer = product(t.dims.slice(0, axis));
  const out = new Float32Array(t.data.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * count * inner + j;
      let max = -Infinity;
      for (let c = 0; c < count; c++) max = Math.max(max, t.data[base + c * inner]);
      let sum = 0;
      for (let c = 0; c < count; c++) sum += out[base + c * inner] = Math.exp(t.data[base + c * inner] - max);
      for (let c = 0; c < count; c++) out[base + c * inner] /= sum;
    }
  }
  return { data: out, dims: [...t.dims] };
}

/** Probabilities of an output's scores as its activation defines them (see `Prediction.probabilities`). */
export function probabilitiesOf(description: OutputDescription, scores: TensorData): TensorData {
  const copy = (f: (v: number) => number) => ({ data: scores.data.map(f), dims: [...scores.dims] });
  if (description.activation === 'softmax' || description.activation === 'sigmoid') return copy((v) => v);
  if (description.activation === 'log-softmax') return copy(Math.exp);
  if (description.kind === 'regression') return copy((v) => v);
  const axis = description.classAxis >= 0 ? description.classAxis : 1;
  if ((scores.dims[axis] ?? 1) === 1) return copy((v) => 1 / (1 + Math.exp(-v)));
  return softmaxAlong(scores, axis);
}

/** A sequence input's description with its layout (the image spec's `layout` field holds it). */
function sequenceDescription(layout: SequenceLayout): InputDescription {
  return { kind: 'sequence', layout } as unknown as InputDescription;
}

interface ProbeResult {
  /** Dims of every tensor for the probed batch size. */
  dims: Map<string, number[]>;
  /** Runtime element type of every node output. */
  types: Map<string, string>;
}

/** A compiled VJP; `dY` is undefined for a graph that seeds itself (the top class). */
type SeededVjp = (
  inputs: TensorData | Record<string, TensorData>,
  dY: TensorData | undefined,
  options?: CallOptions,
) => Promise<VjpResult>;

export class OnnxModel implements Model, LinearHeadSource {
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  readonly inputName: string;
  readonly outputName: string;
  readonly labels: string[] | undefined;
  readonly inputSpec: InputSpec | undefined;
  readonly outputKind: 'probabilities' | 'logits';
  readonly outputDescriptions: readonly OutputDescription[];
  readonly notes: readonly string[];
  readonly metadata: Record<string, string>;
  readonly task: string | undefined;
  /**
   * The input as the model describes it (`netlens.input` merged with the inputSpec option): for images the
   * fields of `inputSpec`; for other inputs (kind 'sequence', 'table', ...) whatever fields that kind uses.
   */
  readonly inputDescription: InputDescription | undefined;
  /** The decoded model. Treat as read-only: graph edits work on copies. */
  readonly proto: ModelProto;
  readonly source: string;

  private readonly runtime: OnnxRuntime;
  private readonly options: OnnxModelOptions;
  private readonly sessions: SessionCache;
  /** The affine first layer of the table input, once looked for (see `coalitionMeans`). */
  private firstLayer?: { layer: AffineFirstLayer | undefined };
  /** Node outputs in topological order, with their producing node. */
  private readonly tensors: Map<string, { nodeName: string; opType: string }>;
  private readonly probes = new Map<string, Promise<ProbeResult>>();
  private layerList: Promise<LayerInfo[]> | undefined;
  private prefix: Promise<LocalPrefix | undefined> | undefined;
  private readonly vjps = new Map<string, Promise<SeededVjp>>();
  private readonly tailVjps = new Map<string, Promise<VjpFunction>>();
  /** Per VJP of one item dims, the largest batch a session was made for (see vjpPerItemDims). */
  private readonly vjpBuckets = new Map<string, number>();
  /** Values of the inputs other than the main one (see the `inputs` option). */
  private readonly held: Record<string, TensorData> = {};

  /** Decode `model` (bytes or proto), check it, and open its main session (so a broken model fails here). */
  static async create(
    model: Uint8Array | ModelProto,
    runtime: OnnxRuntime,
    options: OnnxModelOptions = {},
  ): Promise<OnnxModel> {
    const source = options.source ?? 'model';
    let proto = model instanceof Uint8Array ? decodeModel(model, source) : model;
    const notes: string[] = [];
    const upgraded = upgradeOpset(proto, source);
    if (upgraded) {
      proto = upgraded.model;
      notes.push(describeUpgrade(upgraded));
    }
    if (usesHalfPrecision(proto)) {
      const widened = toFloat32(proto);
      proto = widened.model;
      notes.push(
        `float16 model run in float32 (${widened.widened} tensors widened in memory; same function, float32 arithmetic)`,
      );
    }
    const declaredLayout =
      options.sequenceLayout ?? inputSpecFromMetadata(metadataProps(proto), source)?.layout;
    const batchFirst = readBatchFirst(proto, declaredLayout);
    if (batchFirst) {
      proto = batchFirst.model;
      notes.push(batchFirst.note);
      // A sequence input, now batch-first (the graph alone can tell it: an LSTM reads it).
      options = { ...options, sequenceLayout: 'NTC' };
    }
    const created = new OnnxModel(proto, runtime, options, notes);
    const outputs = created.outputs.map((o) => o.name);
    const unchanged = model instanceof Uint8Array && notes.length === 0;
    try {
      await created.sessions.get(outputSetKey('run', outputs), () => (unchanged ? model : proto), source);
    } catch (err) {
      const why = err instanceof RuntimeError ? firstLine(err.cause) : firstLine(err);
      throw new ModelError('INVALID_MODEL', `${source} is not a usable ONNX model (ONNX Runtime: ${why})`, {
        cause: err,
      });
    }
    return created;
  }

  private constructor(
    proto: ModelProto,
    runtime: OnnxRuntime,
    options: OnnxModelOptions,
    notes: readonly string[] = [],
  ) {
    this.proto = proto;
    this.runtime = runtime;
    this.options = options;
    this.source = options.source ?? 'model';
    if (options.miniBatchSize !== undefined) resolveMiniBatchSize(options, DEFAULT_MINI_BATCH_SIZE);
    const workers = options.sessionWorkers;
    if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0)) {
      throw new OptionError('INVALID_OPTION', `sessionWorkers must be an integer >= 0, got ${workers}`);
    }
    this.sessions = new SessionCache(runtime, {
      threads: options.threads,
      threadSpinning: options.threadSpinning,
      graphOptimizationLevel: options.graphOptimizationLevel,
    });
    const graph = proto.graph;
    if (!graph) throw new ModelError('INVALID_MODEL', `${this.source} has no graph`);

    this.inputs = feedInputs(graph).map(tensorInfo);
    this.outputs = mainOutputFirst((graph.output ?? []).map(tensorInfo), options.outputName, this.source);
    const floatInput = this.inputs.find((i) => i.elemType === 'float32');
    if (!floatInput) {
      const found = this.inputs.map((i) => `${i.name}: ${i.elemType}`).join(', ') || 'no inputs';
      throw new UnsupportedError('UNSUPPORTED_MODEL', `${this.source} has no float32 input (found ${found})`);
    }
    if (this.outputs.length === 0) throw new ModelError('INVALID_MODEL', `${this.source} has no outputs`);
    this.inputName = floatInput.name;
    this.outputName = this.outputs[0].name;

    this.tensors = new Map();
    for (const node of topologicalNodes(graph)) {
      for (const name of nodeOutputs(node)) {
        this.tensors.set(name, { nodeName: node.name || name, opType: node.opType ?? '' });
      }
    }
    this.metadata = metadataProps(proto);
    this.task = options.task ?? this.metadata[TASK_KEY];
    const described: InputDescription = {
      ...inputSpecFromMetadata(this.metadata, this.source),
      ...options.inputSpec,
      ...(options.sequenceLayout ? sequenceDescription(options.sequenceLayout) : {}),
    };
    this.inputDescription = Object.keys(described).length > 0 ? described : undefined;
    // Only an image input has an InputSpec; other kinds keep their description as given.
    this.inputSpec = describesImage(described) ? resolveInputSpec(described, floatInput.shape) : undefined;
    this.labels = options.labels
      ? checkLabels(options.labels, 'labels option', (m) => new OptionError('INVALID_OPTION', m))
      : labelsFromMetadata(this.metadata, this.source);
    this.outputDescriptions = describeOutputs({
      proto,
      outputs: this.outputs,
      labels: this.labels,
      metadata: this.metadata,
      task: this.task,
      layout: this.layerLayout(),
      overrides: options.outputKinds,
      source: this.source,
    });
    const activation = this.outputDescriptions[0].activation;
    // Log-probabilities rank and soften like logits: softmax of them gives the probabilities back.
    this.outputKind = activation === 'softmax' || activation === 'sigmoid' ? 'probabilities' : 'logits';
    // A value without the batch axis is one item, held for every item.
    for (const [name, value] of Object.entries(options.inputs ?? {})) {
      const rank = this.inputs.find((i) => i.name === name)?.shape.length;
      this.held[name] =
        rank !== undefined && value.dims.length === rank - 1 ? { ...value, dims: [1, ...value.dims] } : value;
    }
    this.notes = [...notes, ...this.checkHeldInputs(this.held)];
    this.checkLabelCount();
  }

  /** Feeds for a batch of the main input: the batch plus every other float input, given or zeros. */
  private feedsFor(main: TensorData, probing = false): Record<string, TensorData> {
    const feeds: Record<string, TensorData> = { [this.inputName]: main };
    const n = main.dims[0];
    for (const info of this.inputs) {
      if (info.name === this.inputName || info.elemType !== 'float32') continue;
      const given = this.held[info.name];
      if (given) {
        // A shape probe runs one or two items whatever the held value's item count: its first item will do.
        const held = probing && given.dims[0] !== n ? firstItem(given) : given;
        feeds[info.name] = held.dims[0] === n ? held : repeatItems(held, n, info.name);
        continue;
      }
      const item = info.shape.slice(1);
      if (item.some((d) => typeof d !== 'number')) {
        throw new OptionError(
          'INVALID_INPUT',
          `input '${info.name}' has symbolic dims ${formatDims(info.shape)}; give its value (the inputs option)`,
        );
      }
      const dims = [n, ...(item as number[])];
      feeds[info.name] = { data: new Float32Array(product(dims)), dims };
    }
    return feeds;
  }

  /** The main output's description. */
  get mainOutput(): OutputDescription {
    return this.outputDescriptions[0];
  }

  private get mainInput(): TensorInfo {
    return this.inputs.find((i) => i.name === this.inputName) as TensorInfo;
  }

  /** Checks the held input values; notes the float inputs that will be fed zeros. */
  private checkHeldInputs(given: Record<string, TensorData>): string[] {
    for (const [name, value] of Object.entries(given)) {
      const info = this.inputs.find((i) => i.name === name);
      if (!info || name === this.inputName) {
        const others = this.inputs.filter((i) => i.name !== this.inputName).map((i) => i.name);
        throw new OptionError(
          'INVALID_OPTION',
          name === this.inputName
            ? `'${name}' is the main input (the one explained); it comes with each batch`
            : `'${name}' is not an input of ${this.source} (other inputs: ${others.join(', ') || 'none'})`,
        );
      }
      this.checkBatch(value, `input '${name}'`, info.shape);
    }
    return this.inputs
      .filter((i) => i.name !== this.inputName && i.elemType === 'float32' && !given[i.name])
      .map((i) => `input '${i.name}' ${formatDims(i.shape)} not given: fed zeros (held fixed)`);
  }

  private checkLabelCount(): void {
    const classes = this.mainOutput.classes;
    if (this.labels && classes !== undefined && this.labels.length !== classes) {
      throw new OptionError(
        'INVALID_OPTION',
        `${this.labels.length} labels given but output '${this.outputName}' has ${classes} classes`,
      );
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Shapes and layers

  /** The model's batch dim when it is fixed (e.g. exported with batch 1); runs then go in parts of that size. */
  private get fixedBatch(): number | undefined {
    const d = this.mainInput.shape[0];
    return typeof d === 'number' ? d : undefined;
  }

  /**
   * Concrete dims of one input item for probing: `exampleDims` when given, else the declared dims, with
   * symbolic ones taken from the image spec or a sequence description's length.
   */
  private exampleItemDims(): number[] {
    const shape = this.mainInput.shape;
    if (this.options.exampleDims) return [...this.options.exampleDims];
    const sequence = sequenceProbeDims(this.inputDescription, shape);
    const spec = this.inputSpec;
    const fromSpec = (axis: number): number | undefined => {
      if (!spec || shape.length !== 4) return undefined;
      const layout = inputLayout(spec, shape);
      const byAxis =
        layout === 'NCHW'
          ? [0, spec.channels, spec.height, spec.width]
          : [0, spec.height, spec.width, spec.channels];
      return byAxis[axis];
    };
    return shape.slice(1).map((d, i) => {
      if (typeof d === 'number') return d;
      const given = fromSpec(i + 1) ?? sequence[i + 1];
      if (given === undefined) {
        throw new UnsupportedError(
          'UNSUPPORTED_MODEL',
          `input '${this.inputName}' has symbolic dim '${d}' at axis ${i + 1}; give the exampleDims option ` +
            `(or an input spec) to fix it for the shape probe`,
        );
      }
      return given;
    });
  }

  /**
   * One run with every node output exposed: dims and element types of all tensors for `batch` items of
   * `itemDims` (default: the example item dims).
   */
  private probe(batch: number, itemDims: number[]): Promise<ProbeResult> {
    const key = JSON.stringify([batch, itemDims]);
    let result = this.probes.get(key);
    if (!result) {
      result = this.runProbe(batch, itemDims);
      this.probes.set(key, result);
      result.catch(() => this.probes.delete(key));
    }
    return result;
  }

  /**
   * Dims and types from static shape inference first; only what it leaves unknown is computed by running the
   * model, asking for a few of those tensors at a time so that no run holds every intermediate tensor.
   */
  private async runProbe(batch: number, itemDims: number[]): Promise<ProbeResult> {
    // Zeros: the normalised value of the spec's mean pixel. Shapes do not depend on values anyway.
    const input = { data: new Float32Array(batch * product(itemDims)), dims: [batch, ...itemDims] };
    const feeds = this.feedsFor(input, true);
    const { dims, types } = this.staticShapes(feeds);
    for (const [name, t] of Object.entries(feeds)) dims.set(name, t.dims);
    const unknown = [...this.tensors.keys()].filter((name) => !dims.has(name) || !types.has(name));
    this.probedTensors = unknown.length;
    for (let start = 0; start < unknown.length; start += PROBE_GROUP) {
      const group = unknown.slice(start, start + PROBE_GROUP);
      const out = await this.sessions.once(
        () => selectOutputs(this.proto, group),
        'the shape probe',
        async (session) => runRaw(this.runtime, session, feeds, group),
      );
      for (const [name, tensor] of Object.entries(out)) {
        dims.set(name, [...tensor.dims]);
        types.set(name, tensor.type);
      }
    }
    return { dims, types };
  }

  /** Static shape inference for inputs of the given dims (undefined: not fixed, types only). */
  private staticShapes(feeds: Record<string, { dims?: number[] }>): ProbeResult {
    const feedInfo = Object.fromEntries(
      this.proto.graph!.input!.flatMap((vi) => {
        const info = this.inputs.find((i) => i.name === vi.name);
        if (!info) return [];
        const declared = info.shape.every((d) => typeof d === 'number')
          ? (info.shape as number[])
          : undefined;
        return [[info.name, { type: valueInfoElemType(vi), dims: feeds[info.name]?.dims ?? declared }]];
      }),
    );
    const dims = new Map<string, number[]>();
    const types = new Map<string, string>();
    for (const [name, t] of inferShapes(this.proto.graph!, feedInfo)) {
      if (t.dims) dims.set(name, t.dims);
      if (t.type !== undefined) types.set(name, ELEM_TYPE_NAMES[t.type] ?? `type${t.type}`);
    }
    return { dims, types };
  }

  /** How many tensors the last shape probe had to run the model for (static inference found the rest). */
  probedTensors: number | undefined;

  /**
   * Concrete dims of every tensor (inputs, initializers, node outputs), with -1 where a dim follows the
   * batch size: found by probing with batch sizes 1 and 2 (items of `itemDims`, default the example dims).
   * A model with a fixed batch size is probed once, so no dim is marked.
   */
  async tensorShapes(itemDims?: number[]): Promise<Record<string, number[]>> {
    const dims = itemDims ?? this.exampleItemDims();
    const one = await this.probe(this.fixedBatch ?? 1, dims);
    const two = this.fixedBatch === undefined ? await this.probe(2, dims) : one;
    const shapes: Record<string, number[]> = {};
    for (const [name, dims] of one.dims) {
      const other = two.dims.get(name) ?? dims;
      if (other.length !== dims.length) {
        throw new UnsupportedError('UNSUPPORTED_MODEL', `tensor '${name}' changes rank with the batch size`);
      }
      shapes[name] = dims.map((d, i) => (d === other[i] ? d : -1));
    }
    return shapes;
  }

  layers(): Promise<LayerInfo[]> {
    this.layerList ??= this.listLayers();
    this.layerList.catch(() => (this.layerList = undefined));
    return this.layerList;
  }

  private async listLayers(): Promise<LayerInfo[]> {
    return this.layersFrom(await this.probe(this.fixedBatch ?? 1, this.exampleItemDims()));
  }

  /**
   * The layers (names, ops, element types) from the graph alone, with the shapes static inference decides
   * when the input dims are not fixed ([] where unknown): what `info` shows when no probe can run.
   */
  layersWithoutShapes(): LayerInfo[] {
    const feeds = Object.fromEntries(
      this.inputs.map((i) => [
        i.name,
        { dims: i.shape.every((d) => typeof d === 'number') ? (i.shape as number[]) : undefined },
      ]),
    );
    return this.layersFrom(this.staticShapes(feeds));
  }

  private layersFrom(probe: ProbeResult): LayerInfo[] {
    // Layers are tensors whose values come from the input: not weights folded through Constant/Identity,
    // nor tensors made from the input's shape only (ConstantOfShape(Shape(x)) initial states).
    const fromInput = valueDownstreamOf(
      this.proto.graph!,
      this.inputs.map((i) => i.name),
    );
    const layers: LayerInfo[] = [];
    for (const [name, node] of this.tensors) {
      if (!fromInput.has(name) || probe.types.get(name) !== 'float32') continue;
      layers.push({
        name,
        nodeName: node.nodeName,
        opType: node.opType,
        shape: probe.dims.get(name) ?? [],
        index: layers.length,
      });
    }
    return layers;
  }

  async featureLayer(): Promise<string> {
    return (await this.featureLayerChoice()).name;
  }

  /**
   * The default feature layer and why: the last layer with spatial dims before the output head — never an
   * output itself nor the tensor its final activation reads (a dense map's own scores are not features).
   */
  async featureLayerChoice(): Promise<{ name: string; why: string }> {
    const layout = this.layerLayout();
    const [h, w] = layout === 'NCHW' ? [2, 3] : [1, 2];
    const excluded = new Set(this.outputDescriptions.flatMap((d) => [d.name, d.logits]));
    const spatial = (await this.layers()).filter(
      (l) => l.shape.length === 4 && l.shape[h] > 1 && l.shape[w] > 1 && !excluded.has(l.name),
    );
    const last = spatial[spatial.length - 1];
    if (!last) {
      throw new UnsupportedError(
        'UNSUPPORTED_MODEL',
        `${this.source} has no layer with spatial dims (rank 4, height and width > 1, ${layout}) before its output`,
      );
    }
    if (this.mainOutput.kind !== 'dense-map')
      return { name: last.name, why: 'the last layer with spatial dims' };
    const area = (l: LayerInfo) => l.shape[h] * l.shape[w];
    const smallest = spatial.filter((l) => area(l) === Math.min(...spatial.map(area))).pop() as LayerInfo;
    return {
      name: last.name,
      why:
        `the last spatial layer before the output head of a dense map (not the map itself); ` +
        `the bottleneck is ${smallest.name} [${smallest.shape.join(', ')}]`,
    };
  }

  /** Per tensor: whether gradients of `output` can be taken with respect to it, and what blocks it if not. */
  async differentiability(output: string): Promise<Map<string, { ok: boolean; blockedBy?: string }>> {
    const out = new Map<string, { ok: boolean; blockedBy?: string }>();
    for (const d of differentiableTensors(this.proto, output)) {
      const blockedBy = d.blockedBy ? `${d.blockedBy.opType} ${d.blockedBy.nodeName}` : d.reason;
      out.set(d.name, d.differentiable ? { ok: true } : { ok: false, ...(blockedBy ? { blockedBy } : {}) });
    }
    return out;
  }

  /** The tensor before a final Softmax or Sigmoid (the main output itself otherwise, log-probabilities too). */
  async reductionLayer(): Promise<string> {
    const main = this.mainOutput;
    return main.activation === 'softmax' || main.activation === 'sigmoid' ? main.logits : main.name;
  }

  async checkLayer(name: string): Promise<LayerInfo> {
    const layers = await this.layers();
    const layer = layers.find((l) => l.name === name);
    if (layer) return layer;
    const names = layers.map((l) => l.name);
    const why = this.tensors.has(name)
      ? ` ('${name}' is not a float tensor computed from the input's values)`
      : '';
    throw new LayerError(
      'UNKNOWN_LAYER',
      `unknown layer '${name}'${why}; closest: ${closestNames(name, names).join(', ')}`,
    );
  }

  /** Throws UNKNOWN_TENSOR with the closest names unless `name` is a node output (or, if allowed, an input). */
  private checkTensor(name: string, allowInputs: boolean): void {
    if (this.tensors.has(name) || (allowInputs && this.inputs.some((i) => i.name === name))) return;
    const names = [...(allowInputs ? this.inputs.map((i) => i.name) : []), ...this.tensors.keys()];
    throw new LayerError(
      'UNKNOWN_TENSOR',
      `unknown tensor '${name}'; closest: ${closestNames(name, names).join(', ')}`,
    );
  }

  // ---------------------------------------------------------------------------------------------------------
  // Running

  /** `what` names the tensor in messages, e.g. "input 'x'"; the dim at `batchAxis` may be anything. */
  private checkBatch(
    batch: TensorData,
    what: string,
    shape: readonly (number | string)[],
    batchAxis = 0,
  ): void {
    if (!(batch.data instanceof Float32Array) || !Array.isArray(batch.dims)) {
      throw new OptionError('INVALID_INPUT', `${what} must be a Float32Array with dims`);
    }
    const expected = formatDims(shape.map((d, i) => (i === batchAxis && typeof d !== 'number' ? 'N' : d)));
    const fits =
      batch.dims.length === shape.length &&
      shape.every((d, i) => i === batchAxis || typeof d !== 'number' || batch.dims[i] === d) &&
      batch.dims.every((d) => Number.isInteger(d) && d >= 0);
    if (shape.length > 0 && !fits) {
      throw new OptionError(
        'INVALID_INPUT',
        `${what} expects dims ${expected}, got ${formatDims(batch.dims)}`,
      );
    }
    if (batch.data.length !== product(batch.dims)) {
      throw new OptionError(
        'INVALID_INPUT',
        `${what} has ${batch.data.length} values but dims ${formatDims(batch.dims)} need ${product(batch.dims)}`,
      );
    }
  }

  /** The batch axis of a tensor from its probed shape: the dim that follows the batch size (-1: none). */
  private batchAxis(shape: readonly number[]): number {
    // With a fixed batch size nothing varies; tensors are taken to be batched along axis 0.
    return this.fixedBatch !== undefined ? 0 : shape.indexOf(-1);
  }

  /** Batch axes of `names` (keys: tensor names, or names of other tensors with the same shape). */
  private async batchAxes(
    names: readonly string[],
    itemDims: number[],
    sameShapeAs: Record<string, string> = {},
  ): Promise<Record<string, number>> {
    const shapes = await this.tensorShapes(itemDims);
    return Object.fromEntries(names.map((n) => [n, this.batchAxis(shapes[sameShapeAs[n] ?? n] ?? [])]));
  }

  /**
   * What a batch of `shape` must look like: batch-dependent dims free, and every other dim too when the
   * input has symbolic dims besides the batch (a sequence length changes shapes the probe fixed).
   */
  private expectedDims(shape: readonly number[]): (number | string)[] {
    const itemDimsVary = this.mainInput.shape.slice(1).some((d) => typeof d !== 'number');
    return shape.map((d, i) => (d < 0 ? 'N' : itemDimsVary ? `d${i}` : d));
  }

  private batchOptions(options: BatchOptions | undefined, stage: string) {
    return {
      ...options,
      defaultMiniBatchSize: this.options.miniBatchSize ?? DEFAULT_MINI_BATCH_SIZE,
      fixedBatch: this.fixedBatch,
      stage,
    };
  }

  /**
   * The ONNX Runtime session that `run` uses for these outputs (the main one by default): benchmarks time
   * the raw forward through it, so the floor has the very settings the methods run under.
   */
  runtimeSession(outputNames: readonly string[] = [this.outputName]): Promise<OrtSession> {
    return this.runSession([...new Set(outputNames)]);
  }

  /**
   * The main output of batches of up to `maxRows` items through a prepared run (see `preparedRun`): for hot loops
   * that run the same shapes many times. Undefined when the model has inputs besides its main one, a fixed
   * batch size, or item dims that are not fixed numbers; `run` serves those.
   */
  async preparedRun(maxRows: number): Promise<PreparedRun | undefined> {
    const output = this.outputs.find((o) => o.name === this.outputName);
    const fixed = (shape: readonly (number | string)[]): number[] | undefined =>
      shape.slice(1).every((d) => typeof d === 'number' && d > 0) ? (shape.slice(1) as number[]) : undefined;
    const input = fixed(this.mainInput.shape);
    const out = output && typeof output.shape[0] !== 'number' ? fixed(output.shape) : undefined;
    if (this.inputs.length !== 1 || this.fixedBatch !== undefined || !input || !out) return undefined;
    if (this.mainInput.elemType !== 'float32' || output?.elemType !== 'float32') return undefined;
    const session = await this.runSession([this.outputName]);
    return preparedRun(
      this.runtime,
      session,
      this.inputName,
      this.outputName,
      { input, output: out },
      maxRows,
    );
  }

  async coalitionMeans(request: CoalitionMeansRequest): Promise<CoalitionMeansRun> {
    const shape = this.mainInput.shape;
    const m = shape[1];
    if (
      this.inputs.length !== 1 ||
      shape.length !== 2 ||
      typeof m !== 'number' ||
      this.fixedBatch !== undefined
    ) {
      throw new UnsupportedError(
        'UNSUPPORTED_MODEL',
        `coalition values inside the runtime need one input [N, F] with F fixed and N free; ${this.source} takes ` +
          this.inputs.map((i) => `'${i.name}' ${formatDims(i.shape)}`).join(', '),
      );
    }
    this.checkTensor(request.scores, false);
    const { scores, columns, softmax } = request;
    // The first layer's parts where the model starts with an affine layer, else the rows (same values).
    this.firstLayer ??= { layer: affineFirstLayer(this.proto, this.inputName, m) };
    const { layer } = this.firstLayer;
    const shifts = layer ? request.background.length * layer.hidden : Infinity;
    const firstLayer =
      !layer ||
      shifts > MAX_FIRST_LAYER_SHIFTS ||
      layer.nodes.slice(0, -1).some((n) => n.output?.[0] === scores)
        ? undefined
        : layer;
    const session = await this.sessions.get(
      `coalition:${JSON.stringify([scores, columns, softmax, firstLayer !== undefined])}`,
      () =>
        coalitionGraph(this.proto, {
          input: this.inputName,
          scores,
          numFeatures: m,
          columns,
          softmax,
          firstLayer,
        }),
      `the coalition graph of '${scores}'`,
    );
    return firstLayer
      ? firstLayerMeansRun(this.runtime, session, firstLayer, m, request)
      : coalitionMeansRun(this.runtime, session, m, request);
  }

  private runSession(names: readonly string[]): Promise<OrtSession> {
    return this.sessions.get(outputSetKey('run', names), () => selectOutputs(this.proto, names), this.source);
  }

  async run(
    batch: TensorData,
    outputNames: string[],
    options?: BatchOptions,
  ): Promise<Record<string, TensorData>> {
    if (outputNames.length === 0) throw new OptionError('INVALID_OPTION', 'no output names given');
    for (const name of outputNames) this.checkTensor(name, false);
    this.checkBatch(batch, `input '${this.inputName}'`, this.mainInput.shape);
    const session = await this.runSession(outputNames);
    const feeds = this.feedsFor(batch);
    return runBatched(this.runtime, session, feeds, [...new Set(outputNames)], {
      ...this.batchOptions(options, 'forward passes'),
      outputAxes: (names) => this.batchAxes(names, batch.dims.slice(1)),
    });
  }

  async predict(batch: TensorData, options?: BatchOptions): Promise<Prediction> {
    const scores = (await this.run(batch, [this.outputName], options))[this.outputName];
    return { scores, probabilities: probabilitiesOf(this.mainOutput, scores) };
  }

  async activations(
    batch: TensorData,
    layerNames: string[],
    options?: BatchOptions,
  ): Promise<Record<string, TensorData>> {
    for (const name of layerNames) await this.checkLayer(name);
    return this.run(batch, layerNames, options);
  }

  async forwardFrom(
    layer: string,
    activations: TensorData,
    options: BatchOptions & { output?: string } = {},
  ): Promise<TensorData> {
    await this.checkLayer(layer);
    const output = options.output ?? this.outputName;
    this.checkTensor(output, false);
    const shapes = await this.tensorShapes();
    const layerShape = shapes[layer];
    const axis = this.batchAxis(layerShape);
    if (axis < 0) {
      throw new UnsupportedError('UNSUPPORTED_LAYER', `layer '${layer}' has no batch axis to run from`);
    }
    this.checkBatch(activations, `layer '${layer}'`, this.expectedDims(layerShape), axis);
    // The tail from a tensor to itself has no nodes (e.g. a segmentation output used as feature layer).
    if (layer === output) return { data: Float32Array.from(activations.data), dims: [...activations.dims] };
    const others = this.inputs.filter((i) => i.name !== this.inputName).map((i) => i.name);
    const session = await this.sessions.get(
      `from:${JSON.stringify([layer, output])}`,
      () => cutAt(this.proto, layer, [output], layerShape, others),
      `the network from '${layer}'`,
    );
    // Held inputs the tail reads come along, batched like the activations.
    const held = this.feedsFor({ data: new Float32Array(0), dims: [activations.dims[axis], 0] });
    delete held[this.inputName];
    const result = await runBatched(this.runtime, session, { ...held, [layer]: activations }, [output], {
      ...this.batchOptions(options, 'forward passes'),
      feedAxes: { [layer]: axis },
      outputAxes: async () => ({ [output]: this.batchAxis(shapes[output]) }),
    });
    return result[output];
  }

  // ---------------------------------------------------------------------------------------------------------
  // Vector–Jacobian products

  tailVjp(layer: string, output: string): Promise<VjpFunction> {
    const key = JSON.stringify([layer, output]);
    let compiled = this.tailVjps.get(key);
    if (!compiled) {
      compiled = this.compileTailVjp(layer, output);
      this.tailVjps.set(key, compiled);
      compiled.catch(() => this.tailVjps.delete(key));
    }
    return compiled;
  }

  /** The VJP graph of the network cut at `layer`: fed the layer's activations, it runs the tail only. */
  private async compileTailVjp(layer: string, output: string): Promise<VjpFunction> {
    await this.checkLayer(layer);
    this.checkTensor(output, false);
    const shapes = await this.tensorShapes();
    const layerShape = shapes[layer];
    const axis = this.batchAxis(layerShape);
    const seedAxis = this.batchAxis(shapes[output]);
    if (axis !== 0 || seedAxis !== 0) {
      throw new UnsupportedError('UNSUPPORTED_LAYER', `'${layer}' or '${output}' is not batch-first`);
    }
    if (layer === output) {
      throw new UnsupportedError('UNSUPPORTED_LAYER', `'${output}' is the layer itself: there is no tail`);
    }
    const others = this.inputs.filter((i) => i.name !== this.inputName).map((i) => i.name);
    const tail = cutAt(this.proto, layer, [output], layerShape, others);
    const built = buildVjpGraph(tail, { output, wrt: [layer], rule: 'gradient', shapes });
    const session = await this.sessions.get(
      `tail-vjp:${JSON.stringify([layer, output])}`,
      () => built.model,
      `the gradient of '${output}' from '${layer}'`,
    );
    const graphInputs = new Set((built.model.graph?.input ?? []).map((vi) => vi.name));
    const [grad] = built.gradNames;
    return async (inputs, dY, options) => {
      const activations = isTensorData(inputs) ? inputs : inputs[layer];
      if (!activations) throw new OptionError('INVALID_INPUT', `the activations of '${layer}' are missing`);
      this.checkBatch(activations, `layer '${layer}'`, this.expectedDims(layerShape), axis);
      this.checkBatch(dY, `dY (seed for '${output}')`, this.expectedDims(shapes[output]), seedAxis);
      if (dY.dims[seedAxis] !== activations.dims[axis]) {
        throw new OptionError(
          'INVALID_INPUT',
          `dY has ${dY.dims[seedAxis]} items but the activations have ${activations.dims[axis]}`,
        );
      }
      // Held inputs the tail reads come along, batched like the activations.
      const feeds: Record<string, TensorData> = {};
      const held = this.feedsFor({ data: new Float32Array(0), dims: [activations.dims[axis], 0] });
      for (const [name, value] of Object.entries(held)) if (graphInputs.has(name)) feeds[name] = value;
      feeds[layer] = activations;
      feeds[built.seedName] = dY;
      const result = await runBatched(this.runtime, session, feeds, [built.outputName, grad], {
        ...this.batchOptions(options, 'gradients'),
        feedAxes: { [layer]: axis, [built.seedName]: seedAxis },
        outputAxes: async () => ({ [built.outputName]: seedAxis, [grad]: axis }),
      });
      return { output: result[built.outputName], grads: [result[grad]] };
    };
  }

  vjp(request: VjpRequest): Promise<VjpFunction> {
    let rule: BackpropRule;
    try {
      rule = this.checkVjpRequest(request);
    } catch (err) {
      return Promise.reject(err);
    }
    const key = JSON.stringify([request.output, request.wrt, rule]);
    if (this.itemDimsVary())
      return Promise.resolve(this.vjpPerItemDims(request.output, [...request.wrt], rule));
    return this.cachedVjp(request.output, [...request.wrt], rule, key);
  }

  async topClassVjp(request: VjpRequest): Promise<TopClassVjpFunction> {
    const rule = this.checkVjpRequest(request);
    if (this.itemDimsVary()) {
      throw new UnsupportedError(
        'UNSUPPORTED_MODEL',
        'a top-class VJP needs fixed item dims (this input has a free axis besides the batch)',
      );
    }
    const key = JSON.stringify([request.output, request.wrt, rule, 'top-class']);
    const vjp = await this.cachedVjp(request.output, [...request.wrt], rule, key, undefined, undefined, true);
    return (inputs, options) => vjp(inputs, undefined, options);
  }

  /** The rule of a valid VJP request; throws OptionError / LayerError otherwise. */
  private checkVjpRequest(request: VjpRequest): BackpropRule {
    const rule = request.rule ?? 'gradient';
    if (!RULES.includes(rule))
      throw new OptionError('INVALID_OPTION', `rule must be one of ${RULES.join(', ')}, got '${rule}'`);
    this.checkTensor(request.output, false);
    if (!Array.isArray(request.wrt) || request.wrt.length === 0)
      throw new OptionError('INVALID_OPTION', 'vjp needs at least one wrt tensor');
    for (const name of request.wrt) this.checkTensor(name, true);
    return rule;
  }

  private cachedVjp(
    output: string,
    wrt: string[],
    rule: BackpropRule,
    key: string,
    itemDims?: number[],
    sessionBatch?: number,
    topClass = false,
  ): Promise<SeededVjp> {
    let compiled = this.vjps.get(key);
    if (!compiled) {
      compiled = this.compileVjp(output, wrt, rule, key, itemDims, sessionBatch, topClass);
      this.vjps.set(key, compiled);
      compiled.catch(() => this.vjps.delete(key));
    }
    return compiled;
  }

  /** The worker sessions of a graph (see `sessionWorkers`); undefined where there are none. */
  private workerSessions(
    key: string,
    build: () => ModelProto,
    what: string,
  ): Promise<SessionRunner> | undefined {
    const budget = this.options.threads ?? this.runtime.cores ?? 1;
    const count = this.options.sessionWorkers ?? (budget >= 2 ? DEFAULT_SESSION_WORKERS : 0);
    return this.sessions.workers(key, build, what, count, budget);
  }

  /** Whether the input has free dims besides the batch (a sequence length). */
  private itemDimsVary(): boolean {
    return this.mainInput.shape.slice(1).some((d) => typeof d !== 'number');
  }

  /**
   * A VJP for an input whose item dims vary: shapes are concrete in a VJP graph (recurrent layers are unrolled
   * over the time length), so one graph is built and cached per item dims seen, and its session per batch
   * bucket too (see onnx/concrete-batch.ts: sessions with every dim concrete are several times faster to make).
   */
  private vjpPerItemDims(output: string, wrt: string[], rule: BackpropRule): VjpFunction {
    return async (inputs, dY, options) => {
      const main = isTensorData(inputs) ? inputs : inputs[this.inputName];
      const itemDims = main ? main.dims.slice(1) : this.exampleItemDims();
      const miniBatch = resolveMiniBatchSize(options, this.options.miniBatchSize ?? DEFAULT_MINI_BATCH_SIZE);
      const base = JSON.stringify([output, wrt, rule, itemDims]);
      let bucket: number | undefined;
      if (main && this.fixedBatch === undefined) {
        // Padding a part up to a session already made is cheaper than making another (seconds).
        bucket = Math.max(batchBucket(main.dims[0], miniBatch), this.vjpBuckets.get(base) ?? 0);
        this.vjpBuckets.set(base, bucket);
      }
      const key = JSON.stringify([output, wrt, rule, itemDims, bucket]);
      const compiled = await this.cachedVjp(output, wrt, rule, key, itemDims, bucket);
      return compiled(inputs, dY, options);
    };
  }

  private async compileVjp(
    output: string,
    wrt: string[],
    rule: BackpropRule,
    key: string,
    probeDims?: number[],
    sessionBatch?: number,
    topClass = false,
  ): Promise<SeededVjp> {
    const shapes = await this.tensorShapes(probeDims);
    const outputShape = shapes[output];
    if (topClass && outputShape.length !== 2) {
      throw new UnsupportedError(
        'UNSUPPORTED_MODEL',
        `a top-class VJP needs [N, classes] scores; '${output}' is [${outputShape.join(', ')}]`,
      );
    }
    const vjpGraph = buildVjpGraph(this.proto, { output, wrt, rule, shapes });
    const built = topClass ? seedTopClass(vjpGraph, output, outputShape[1]) : vjpGraph;
    const seedAxis = this.batchAxis(outputShape);
    const withBatch = (dims: readonly number[] | undefined, b: number) => dims?.map((d) => (d < 0 ? b : d));
    // A batch size for the session only where every input (and the seed) has its batch axis and known dims.
    const batch =
      sessionBatch !== undefined &&
      seedAxis >= 0 &&
      declareInputDims(
        built.model,
        Object.fromEntries(
          (built.model.graph?.input ?? []).map((vi) => {
            const name = vi.name ?? '';
            const dims = name === built.seedName ? outputShape : shapes[name];
            return [name, withBatch(dims, sessionBatch) ?? []];
          }),
        ),
      )
        ? sessionBatch
        : undefined;
    const what = `the gradient of '${output}'`;
    // Made at the first call it serves: calls kept in flight go to the worker sessions instead.
    const session = () => this.sessions.get(`vjp:${key}`, () => built.model, what);
    // Each gradient has the shape of its wrt tensor, the returned output that of `output`.
    const sameShapeAs: Record<string, string> = { [built.outputName]: output };
    built.gradNames.forEach((g, i) => (sameShapeAs[g] = wrt[i]));
    return async (inputs, dY, options) => {
      const given: Record<string, TensorData> = isTensorData(inputs)
        ? { [this.inputName]: inputs }
        : { ...inputs };
      // Inputs not passed are the held ones (or zeros), as in every forward run.
      const mainGiven = given[this.inputName];
      const feeds = mainGiven ? { ...this.feedsFor(mainGiven), ...given } : given;
      for (const [name, value] of Object.entries(feeds)) {
        const info = this.inputs.find((i) => i.name === name);
        if (!info) throw new OptionError('INVALID_INPUT', `'${name}' is not an input of ${this.source}`);
        this.checkBatch(value, `input '${name}'`, info.shape);
      }
      const main = feeds[this.inputName];
      const feedAxes: Record<string, number> = {};
      if (!topClass) {
        if (!dY) throw new OptionError('INVALID_INPUT', `the gradient of '${output}' needs a seed dY`);
        this.checkBatch(
          dY,
          `dY (seed for '${output}')`,
          this.expectedDims(outputShape),
          Math.max(seedAxis, 0),
        );
        if (main && seedAxis >= 0 && dY.dims[seedAxis] !== main.dims[0]) {
          throw new OptionError(
            'INVALID_INPUT',
            `dY has ${dY.dims[seedAxis]} items but the inputs have ${main.dims[0]}`,
          );
        }
        feeds[built.seedName] = dY;
        feedAxes[built.seedName] = Math.max(seedAxis, 0);
      }
      const names = [built.outputName, ...built.gradNames];
      const itemDims = main ? main.dims.slice(1) : this.exampleItemDims();
      const outputAxes = (outs: readonly string[]) => this.batchAxes(outs, itemDims, sameShapeAs);
      const count = main?.dims[0] ?? 0;
      // A session made for `batch` items runs padded parts of exactly that many.
      const padded = batch === undefined ? count : Math.ceil(count / batch) * batch;
      if (batch !== undefined && padded !== count) {
        for (const name of Object.keys(feeds))
          feeds[name] = padItems(feeds[name], feedAxes[name] ?? 0, padded);
      }
      // Calls kept in flight together go to worker sessions, made at the first such call.
      const workers = options?.concurrent
        ? this.workerSessions(`vjp:${key}`, () => built.model, what)
        : undefined;
      const result = await runBatched(this.runtime, (await workers) ?? (await session()), feeds, names, {
        ...this.batchOptions(options, 'gradients'),
        ...(batch !== undefined ? { fixedBatch: batch } : {}),
        feedAxes,
        outputAxes,
      });
      if (padded !== count) {
        const axes = await outputAxes(names);
        for (const name of names) result[name] = firstItems(result[name], axes[name], count);
      }
      const value: VjpResult = {
        output: result[built.outputName],
        grads: built.gradNames.map((n) => result[n]),
      };
      return value;
    };
  }

  localPrefix(): Promise<LocalPrefix | undefined> {
    this.prefix ??= (async () => {
      if (this.inputs.length !== 1 || this.fixedBatch !== undefined) return undefined;
      if (this.inputSpec?.layout === 'NHWC') return undefined;
      return localPrefix(this.proto, this.inputName, await this.tensorShapes());
    })();
    return this.prefix;
  }

  async runLocal(from: string, to: string, crops: TensorData, options?: BatchOptions): Promise<TensorData> {
    const cuts = (await this.localPrefix())?.cuts ?? [];
    const target = cuts.find((c) => c.layer === to);
    const source = from === this.inputName ? undefined : cuts.find((c) => c.layer === from);
    // To a later cut on crops of any size, or from a cut to any later tensor on full maps (the tail).
    const tail = source !== undefined && target === undefined;
    if (from === to || (from !== this.inputName && !source) || (target && source && !target.from[from])) {
      throw new UnsupportedError(
        'UNSUPPORTED_LAYER',
        `'${from}' to '${to}' is not a piece of the spatially local prefix of ${this.source}`,
      );
    }
    if (!target && !tail) this.checkTensor(to, false);
    const channels = source ? source.dims[0] : Number(this.mainInput.shape[1]);
    const size = tail ? ([source.dims[1], source.dims[2]] as const) : undefined;
    if (
      crops.dims.length !== 4 ||
      crops.dims[1] !== channels ||
      (size && (crops.dims[2] !== size[0] || crops.dims[3] !== size[1]))
    ) {
      throw new OptionError(
        'INVALID_INPUT',
        `maps of '${from}' must be [N, ${channels}, ${size ? size.join(', ') : 'H, W'}], got [${crops.dims.join(', ')}]`,
      );
    }
    // Pieces alternate with each other and the tail: idle threads spinning in one session would take the cores
    // another one runs on, so they sleep unless spinning was asked for.
    const session = await this.sessions.get(
      `local:${JSON.stringify([from, to])}`,
      () => localSegment(this.proto, this.inputName, from, to, channels, size),
      `the network from '${from}' to '${to}'`,
      { threadSpinning: this.options.threadSpinning ?? false },
    );
    const result = await runBatched(this.runtime, session, { [from]: crops }, [to], {
      ...this.batchOptions(options, 'forward passes'),
      outputAxes: async () => ({ [to]: 0 }),
    });
    return result[to];
  }

  /** The linear layer after global average pooling of `layer` (for CAM); UnsupportedError when there is none. */
  async linearHead(layer: string): Promise<LinearHead> {
    const info = await this.checkLayer(layer);
    const layout = this.layerLayout();
    return linearHeadAfter(this.proto, layer, info.shape[layout === 'NCHW' ? 1 : 3] ?? 0, layout);
  }

  /** Imported models may keep layer tensors NCHW behind an NHWC input (they say so in their metadata). */
  private layerLayout(): 'NCHW' | 'NHWC' {
    return layerLayoutOf(this.metadata, inputLayout(this.inputSpec, this.mainInput.shape));
  }

  async dispose(): Promise<void> {
    this.vjps.clear();
    this.tailVjps.clear();
    this.vjpBuckets.clear();
    this.probes.clear();
    this.layerList = undefined;
    await this.sessions.dispose();
  }
}
