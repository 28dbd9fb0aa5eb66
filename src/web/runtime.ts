/**
 * onnxruntime-web as the runtime behind `OnnxModel`: WASM by default, WebGPU when asked for. The WASM
 * binaries are served from beside this bundle (never from a CDN).
 */
import * as ort from 'onnxruntime-web';
import { RuntimeError, UnsupportedError } from '../errors.js';
import type { OnnxRuntime } from '../onnx/runtime.js';

export type WebBackend = 'wasm' | 'webgpu';

export interface WebRuntimeOptions {
  /** Execution provider (default 'wasm'). 'webgpu' fails with WEBGPU_UNAVAILABLE where the browser lacks it. */
  backend?: WebBackend;
  /** Folder URL holding onnxruntime-web's `.wasm` / `.mjs` files (default: `ort/` beside this bundle). */
  wasmPaths?: string;
  /** WASM threads (default 1: more need a cross-origin-isolated page). */
  threads?: number;
}

/** Where the bundled ORT binaries are, relative to this module once built. */
export function defaultWasmPaths(): string {
  const folder = './ort/';
  return new URL(folder, import.meta.url).href;
}

/** True when this browser exposes WebGPU (it may still fail to give an adapter). */
export function webGpuAvailable(): boolean {
  return typeof navigator !== 'undefined' && (navigator as { gpu?: GpuLike }).gpu !== undefined;
}

/** Resolves when WebGPU can run here; otherwise a RuntimeError that says so and names the way out. */
export async function checkWebGpu(): Promise<void> {
  const gpu = typeof navigator !== 'undefined' ? (navigator as { gpu?: GpuLike }).gpu : undefined;
  if (!gpu) {
    throw new RuntimeError(
      'RUNTIME_ERROR',
      "WebGPU was asked for but this browser has none (no navigator.gpu); use backend 'wasm'",
    );
  }
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) {
    throw new RuntimeError(
      'RUNTIME_ERROR',
      "WebGPU was asked for but this browser offers no GPU adapter (GPU disabled or blocked); use backend 'wasm'",
    );
  }
}

interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

/** The runtime to inject into `OnnxModel.create`, with the backend applied to every session. */
export function webRuntime(options: WebRuntimeOptions = {}): OnnxRuntime {
  const backend = options.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'webgpu') {
    throw new UnsupportedError(
      'UNSUPPORTED_MODEL',
      `unknown backend '${String(backend)}': expected wasm or webgpu`,
    );
  }
  ort.env.wasm.wasmPaths = options.wasmPaths ?? defaultWasmPaths();
  ort.env.wasm.numThreads = options.threads ?? 1;
  ort.env.wasm.proxy = false;
  return {
    Tensor: ort.Tensor,
    InferenceSession: {
      create: (model, sessionOptions) =>
        ort.InferenceSession.create(model, { ...sessionOptions, executionProviders: [backend] }),
    },
  };
}
