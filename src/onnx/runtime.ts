/**
 * The ONNX Runtime surface netlens uses, typed against `onnxruntime-common` so the same core runs on
 * `onnxruntime-node` (injected by the Node loader) and `onnxruntime-web` (injected by the browser build).
 */
import type { InferenceSession, Tensor, TensorConstructor } from 'onnxruntime-common';

export type OrtSession = InferenceSession;
export type OrtTensor = Tensor;

/** What runs a graph: an ONNX Runtime session, or copies of one on worker threads (`SessionPool`). */
export interface SessionRunner {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>, fetches: string[]): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

/** Worker threads holding copies of sessions (see `OnnxRuntime.workerPool`). */
export interface SessionPool {
  /**
   * A session of `model` made with `options` (its intra-op threads included) on every worker; its calls run on
   * whichever worker is free. Takes over `model`'s buffer. Float32 in and out.
   */
  session(model: Uint8Array, options: InferenceSession.SessionOptions): Promise<SessionRunner>;
  release(): Promise<void>;
}

/** The part of an `onnxruntime-*` package netlens needs: session creation and the Tensor constructor. */
export interface OnnxRuntime {
  InferenceSession: {
    create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  };
  Tensor: TensorConstructor;
  /**
   * True when every run returns its outputs in new buffers that the runtime never writes again (measured for
   * onnxruntime-node): results are then handed out as they are. Otherwise they are copied.
   */
  freshOutputs?: boolean;
  /** True when `session.run` writes into output tensors passed as fetches (onnxruntime-node). */
  preallocatedOutputs?: boolean;
  /**
   * `count` worker threads that hold copies of sessions and run independent calls side by side
   * (onnxruntime-node, whose runs otherwise take turns on the JavaScript thread).
   */
  workerPool?(count: number): SessionPool;
  /** The cores the process may use, where the runtime can tell (the default thread budget of worker sessions). */
  cores?: number;
}

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface SessionSettings {
  /** Threads ONNX Runtime may use inside one op; undefined lets the runtime decide. */
  threads?: number;
  /** Graph optimisation level; 'all' unless a model misbehaves under fusion. */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /**
   * Whether idle intra-op threads spin waiting for work. Undefined: they spin while a run lasts and stop when
   * it ends. True: they also spin between runs (the runtime's own default). False: they never spin, which
   * suits many short runs on a busy machine.
   */
  threadSpinning?: boolean;
}

export function sessionOptions(settings: SessionSettings): InferenceSession.SessionOptions {
  const options: InferenceSession.SessionOptions = {
    graphOptimizationLevel: settings.graphOptimizationLevel ?? 'all',
    // Warnings about unused initializers etc. are noise for users; errors still surface as exceptions.
    logSeverityLevel: 3,
  };
  if (settings.threads !== undefined) options.intraOpNumThreads = settings.threads;
  if (settings.threadSpinning === undefined) {
    // Every session has its own thread pool, and methods alternate sessions (a forward pass, then the gradient
    // of the network's tail): threads left spinning after one run take the cores the next session's run needs.
    // Measured on MobileNetV2 with two threads: Grad-CAM 4.5 ms wall against 8.1–11.9, integrated gradients
    // 0.88 s against 0.90–0.92, the forward pass as fast with less CPU.
    options.extra = { session: { force_spinning_stop: '1' } };
  } else {
    options.extra = { session: { intra_op: { allow_spinning: settings.threadSpinning ? '1' : '0' } } };
  }
  return { ...options, ...environmentSessionOverrides() };
}

const LEVELS: readonly GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];

/**
 * NETLENS_GRAPH_OPT (disabled | basic | extended | all) and NETLENS_THREADS (a positive integer) override
 * every session's options: a way to run the test suite under other kernels and schedules. Nothing in a
 * browser (no process environment).
 */
export function environmentSessionOverrides(): InferenceSession.SessionOptions {
  // Read through globalThis: this module is also compiled for the browser, where there is no `process`.
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const overrides: InferenceSession.SessionOptions = {};
  const level = env?.NETLENS_GRAPH_OPT as GraphOptimizationLevel | undefined;
  if (level && LEVELS.includes(level)) overrides.graphOptimizationLevel = level;
  const threads = Number(env?.NETLENS_THREADS);
  if (Number.isInteger(threads) && threads > 0) overrides.intraOpNumThreads = threads;
  return overrides;
}
