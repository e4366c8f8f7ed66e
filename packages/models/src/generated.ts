/** Writes generated models once into the cache directory, atomically, so parallel test workers can share them. */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when a builder changes the graphs or weights it writes, so stale cached files are not reused. */
export const GENERATOR_VERSION = 1;

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** @default `$BROWSER_POOL_MODEL_CACHE`, else `<repo>/.cache/models` */
export function defaultCacheDir(): string {
  const fromEnv = process.env.BROWSER_POOL_MODEL_CACHE;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : path.join(REPO_ROOT, '.cache', 'models');
}

export function generatedPath(cacheDir: string, name: string): string {
  return path.join(cacheDir, `${name}-v${GENERATOR_VERSION}.onnx`);
}

export async function ensureGenerated(cacheDir: string, name: string, build: () => Uint8Array): Promise<string> {
  const file = generatedPath(cacheDir, name);
  if ((await stat(file).catch(() => undefined))?.isFile() === true) {
    return file;
  }
  await mkdir(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, build());
  await rename(tmp, file);
  return file;
}
