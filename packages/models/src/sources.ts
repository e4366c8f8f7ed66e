/** Reads model bytes from any source, with `E_MODEL_LOAD` errors that say where and why. */
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';

import { ModelLoadError, ModelNotFoundError } from '@browser-pool/browser-harness/protocol';

import type { ModelSource } from './types';

/** @param timeoutMs deadline of a URL download. @default 60_000 */
export async function loadModelBytes(source: ModelSource, timeoutMs = 60_000): Promise<Uint8Array> {
  switch (source.kind) {
    case 'bytes':
      return source.bytes;
    case 'file':
      try {
        return new Uint8Array(await readFile(source.path));
      } catch (error) {
        throw new ModelLoadError(`cannot read model file ${source.path}: ${(error as Error).message}`, { cause: error });
      }
    case 'url': {
      if (!/^https?:\/\//.test(source.url)) {
        throw new ModelLoadError(`model URL must be http(s), got ${source.url}`);
      }
      let response: Response;
      try {
        response = await fetch(source.url, { signal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        throw new ModelLoadError(`cannot download model from ${source.url}: ${(error as Error).message}`, { cause: error });
      }
      if (response.status === 404 || response.status === 410) {
        throw new ModelNotFoundError(`no model at ${source.url}: HTTP ${response.status} ${response.statusText}; check the URL`, {
          details: { url: source.url, status: response.status },
        });
      }
      if (!response.ok) {
        throw new ModelLoadError(`cannot download model from ${source.url}: HTTP ${response.status} ${response.statusText}`, {
          details: { url: source.url, status: response.status },
        });
      }
      return new Uint8Array(await response.arrayBuffer());
    }
  }
}

/** Fails early, in Node, for a model file a page would otherwise only see as an HTTP 404. */
export async function assertReadableFile(filePath: string): Promise<void> {
  const info = await stat(filePath).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) {
    if (info.code === 'ENOENT' || info.code === 'ENOTDIR') {
      throw new ModelNotFoundError(`no model file at ${filePath}: it does not exist; check the path (relative paths start at ${process.cwd()})`, {
        details: { path: filePath },
      });
    }
    throw new ModelLoadError(`cannot read model file ${filePath}: ${info.message}`, { cause: info, details: { path: filePath } });
  }
  if (info.isDirectory()) {
    throw new ModelLoadError(`${filePath} is a directory, not an .onnx file; name the model file inside it`, { details: { path: filePath } });
  }
  if (!info.isFile()) {
    throw new ModelLoadError(`${filePath} is not a regular file (a pipe, socket or device); give the path of an .onnx file`, { details: { path: filePath } });
  }
  try {
    await access(filePath, constants.R_OK);
  } catch (error) {
    throw new ModelLoadError(`cannot read model file ${filePath}: ${(error as Error).message}`, { cause: error, details: { path: filePath } });
  }
}
