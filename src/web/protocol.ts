/** Messages between the page (`NetlensWorker`) and the worker that owns the model (`worker.ts`). */
import type { ExplainerRun } from '../explainers/spec.js';
import type { InputSpec, LayerInfo, Prediction, ProgressEvent, TensorData } from '../types.js';
import type { TfjsModelFiles } from './load.js';
import type { WebBackend } from './runtime.js';

export interface LoadRequest {
  kind: 'load';
  model: Uint8Array | TfjsModelFiles;
  labels?: string[];
  inputSpec?: Partial<InputSpec>;
  backend?: WebBackend;
  wasmPaths?: string;
}

export interface ModelSummary {
  inputSpec?: InputSpec;
  labels?: string[];
  layers: LayerInfo[];
  featureLayer?: string;
  /** Output tensor names. */
  outputs: string[];
}

export interface EmbeddingResult {
  /** n × 2, row-major. */
  embedding: Float32Array;
  n: number;
  layer: string;
  predicted?: Int32Array;
}

export type Request =
  | LoadRequest
  | { kind: 'predict'; input: TensorData }
  | { kind: 'explain'; method: string; input: TensorData; options: Record<string, unknown> }
  | { kind: 'activations'; input: TensorData; layer?: string }
  | {
      kind: 'embed';
      input: TensorData;
      layer?: string;
      method: 'tsne' | 'umap';
      seed?: number;
      perplexity?: number;
    };

/** What each request kind answers with. */
export interface Responses {
  load: ModelSummary;
  predict: Prediction;
  explain: ExplainerRun;
  activations: TensorData & { layer: string };
  embed: EmbeddingResult;
}

export type WorkerMessage =
  | { id: number; kind: 'progress'; event: ProgressEvent }
  | { id: number; kind: 'result'; value: unknown }
  | { id: number; kind: 'error'; code: string; message: string };
