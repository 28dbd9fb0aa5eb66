/**
 * Shared plain-data types. Methods see networks only through the `Model` interface below; results are
 * plain data (typed arrays + dims + metadata) and are rendered separately.
 */
import type { LocalPrefix } from './onnx/local-prefix.js';

/** A dense float tensor, row-major. `dims[0]` is the batch axis wherever a batch is meant. */
export interface TensorData {
  data: Float32Array;
  dims: number[];
}

/** How raw pixels become the model's input: x = (pixel * scale - mean[c]) / std[c]. */
export interface InputSpec {
  height: number;
  width: number;
  channels: number;
  layout: 'NCHW' | 'NHWC';
  /** Channel order the network expects ('GRAY' for one channel). */
  channelOrder: 'RGB' | 'BGR' | 'GRAY';
  /** Multiplier applied to 0..255 pixel values before mean/std (e.g. 1/255). */
  scale: number;
  mean: number[];
  std: number[];
}

/** An input or output of the graph. Symbolic dims are kept as strings. */
export interface TensorInfo {
  name: string;
  elemType: string;
  shape: (number | string)[];
}

/** A run of a model's main output whose result the next call may overwrite (see `Model.preparedRun`). */
export type PreparedRun = (rows: Float32Array, count: number) => Promise<Float32Array>;

/** What a coalition-means run averages (see `Model.coalitionMeans`). */
export interface CoalitionMeansRequest {
  /** The [N, K] tensor averaged: the main output, or the logits before its final activation. */
  scores: string;
  /** Output columns K of `scores`. */
  columns: number;
  /** Whether each row's scores go through a softmax over the K columns before the mean. */
  softmax: boolean;
  /** Background rows [B, F], as the model takes them. */
  background: Float32Array;
}

/**
 * For groups g (a coalition `masks[g]`, 0/1 per feature, and a query point `queries[g]`, as the model takes it):
 * the mean over the background rows b of the scores of the row (q_S, b_¬S), [groups, K] group-major.
 */
export interface CoalitionMeansRun {
  (masks: readonly Uint8Array[], queries: readonly Float32Array[]): Promise<Float64Array>;
  /**
   * How the graph gets the rows' scores: 'first-layer' where the model starts with an affine first layer (its
   * output built from per-query parts; calls whose groups share one query point cost least, and masks are
   * recognised by identity, so a mask must not change between calls), else 'rows'.
   */
  readonly path: CoalitionGraphPath;
}

/** See `CoalitionMeansRun.path`. */
export type CoalitionGraphPath = 'first-layer' | 'rows';

/** A tensor a user can pick as a layer: one node output, in topological order. */
export interface LayerInfo {
  /** Tensor name (what `activations` and `vjp` take). */
  name: string;
  nodeName: string;
  opType: string;
  /** Concrete shape for batch size 1, found by a probe run. */
  shape: number[];
  /** Position in topological order. */
  index: number;
}

export type BackpropRule = 'gradient' | 'guided' | 'deconvnet';

export interface VjpRequest {
  /** Any tensor name: a model output or an intermediate. */
  output: string;
  /** Tensors to differentiate with respect to: the model input and/or intermediates. */
  wrt: string[];
  rule?: BackpropRule;
}

export interface VjpResult {
  /** The value of `output` for the batch. */
  output: TensorData;
  /** (∂output/∂wrt[i])ᵀ · dY, one per `wrt` entry, each batched like the inputs. */
  grads: TensorData[];
}

/** Options of one VJP call. */
export interface CallOptions extends BatchOptions {
  /**
   * The caller keeps other calls of this VJP in flight (a stream of path points or noisy copies): the call may
   * run on a worker session beside them (see the model option `sessionWorkers`).
   */
  concurrent?: boolean;
}

/** Compiled vector-Jacobian product: a batch of inputs and a batch of seeds (dY has the output's shape). */
export type VjpFunction = (
  inputs: TensorData | Record<string, TensorData>,
  dY: TensorData,
  options?: CallOptions,
) => Promise<VjpResult>;

/** A VJP whose seed is each item's top class, found inside the same run (see `Model.topClassVjp`). */
export type TopClassVjpFunction = (inputs: TensorData, options?: CallOptions) => Promise<VjpResult>;

/** What an output holds. */
export type OutputKind = 'class-scores' | 'dense-map' | 'sequence' | 'regression';
/** The activation the graph applies last to an output. */
export type OutputActivation = 'softmax' | 'log-softmax' | 'sigmoid' | 'none';

/** One model output as every command reads it (decided once by the model; overridable by option). */
export interface OutputDescription {
  name: string;
  /** class scores [N, K]; dense map [N, K, H, W]; sequence of class scores [N, T, K]; regression values. */
  kind: OutputKind;
  activation: OutputActivation;
  /** The tensor the final activation is applied to (the output itself when there is none). */
  logits: string;
  /** Axis of the classes (1 for [N, K] and NCHW maps, 3 for NHWC maps, 2 for sequences; -1 for regression). */
  classAxis: number;
  /** Number of classes where the shape fixes it. */
  classes?: number;
  /** Sequences: greedy CTC (collapse repeats, drop the blank) or plain arg max per step. */
  decoding?: 'ctc' | 'argmax';
  /** CTC blank class index. */
  blank?: number;
  /** Why the kind was chosen (shape, metadata, user). */
  why: string;
}

