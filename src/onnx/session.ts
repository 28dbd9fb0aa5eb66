/**
 * ONNX Runtime sessions: creation with typed errors, a cache keyed by what a session computes, and
 * mini-batched runs that split a batch, run each part and concatenate, so memory is bounded by the part.
 */
import { OptionError, RuntimeError, UnsupportedError } from '../errors.js';
import type { BatchOptions, PreparedRun, TensorData } from '../types.js';
import { encodeModel, type ModelProto } from './proto.js';
import {
  sessionOptions,
  type OnnxRuntime,
  type OrtSession,
  type OrtTensor,
  type SessionPool,
  type SessionRunner,
  type SessionSettings,
} from './runtime.js';

export const DEFAULT_MINI_BATCH_SIZE = 128;

/** First line of an error message: runtime errors can carry native stack traces. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text;
  return line.trim().slice(0, 400);
}

export async function createSession(
  runtime: OnnxRuntime,
  model: ModelProto | Uint8Array,
  settings: SessionSettings,
  what: string,
): Promise<OrtSession> {
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  try {
    return await runtime.InferenceSession.create(bytes, sessionOptions(settings));
  } catch (err) {
    throw new RuntimeError(
      'RUNTIME_ERROR',
      `ONNX Runtime could not create a session for ${what}: ${firstLine(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** Sessions keyed by a string describing what they compute (e.g. the sorted set of requested outputs). */
export class SessionCache {
  private readonly sessions = new Map<string, Promise<OrtSession>>();
  private readonly workerSessions = new Map<string, Promise<SessionRunner>>();
  private pool: SessionPool | undefined;

  constructor(
    private readonly runtime: OnnxRuntime,
    private readonly settings: SessionSettings,
  ) {}

  /**
   * The cached session for `key`, or one created from `build()` (with `overrides` of the cache's settings);
   * concurrent callers share one creation.
   */
  get(
    key: string,
    build: () => ModelProto | Uint8Array,
    what: string,
    overrides: Partial<SessionSettings> = {},
  ): Promise<OrtSession> {
    let session = this.sessions.get(key);
    if (!session) {
      session = createSession(this.runtime, build(), { ...this.settings, ...overrides }, what);
      this.sessions.set(key, session);
      // A failed creation must not poison the cache: the next call retries.
      session.catch(() => this.sessions.delete(key));
    }
    return session;
  }

  /**
   * The cached worker sessions for `key` on the cache's pool of `count` workers (see `OnnxRuntime.workerPool`),
   * which share the cache's thread budget (its `threads`, else `budget`); undefined where the runtime has none.
   */
  workers(
    key: string,
    build: () => ModelProto | Uint8Array,
    what: string,
    count: number,
    budget: number,
  ): Promise<SessionRunner> | undefined {
    const makePool = this.runtime.workerPool;
    if (!makePool || count < 2) return undefined;
    let runner = this.workerSessions.get(key);
    if (!runner) {
      const pool = (this.pool ??= makePool(count));
      const model = build();
      // Handed over to the workers: never a buffer someone else holds.
      const bytes = model instanceof Uint8Array ? model.slice() : encodeModel(model);
      const threads = Math.max(1, Math.floor((this.settings.threads ?? budget) / count));
      runner = pool.session(bytes, sessionOptions({ ...this.settings, threads })).catch((err: unknown) => {
        throw new RuntimeError(
          'RUNTIME_ERROR',
          `ONNX Runtime could not create worker sessions for ${what}: ${firstLine(err)}`,
          { cause: err },
        );
      });
      this.workerSessions.set(key, runner);
      runner.catch(() => this.workerSessions.delete(key));
    }
    return runner;
  }

  /** A session used once and released (not cached): e.g. a probe whose outputs are asked for only once. */
  async once<T>(
    build: () => ModelProto | Uint8Array,
    what: string,
    use: (session: OrtSession) => Promise<T>,
  ): Promise<T> {
    const session = await createSession(this.runtime, build(), this.settings, what);
    try {
      return await use(session);
    } finally {
      await session.release();
    }
  }

  get size(): number {
    return this.sessions.size;
  }

  async dispose(): Promise<void> {
    const pending = [...this.sessions.values()];
    this.sessions.clear();
    this.workerSessions.clear();
    // The workers go with every session they hold.
    await this.pool?.release();
    this.pool = undefined;
    for (const session of await Promise.allSettled(pending)) {
      if (session.status === 'fulfilled') await session.value.release();
    }
  }
}

/** Key for a set of outputs: order and duplicates do not change what a session computes. */
export function outputSetKey(prefix: string, outputs: readonly string[]): string {
  return `${prefix}:${JSON.stringify([...new Set(outputs)].sort())}`;
}

