/** Where the built worker page and onnxruntime-web's files live on disk. */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** Repository root: this file is packages/browser-harness/src/node/paths.ts. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The Vite build output of browser-pages/ (built by `npm run setup` / `npm run build:pages`). */
export const DEFAULT_PAGES_DIR = path.join(REPO_ROOT, 'dist', 'pages');

/** onnxruntime-web's dist/ folder: its .mjs entry points and .wasm binaries, served under /ort/. */
export function ortDistDir(): string {
  return path.dirname(require.resolve('onnxruntime-web'));
}
