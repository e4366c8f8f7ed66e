/** `pool.getModel({ path })`: your own model, registered in the pool's catalogue under a name of its own. */
import path from 'node:path';

import { InvalidInputError } from '@browser-pool/browser-harness';
import { type ModelCatalogue, type ModelEntry, type ModelSource, type ModelType, userModel } from '@browser-pool/models';

/** A model given by where its bytes are, not by catalogue name. Exactly one of `path`, `url`, `bytes`. */
export interface ModelSpec {
  /** An .onnx file on this machine (served to the pages by the page server). */
  path?: string;
  /** An http(s) URL, downloaded by the orchestrator once. */
  url?: string;
  /** The model bytes in memory (sent over the socket). */
  bytes?: Uint8Array;
  /** Name in events, stats and the database. @default the file name without `.onnx` (`model` for bytes) */
  name?: string;
  /** Decides the browser preference. @default 'custom' (Chromium first) */
  modelType?: ModelType;
}

function sourceOf(spec: ModelSpec): { source: ModelSource; where: string } {
  const given = (['path', 'url', 'bytes'] as const).filter((k) => spec[k] !== undefined);
  if (given.length !== 1) {
    throw new InvalidInputError(`a model spec needs exactly one of path, url or bytes; got ${given.length === 0 ? 'none' : given.join(' and ')}`);
  }
  if (spec.path !== undefined) {
    const abs = path.resolve(spec.path);
    return { source: { kind: 'file', path: abs }, where: `model file ${abs}` };
  }
  if (spec.url !== undefined) {
    return { source: { kind: 'url', url: spec.url }, where: `model URL ${spec.url}` };
  }
  return { source: { kind: 'bytes', bytes: spec.bytes! }, where: `${spec.bytes!.byteLength} model bytes from memory` };
}

function defaultName(source: ModelSource): string {
  if (source.kind === 'bytes') {
    return 'model';
  }
  const base = source.kind === 'file' ? path.basename(source.path) : (new URL(source.url).pathname.split('/').pop() ?? 'model');
  return base.replace(/\.onnx$/i, '') || 'model';
}

function sameSource(a: ModelSource, b: ModelSource): boolean {
  return (a.kind === 'file' && b.kind === 'file' && a.path === b.path) || (a.kind === 'url' && b.kind === 'url' && a.url === b.url) || (a.kind === 'bytes' && b.kind === 'bytes' && a.bytes === b.bytes);
}

/** Adds the spec's model to `catalogue` (or finds it there, when the same name names the same source) and returns it. */
export async function registerUserModel(catalogue: ModelCatalogue, spec: ModelSpec): Promise<ModelEntry> {
  const { source, where } = sourceOf(spec);
  const name = spec.name ?? defaultName(source);
  const modelType = spec.modelType ?? 'custom';
  if (catalogue.has(name)) {
    const existing = catalogue.get(name);
    if (existing.origin === 'user' && existing.modelType === modelType && sameSource(await existing.source(), source)) {
      return existing;
    }
    throw new InvalidInputError(`a model named "${name}" is already known (${existing.description}); pass a different name`);
  }
  const entry = userModel({ name, modelType, source, description: where });
  catalogue.add(entry);
  return entry;
}
