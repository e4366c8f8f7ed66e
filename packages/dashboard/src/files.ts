/**
 * Where the dashboard's files are: the built page (vite output) and the snapshot. One layout serves both the live
 * server and the static export, so a folder written by `--static` is exactly what the server would have served.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { DashboardError, DashboardErrorCode } from './errors';

/** Repository root: this file is packages/dashboard/src/files.ts. */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** vite's output for browser-pages/ (dashboard.html and its assets/ sit beside the worker page's). */
export const DEFAULT_PAGES_DIR = path.join(REPO_ROOT, 'dist', 'pages');

/** The URL path of the snapshot, relative to the page: the page fetches `snapshot/manifest.json`. */
export const SNAPSHOT_PREFIX = 'snapshot';

export interface DashboardFiles {
  /** Folder holding dashboard.html and assets/. @default DEFAULT_PAGES_DIR */
  pagesDir: string;
  /** Folder holding manifest.json and tables/ (db-integration's `writeSnapshot`). */
  snapshotDir: string;
}

/** Fails early, with the command that fixes it, when the page or the snapshot is missing. */
export function checkFiles(files: DashboardFiles): void {
  if (!existsSync(path.join(files.pagesDir, 'dashboard.html'))) {
    throw new DashboardError(DashboardErrorCode.PageNotBuilt, `no dashboard page at ${path.join(files.pagesDir, 'dashboard.html')}; run \`npm run setup\` or \`npx vite build\``);
  }
  if (!existsSync(path.join(files.snapshotDir, 'manifest.json'))) {
    throw new DashboardError(DashboardErrorCode.NoSnapshot, `no snapshot manifest at ${path.join(files.snapshotDir, 'manifest.json')}`);
  }
}

/**
 * Maps a URL path to a file, or undefined when the path names nothing the dashboard serves. `/` is the page; only
 * `assets/` and `snapshot/` are served below it, and `..` cannot climb out because each part is checked.
 */
export function fileFor(files: DashboardFiles, urlPath: string): string | undefined {
  const parts = urlPath.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '..' || p === '.' || p.includes('\\') || p.includes('\0'))) {
    return undefined;
  }
  if (parts.length === 0 || (parts.length === 1 && (parts[0] === 'index.html' || parts[0] === 'dashboard.html'))) {
    return path.join(files.pagesDir, 'dashboard.html');
  }
  const [head, ...rest] = parts;
  if (rest.length === 0) {
    return undefined;
  }
  if (head === 'assets') {
    return path.join(files.pagesDir, 'assets', ...rest);
  }
  if (head === SNAPSHOT_PREFIX) {
    return path.join(files.snapshotDir, ...rest);
  }
  return undefined;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  // WebAssembly.instantiateStreaming refuses any other type
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export const contentType = (file: string): string => TYPES[path.extname(file)] ?? 'application/octet-stream';