/** One unbatched run returning the raw runtime tensors (any element type): used for shape probes. */
export async function runRaw(
  runtime: OnnxRuntime,
  session: SessionRunner,
  feeds: Record<string, TensorData>,
  outputs: readonly string[],
): Promise<Record<string, OrtTensor>> {
  const tensors: Record<string, OrtTensor> = {};
  for (const name of session.inputNames) {
    const feed = feeds[name];
    if (!feed) throw missingInputs(session, feeds);
    tensors[name] = new runtime.Tensor('float32', feed.data, feed.dims);
  }
  try {
    return await session.run(tensors, [...outputs]);
  } catch (err) {
    throw new RuntimeError('RUNTIME_ERROR', `ONNX Runtime failed to run the model: ${firstLine(err)}`, {
      cause: err,
    });
  }
}

function missingInputs(session: SessionRunner, feeds: Record<string, TensorData>): UnsupportedError {
  const missing = session.inputNames.filter((n) => !feeds[n]);
  return new UnsupportedError(
    'UNSUPPORTED_MODEL',
    `the model needs input(s) ${missing.map((n) => `'${n}'`).join(', ')} besides ` +
      `${Object.keys(feeds)
        .map((n) => `'${n}'`)
        .join(', ')}; only the main input can be fed`,
  );
}

export function resolveMiniBatchSize(options: BatchOptions | undefined, fallback: number): number {
  const size = options?.miniBatchSize ?? fallback;
  if (!Number.isInteger(size) || size < 1) {
    throw new OptionError('INVALID_OPTION', `miniBatchSize must be a positive integer, got ${size}`);
  }
  return size;
}

