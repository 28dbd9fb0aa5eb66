/** Worker thread of WorkerPool (session-workers.ts): ONNX Runtime sessions by key, one request at a time. */
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { SessionWorkerReply, SessionWorkerRequest, WireTensor } from './session-workers.js';

const port = parentPort;
const sessions = new Map<number, ort.InferenceSession>();

async function handle(request: SessionWorkerRequest): Promise<void> {
  if (request.kind === 'create') {
    const session = await ort.InferenceSession.create(request.model, request.options);
    sessions.set(request.key, session);
    // The bytes go back (to the next worker): held here, they would wait for a collection that may not come.
    const { model } = request;
    reply(
      { kind: 'ready', inputNames: [...session.inputNames], outputNames: [...session.outputNames], model },
      [model.buffer as ArrayBuffer],
    );
    return;
  }
  if (request.kind === 'drop') {
    await sessions.get(request.key)?.release();
    sessions.delete(request.key);
    reply({ kind: 'dropped' });
    return;
  }
  const session = sessions.get(request.key);
  if (!session) throw new Error(`no session ${request.key} on this worker`);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(request.feeds))
    feeds[name] = new ort.Tensor('float32', t.data, t.dims);
  const out = await session.run(feeds, request.fetches);
  const outputs: Record<string, WireTensor> = {};
  const transfer: ArrayBuffer[] = [];
  for (const name of request.fetches) {
    const t = out[name];
    if (t.type !== 'float32') throw new Error(`output '${name}' is ${t.type}, not float32`);
    const data = t.data as Float32Array;
    outputs[name] = { data, dims: [...t.dims] };
    // Each run's outputs are new buffers (see nodeRuntime.freshOutputs): hand them over without a copy.
    if (!transfer.includes(data.buffer as ArrayBuffer)) transfer.push(data.buffer as ArrayBuffer);
  }
  reply({ kind: 'result', outputs }, transfer);
}

function reply(message: SessionWorkerReply, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

port?.on('message', (request: SessionWorkerRequest) => {
  handle(request).catch((error: unknown) =>
    reply({ kind: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});
