/**
 * The page's side of the worker: each call posts one request and resolves with its answer; progress events
 * arrive through `onProgress` while the worker computes.
 */
import { NetlensError, type NetlensErrorCode } from '../errors.js';
import type { ExplainerRun } from '../explainers/spec.js';
import type { Prediction, ProgressCallback, TensorData } from '../types.js';
import type {
  EmbeddingResult,
  LoadRequest,
  ModelSummary,
  Request,
  Responses,
  WorkerMessage,
} from './protocol.js';

/** An error the worker raised, with the library's code. */
export class WorkerError extends NetlensError {}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  onProgress?: ProgressCallback;
}

/** The worker script built beside this module (the bundle ships it as `worker.js`). */
function defaultWorker(): Worker {
  const file = './worker.js';
  return new Worker(new URL(file, import.meta.url), { type: 'module' });
}

export class NetlensWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** `worker`: an already created worker running `worker.ts` (bundlers that build it themselves). */
  constructor(worker?: Worker) {
    this.worker = worker ?? defaultWorker();
    this.worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => this.receive(event.data));
    this.worker.addEventListener('error', (event) => {
      const err = new WorkerError('RUNTIME_ERROR', `worker failed: ${event.message}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  private receive(message: WorkerMessage): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.kind === 'progress') {
      pending.onProgress?.(message.event);
      return;
    }
    this.pending.delete(message.id);
    if (message.kind === 'result') pending.resolve(message.value);
    else pending.reject(new WorkerError(message.code as NetlensErrorCode, message.message));
  }

  private call<K extends Request['kind']>(
    request: Extract<Request, { kind: K }>,
    onProgress?: ProgressCallback,
  ): Promise<Responses[K]> {
    const id = this.nextId++;
    return new Promise<Responses[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as Responses[K]), reject, onProgress });
      this.worker.postMessage({ id, request });
    });
  }

  load(request: Omit<LoadRequest, 'kind'>): Promise<ModelSummary> {
    return this.call({ kind: 'load', ...request });
  }

  predict(input: TensorData, onProgress?: ProgressCallback): Promise<Prediction> {
    return this.call({ kind: 'predict', input }, onProgress);
  }

  /** Run a heat-map explainer of the catalog (`gradcam`, `occlusion`, ...) with its options. */
  explain(
    method: string,
    input: TensorData,
    options: Record<string, unknown> = {},
    onProgress?: ProgressCallback,
  ): Promise<ExplainerRun> {
    return this.call({ kind: 'explain', method, input, options }, onProgress);
  }

  activations(input: TensorData, layer?: string): Promise<TensorData & { layer: string }> {
    return this.call({ kind: 'activations', input, layer });
  }

  embed(
    input: TensorData,
    options: { layer?: string; method?: 'tsne' | 'umap'; seed?: number; perplexity?: number } = {},
    onProgress?: ProgressCallback,
  ): Promise<EmbeddingResult> {
    return this.call({ kind: 'embed', input, method: options.method ?? 'tsne', ...options }, onProgress);
  }

  terminate(): void {
    this.worker.terminate();
  }
}