export interface BatchedRunOptions extends BatchOptions {
  /** Used when `miniBatchSize` is not given. */
  defaultMiniBatchSize?: number;
  /** The model only accepts this many items per run (a fixed batch dim): parts are exactly this size. */
  fixedBatch?: number;
  /** Progress stage label. */
  stage?: string;
  /** Batch axis of a feed when it is not 0 (e.g. an LSTM output laid out [T, dirs, N, H]). */
  feedAxes?: Record<string, number>;
  /**
   * Batch axes of the outputs (-1: none), asked only when the batch is split into several parts, since only
   * then must the parts be joined; outputs not listed are batched along axis 0.
   */
  outputAxes?: (outputs: readonly string[]) => Promise<Record<string, number>>;
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Items [start, start + count) of `t` along `axis` (a view when axis is 0, else a copy). */
export function sliceAlong(t: TensorData, axis: number, start: number, count: number): TensorData {
  const dims = [...t.dims];
  const inner = product(dims.slice(axis + 1));
  const outer = product(dims.slice(0, axis));
  const size = dims[axis];
  dims[axis] = count;
  if (outer === 1) return { data: t.data.subarray(start * inner, (start + count) * inner), dims };
  const data = new Float32Array(outer * count * inner);
  for (let o = 0; o < outer; o++) {
    data.set(
      t.data.subarray((o * size + start) * inner, (o * size + start + count) * inner),
      o * count * inner,
    );
  }
  return { data, dims };
}

/** Write `part` into `target` at items [start, ...) along `axis` (the inverse of sliceAlong). */
export function placeAlong(target: TensorData, part: TensorData, axis: number, start: number): void {
  const inner = product(part.dims.slice(axis + 1));
  const outer = product(part.dims.slice(0, axis));
  const count = part.dims[axis];
  const size = target.dims[axis];
  for (let o = 0; o < outer; o++) {
    target.data.set(
      part.data.subarray(o * count * inner, (o + 1) * count * inner),
      (o * size + start) * inner,
    );
  }
}

function floatResult(name: string, tensor: OrtTensor): TensorData {
  if (tensor.type !== 'float32') {
    throw new UnsupportedError(
      'UNSUPPORTED_LAYER',
      `tensor '${name}' holds ${tensor.type} values; only float32 tensors can be returned`,
    );
  }
  return { data: tensor.data as Float32Array, dims: [...tensor.dims] };
}

/**
 * Run `outputs` for a batch of feeds split along their batch axes into mini-batches, joining the results.
 * Every feed must share the batch size; every output must be float32 and, when there are several parts,
 * have a batch axis.
 */
export async function runBatched(
  runtime: OnnxRuntime,
  session: SessionRunner,
  feeds: Record<string, TensorData>,
  outputs: readonly string[],
  options: BatchedRunOptions = {},
): Promise<Record<string, TensorData>> {
  const needed = session.inputNames;
  if (needed.some((n) => !feeds[n])) throw missingInputs(session, feeds);
  const feedAxis = (name: string): number => options.feedAxes?.[name] ?? 0;
  const batch = needed.length > 0 ? feeds[needed[0]].dims[feedAxis(needed[0])] : 1;
  for (const name of needed) {
    const feed = feeds[name];
    if (feed.data.length !== product(feed.dims)) {
      throw new OptionError(
        'INVALID_INPUT',
        `input '${name}' has ${feed.data.length} values but dims [${feed.dims.join(', ')}] need ${product(feed.dims)}`,
      );
    }
    if (feed.dims[feedAxis(name)] !== batch) {
      throw new OptionError(
        'INVALID_INPUT',
        `inputs disagree on the batch size: '${needed[0]}' has ${batch}, '${name}' has ${feed.dims[feedAxis(name)]}`,
      );
    }
  }
  if (!(batch >= 1)) throw new OptionError('INVALID_INPUT', 'the batch is empty (batch size 0)');
  let part = resolveMiniBatchSize(options, options.defaultMiniBatchSize ?? DEFAULT_MINI_BATCH_SIZE);
  if (options.fixedBatch !== undefined) {
    if (batch % options.fixedBatch !== 0) {
      throw new OptionError(
        'INVALID_INPUT',
        `the model takes batches of exactly ${options.fixedBatch}; got ${batch} items, not a multiple of it`,
      );
    }
    part = options.fixedBatch;
  }
  const names = [...new Set(outputs)];
  if (part >= batch) {
    const out = await runRaw(runtime, session, feeds, names);
    options.onProgress?.({ done: batch, total: batch, stage: options.stage });
    // Copy unless the runtime hands out new buffers per run (a copy of a large layer costs as much as a pass).
    return Object.fromEntries(
      names.map((name) => {
        const t = floatResult(name, out[name]);
        return [name, runtime.freshOutputs ? t : { data: t.data.slice(), dims: t.dims }];
      }),
    );
  }
  const axes = (await options.outputAxes?.(names)) ?? {};
  const results: Record<string, TensorData> = {};
  for (let start = 0; start < batch; start += part) {
    const count = Math.min(part, batch - start);
    const slice: Record<string, TensorData> = {};
    for (const name of needed) slice[name] = sliceAlong(feeds[name], feedAxis(name), start, count);
    const out = await runRaw(runtime, session, slice, names);
    for (const name of names) {
      const t = floatResult(name, out[name]);
      const axis = axes[name] ?? 0;
      if (axis < 0 || t.dims[axis] !== count) {
        throw new UnsupportedError(
          'UNSUPPORTED_LAYER',
          `tensor '${name}' has no batch axis (dims [${t.dims.join(', ')}] for ${count} items), so it cannot be ` +
            `computed in mini-batches; use miniBatchSize >= ${batch}`,
        );
      }
      if (!results[name]) {
        const dims = [...t.dims];
        dims[axis] = batch;
        results[name] = { data: new Float32Array(product(dims)), dims };
      }
      placeAlong(results[name], t, axis, start);
    }
    options.onProgress?.({ done: start + count, total: batch, stage: options.stage });
  }
  return results;
}

/**
 * One float32 input to one float32 output of a session, for hot loops that call it many times with batches of
 * at most `maxRows` items: the input tensor wraps the caller's buffer and the output is written into a buffer
 * allocated once (ONNX Runtime's preallocated outputs, where the runtime has them), so a call costs the forward
 * pass and little else. The returned array may be overwritten by the next call.
 */
export function preparedRun(
  runtime: OnnxRuntime,
  session: OrtSession,
  inputName: string,
  outputName: string,
  itemDims: { input: readonly number[]; output: readonly number[] },
  maxRows: number,
): PreparedRun {
  const inputSize = product(itemDims.input);
  const outputSize = product(itemDims.output);
  const output = new Float32Array(runtime.preallocatedOutputs ? maxRows * outputSize : 0);
  // Output tensors per batch size: a stream has at most two (full batches and its tail).
  const outputs = new Map<number, OrtTensor>();
  const outputFor = (count: number): OrtTensor => {
    let out = outputs.get(count);
    if (!out) {
      out = new runtime.Tensor('float32', output.subarray(0, count * outputSize), [
        count,
        ...itemDims.output,
      ]);
      outputs.set(count, out);
    }
    return out;
  };
  return async (rows, count) => {
    if (!(count >= 1 && count <= maxRows) || rows.length !== count * inputSize) {
      throw new OptionError(
        'INVALID_INPUT',
        `a prepared run takes 1..${maxRows} items of ${inputSize} values; got ${rows.length} values for ${count}`,
      );
    }
    const feeds = { [inputName]: new runtime.Tensor('float32', rows, [count, ...itemDims.input]) };
    let fresh: OrtTensor | undefined;
    try {
      if (runtime.preallocatedOutputs) await session.run(feeds, { [outputName]: outputFor(count) });
      else fresh = (await session.run(feeds, [outputName]))[outputName];
    } catch (err) {
      throw new RuntimeError('RUNTIME_ERROR', `ONNX Runtime failed to run the model: ${firstLine(err)}`, {
        cause: err,
      });
    }
    return fresh ? floatResult(outputName, fresh).data : output.subarray(0, count * outputSize);
  };
}