export interface Prediction {
  /** Raw outputs of the model's main output (logits, or probabilities when the model ends in Softmax). */
  scores: TensorData;
  /**
   * Probabilities as the output's activation defines them: the scores themselves after Softmax / Sigmoid, exp
   * after LogSoftmax; otherwise softmax over the class axis (sigmoid for one class); regression: the values.
   */
  probabilities: TensorData;
}

export interface ProgressEvent {
  /** Units finished so far and the total (images, forward passes, iterations, ...). */
  done: number;
  total: number;
  /** What the units are, e.g. 'forward passes', 'octave 2/3'. */
  stage?: string;
}
export type ProgressCallback = (event: ProgressEvent) => void;

export interface BatchOptions {
  /** Images per ONNX Runtime call; bounds memory. Default 128 as in MATLAB. */
  miniBatchSize?: number;
  onProgress?: ProgressCallback;
}

/** The one interface methods use to touch a network. */
export interface Model {
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  /** Name of the main float input (the image / sequence / table). */
  readonly inputName: string;
  /** Name of the main output (class scores, segmentation scores, regression value). */
  readonly outputName: string;
  readonly labels: string[] | undefined;
  readonly inputSpec: InputSpec | undefined;
  /** Whether `outputName` already holds probabilities (graph ends in Softmax) or logits. */
  readonly outputKind: 'probabilities' | 'logits';
  /** Metadata from the model file (`metadata_props`). */
  readonly metadata: Record<string, string>;
  /** What each output is, main output first (absent on models that predate output descriptions). */
  readonly outputDescriptions?: readonly OutputDescription[];
  /** Notes on what was done to run the model (opset upgrade, float16 run in float32, ...). */
  readonly notes?: readonly string[];

  /** Every choosable intermediate tensor, in topological order, with concrete shapes. */
  layers(): Promise<LayerInfo[]>;
  /** Last layer with spatial dims: the default feature layer for CAM methods. */
  featureLayer(): Promise<string>;
  /** The tensor that feeds the final Softmax (or the main output when there is none). */
  reductionLayer(): Promise<string>;
  /** Throws a LayerError listing the closest names when `name` is not a tensor of the model. */
  checkLayer(name: string): Promise<LayerInfo>;

  predict(batch: TensorData, options?: BatchOptions): Promise<Prediction>;
  /** Intermediate tensors for a batch, keyed by name. */
  activations(
    batch: TensorData,
    layerNames: string[],
    options?: BatchOptions,
  ): Promise<Record<string, TensorData>>;
  /** Run arbitrary outputs (model outputs or intermediates) for a batch of the main input. */
  run(batch: TensorData, outputNames: string[], options?: BatchOptions): Promise<Record<string, TensorData>>;
  /**
   * The main output of batches of up to `maxRows` items of the main input, for hot loops: checks and session lookup
   * done once, the output written into a buffer that the next call may overwrite. Undefined when not available.
   */
  preparedRun?(maxRows: number): Promise<PreparedRun | undefined>;
  /**
   * Interventional coalition values of a table model ([N, F] input, no other input) computed inside the
   * runtime: rows assembled, scored and averaged in one graph around the model (onnx/coalition-graph.ts).
   * Throws UnsupportedError when the model's inputs do not allow it.
   */
  coalitionMeans?(request: CoalitionMeansRequest): Promise<CoalitionMeansRun>;
  /** Compiled VJP for (output, wrt, rule); cached. */
  vjp(request: VjpRequest): Promise<VjpFunction>;
  /**
   * The VJP of a [N, C] `output` seeded with the one-hot of each item's top class (first maximum), computed
   * in the same run: the returned output says which class that was. Rejects with UnsupportedError where the
   * output is not [N, C] or the input's item dims vary.
   */
  topClassVjp?(request: VjpRequest): Promise<TopClassVjpFunction>;
  /**
   * The VJP of `output` with respect to `layer` on the network's tail: fed the layer's activations (from a
   * forward pass already made) instead of the input, it runs only what follows the layer. Rejects with
   * UnsupportedError('UNSUPPORTED_LAYER') where the tail reads other tensors computed before the layer.
   */
  tailVjp?(layer: string, output: string): Promise<VjpFunction>;
  /**
   * The spatially local prefix of an [N, C, H, W] image input (onnx/local-prefix.ts), with its cut candidates;
   * undefined where the model has other inputs or a fixed batch size.
   */
  localPrefix?(): Promise<LocalPrefix | undefined>;
  /**
   * Runs the network from `from` (its input or a cut of `localPrefix`) to the later cut `to` on a batch of crops
   * of any H and W, or from a cut to any later tensor (the tail) on a batch of full maps.
   */
  runLocal?(from: string, to: string, crops: TensorData, options?: BatchOptions): Promise<TensorData>;
  /** Run the network's tail: feed `layer` with `activations`, return `output` (default: the main output). */
  forwardFrom(
    layer: string,
    activations: TensorData,
    options?: BatchOptions & { output?: string },
  ): Promise<TensorData>;
  dispose(): Promise<void>;
}

/**
 * The linear layer that follows global average pooling of a layer (what the original CAM reads):
 * output[k] = Σ_c weights[k·channels + c] · mean(layer channel c) + bias[k].
 */
export interface LinearHead {
  weights: Float32Array;
  bias: Float32Array;
  outputs: number;
  channels: number;
  /** The tensor the linear layer produces. */
  output: string;
}

/** A model that can expose the linear head after a layer (OnnxModel does; throws UnsupportedError otherwise). */
export interface LinearHeadSource {
  linearHead(layer: string): Promise<LinearHead>;
}
