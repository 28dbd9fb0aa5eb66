/**
 * A Vite plugin that copies onnxruntime-web's WASM binary next to the bundle (`<outDir>/ort/`), so pages
 * load it from the same server instead of a CDN.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Plugin } from 'vite';

/** What the default `onnxruntime-web` build (WASM and WebGPU through JSEP) loads: the glue and the binary. */
export const ORT_WASM_FILES = ['ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm'];

export function ortAssets(outDir: string): Plugin {
  return {
    name: 'netlens-ort-assets',
    apply: 'build',
    closeBundle() {
      const require = createRequire(import.meta.url);
      const dir = path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm'));
      const target = path.join(outDir, 'ort');
      mkdirSync(target, { recursive: true });
      for (const file of ORT_WASM_FILES) copyFileSync(path.join(dir, file), path.join(target, file));
    },
  };
}
