/** Worker thread of TableRowWorker (table-rows.ts): fills batches and sums their outputs as asked, in order. */
import { parentPort } from 'node:worker_threads';
import {
  batchSegmentSums,
  fillBatch,
  segmentCount,
  type RowStreamSpec,
} from '../methods/tabular/interventional.js';
import type { RowWorkerReply, RowWorkerRequest } from './table-rows.js';

const port = parentPort;
let spec: RowStreamSpec | undefined;

function handle(request: RowWorkerRequest): void {
  if (request.kind === 'start') {
    spec = request.spec;
    return;
  }
  if (!spec) throw new Error(`'${request.kind}' before 'start'`);
  if (request.kind === 'fill') {
    const rows = fillBatch(spec, request.index, new Float32Array(request.buffer));
    reply({ kind: 'rows', index: request.index, rows, buffer: request.buffer }, [request.buffer]);
    return;
  }
  const sums = new Float64Array(segmentCount(spec, request.index) * spec.columns);
  batchSegmentSums(spec, request.index, new Float32Array(request.output), sums);
  reply({ kind: 'sums', index: request.index, sums, output: request.output }, [sums.buffer, request.output]);
}

function reply(message: RowWorkerReply, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

port?.on('message', (request: RowWorkerRequest) => {
  try {
    handle(request);
  } catch (error) {
    reply({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
  }
});
