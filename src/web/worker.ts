/**
 * The Web Worker that owns the model: every computation runs here so the page stays responsive. It answers
 * `Request`s with the same library functions Node uses, and posts progress events while it works.
 */
import { NetlensError } from '../errors.js';
import { EXPLAINERS } from '../explainers/index.js';
import { activations } from '../methods/activations.js';
import { datasetActivations } from '../methods/dataset/activations.js';
import { batchSource } from '../methods/dataset/source.js';
import type { OnnxModel } from '../model.js';
import { project } from '../projection/index.js';
import type { ProgressCallback } from '../types.js';
import { loadModel } from './load.js';
import type { ModelSummary, Request, WorkerMessage } from './protocol.js';

let current: OnnxModel | undefined;

function model(): OnnxModel {
  if (!current) throw new NetlensError('INVALID_OPTION', 'no model is loaded');
  return current;
}

async function handle(request: Request, onProgress: ProgressCallback): Promise<unknown> {
  switch (request.kind) {
    case 'load': {
      if (current) await current.dispose();
      current = undefined;
      current = await loadModel(request.model, {
        labels: request.labels,
        inputSpec: request.inputSpec,
        backend: request.backend,
        wasmPaths: request.wasmPaths,
      });
      const layers = await current.layers();
      let featureLayer: string | undefined;
      try {
        featureLayer = await current.featureLayer();
      } catch {
        featureLayer = undefined; // models without spatial layers have no default feature layer
      }
      const summary: ModelSummary = {
        inputSpec: current.inputSpec,
        labels: current.labels,
        layers,
        featureLayer,
        outputs: current.outputs.map((o) => o.name),
      };
      return summary;
    }
    case 'predict':
      return model().predict(request.input, { onProgress });
    case 'explain': {
      const explainer = EXPLAINERS.find((e) => e.id === request.method);
      if (!explainer) {
        throw new NetlensError(
          'INVALID_OPTION',
          `unknown method '${request.method}': expected one of ${EXPLAINERS.map((e) => e.id).join(', ')}`,
        );
      }
      return explainer.run(model(), request.input, { ...request.options, onProgress });
    }
    case 'activations': {
      const result = await activations(model(), request.input, { layer: request.layer, onProgress });
      return { data: result.data, dims: result.dims, layer: result.layer };
    }
    case 'embed': {
      const source = batchSource(request.input);
      const rows = await datasetActivations(model(), source, {
        layer: request.layer,
        reduction: 'mean',
        predictions: true,
        onProgress,
      });
      const options =
        request.method === 'umap'
          ? { method: 'umap' as const, seed: request.seed ?? 0 }
          : {
              method: 'tsne' as const,
              seed: request.seed ?? 0,
              perplexity: Math.min(request.perplexity ?? 30, Math.max(1, Math.floor((rows.n - 1) / 3))),
              onProgress,
            };
      const projection = await project(rows.data, rows.n, rows.features, options);
      return { embedding: projection.embedding, n: rows.n, layer: rows.layer, predicted: rows.predicted };
    }
  }
}

interface WorkerScope {
  postMessage(message: WorkerMessage): void;
  addEventListener(
    type: 'message',
    listener: (event: MessageEvent<{ id: number; request: Request }>) => void,
  ): void;
}

const scope = self as unknown as WorkerScope;

// Requests are handled one at a time, in order: one model, one ONNX Runtime instance.
let queue: Promise<void> = Promise.resolve();
scope.addEventListener('message', (event) => {
  const { id, request } = event.data;
  queue = queue.then(async () => {
    const onProgress: ProgressCallback = (progress) =>
      scope.postMessage({ id, kind: 'progress', event: { ...progress } });
    try {
      const value = await handle(request, onProgress);
      scope.postMessage({ id, kind: 'result', value });
    } catch (err) {
      const code = err instanceof NetlensError ? err.code : 'RUNTIME_ERROR';
      const message = err instanceof Error ? err.message : String(err);
      scope.postMessage({ id, kind: 'error', code, message });
    }
  });
});
