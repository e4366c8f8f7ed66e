import path from 'node:path';

import { defineConfig } from 'vite';

// Builds the worker page (and its in-page runtime) and the dashboard into dist/pages. onnxruntime-web is not bundled:
// the worker page imports it at run time from the page server's /ort/ route, next to its .wasm files. The dashboard
// bundles duckdb-wasm's worker and .wasm as assets (no CDN: the dashboard must work with no network).
export default defineConfig({
  root: path.resolve(import.meta.dirname, 'browser-pages'),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: path.resolve(import.meta.dirname, 'dist/pages'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      input: {
        worker: path.resolve(import.meta.dirname, 'browser-pages/worker.html'),
        dashboard: path.resolve(import.meta.dirname, 'browser-pages/dashboard.html'),
      },
      onwarn(warning, warn) {
        // zod ships comments Rollup cannot place; harmless and not ours to fix.
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('/zod/') === true) {return;}
        warn(warning);
      },
    },
  },
});
