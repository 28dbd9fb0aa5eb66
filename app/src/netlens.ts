/** The page's handle on netlens: one worker that owns the model, created from the library's worker source. */
import { NetlensWorker } from '../../src/web/index';

let worker: NetlensWorker | undefined;

export function netlensWorker(): NetlensWorker {
  if (!worker) {
    worker = new NetlensWorker(
      new Worker(new URL('../../src/web/worker.ts', import.meta.url), { type: 'module' }),
    );
  }
  return worker;
}

/** ONNX Runtime's WASM files, copied beside the app at build time (never fetched from elsewhere). */
export function wasmPaths(): string {
  return new URL('ort/', document.baseURI).href;
}
