/** The explorer app (`netlens serve`): React, bundled with its worker and ORT's WASM; nothing from a CDN. */
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';
import { ortAssets } from './build/ort-assets.js';

const outDir = path.resolve('dist/app');

export default defineConfig({
  root: path.resolve('app'),
  base: './',
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    chunkSizeWarningLimit: 4096,
  },
  worker: { format: 'es' },
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  logLevel: 'warn',
  plugins: [react(), ortAssets(outDir)],
});
