/**
 * The sweep's view of the known-wrong-kernel table: each planned variant's graph is read once and checked against
 * KNOWN_WRONG_KERNELS for the onnxruntime-web version the pages bundle, so the planner skips (with the case and why)
 * exactly what the pool would refuse to place, for any model, not a fixed precision list.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import type { Backend } from '@browser-pool/browser-harness/protocol';
import { describeHits, hitsOn, inspectGraph, type KernelHit, knownWrongHits, loadModelBytes, type ModelCatalogue } from '@browser-pool/models';

import { type BenchConfig, type Precision, variantName } from './config';

const require = createRequire(import.meta.url);

/**
 * The onnxruntime-web version the worker pages are built with ('unknown' where it cannot be found, which the table
 * treats as in every range: the safe side). Its package.json is not an export, so it is read beside the entry point.
 */
export function bundledOrtVersion(): string {
  try {
    const entry = require.resolve('onnxruntime-web');
    const root = entry.slice(0, entry.lastIndexOf(`${path.sep}onnxruntime-web${path.sep}`) + 'onnxruntime-web'.length + 1);
    return (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function knownWrongLookup(
  catalogue: ModelCatalogue,
  configs: readonly BenchConfig[],
  ortVersion = bundledOrtVersion(),
): Promise<(model: string, precision: Precision, backend: Backend) => string | undefined> {
  const hits = new Map<string, KernelHit[]>();
  for (const name of new Set(configs.map((c) => variantName(c.model, c.precision)))) {
    if (catalogue.has(name)) {
      const bytes = await loadModelBytes(await catalogue.get(name).source());
      hits.set(name, knownWrongHits(inspectGraph(bytes)));
    }
  }
  return (model, precision, backend) => {
    const on = hitsOn(hits.get(variantName(model, precision)) ?? [], backend, ortVersion);
    return on.length === 0 ? undefined : `known-wrong kernel on ${backend} in onnxruntime-web ${ortVersion}: ${describeHits(on)}`;
  };
}
