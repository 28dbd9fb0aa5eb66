/** The browser library (`netlens/web`): ESM bundle of src/web plus its worker, with ORT's WASM beside it. */
import path from 'node:path';
import { defaultClientConditions, defineConfig } from 'vite';
import { ortAssets } from './build/ort-assets.js';

const outDir = path.resolve('dist/browser');

export default defineConfig({
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    lib: {
      entry: { netlens: path.resolve('src/web/index.ts'), worker: path.resolve('src/web/worker.ts') },
      formats: ['es'],
      fileName: (_format, name) => `${name}.js`,
    },
  },
  // ORT's external-WASM build: the binary is fetched from `ort/` at run time, not inlined in the bundle.
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  logLevel: 'warn',
  plugins: [ortAssets(outDir)],
});
