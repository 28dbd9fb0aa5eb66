import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // NETLENS_GRAPH_OPT / NETLENS_THREADS: session options for a whole-suite run under other kernels.
    setupFiles: ['tests/autodiff/ort-env.ts'],
  },
});
