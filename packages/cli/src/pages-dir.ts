/**
 * Where the worker page is served from. In this repository it is the Vite build at `<repo>/dist/pages`, the
 * harness's default; an installed package (npm pack) cannot reach that folder, so it carries a copy made at pack
 * time (scripts/bundle-pages.mjs) and the CLI points the harness at it when the repository's build is absent.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { DEFAULT_PAGES_DIR } from '@browser-pool/browser-harness';

/** The copy inside the package: this file is src/pages-dir.ts. */
export const BUNDLED_PAGES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'pages');

/** The repository's build when it exists, else the package's copy when that exists, else undefined (the default). */
export function pagesDir(): string | undefined {
  if (existsSync(path.join(DEFAULT_PAGES_DIR, 'worker.html'))) {
    return undefined;
  }
  return existsSync(path.join(BUNDLED_PAGES_DIR, 'worker.html')) ? BUNDLED_PAGES_DIR : undefined;
}
