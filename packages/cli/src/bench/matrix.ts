/** The configurations of a sweep given as a matrix of options (`bench --models ... --batch-sizes ...`). */
import type { BrowserKind } from '@browser-pool/browser-harness/kinds';
import type { Backend } from '@browser-pool/browser-harness/protocol';
import type { ModelCatalogue } from '@browser-pool/models';
import { DEFAULT_BROWSER_PREFERENCE } from '@browser-pool/pool';

import { type BenchConfig, NO_FLAGS, type OptimizationFlags, type Precision } from './config';
import { FLAG_FIELD, type FlagName } from './matrix-flags';

export interface MatrixOptions {
  models: string[];
  browsers: BrowserKind[];
  backends: Backend[];
  batchSizes: number[];
  precisions: Precision[];
  flags: FlagName[];
}

/** Every on/off combination of the swept flags (all off first). */
function flagSets(names: readonly FlagName[]): OptimizationFlags[] {
  let sets: OptimizationFlags[] = [NO_FLAGS];
  for (const n of names) {
    sets = sets.flatMap((s) => [s, { ...s, [FLAG_FIELD[n]]: true }]);
  }
  return sets;
}

export function matrix(o: MatrixOptions, catalogue: ModelCatalogue): BenchConfig[] {
  const out: BenchConfig[] = [];
  for (const model of o.models) {
    const type = catalogue.get(model).modelType;
    for (const browser of o.browsers) {
      for (const backend of o.backends) {
        for (const precision of o.precisions) {
          for (const flags of flagSets(o.flags)) {
            for (const batchSize of o.batchSizes) {
              // priority: the model type's preferred browser, every backend, fp32, no flags
              const priority = DEFAULT_BROWSER_PREFERENCE[type][0] === browser && precision === 'fp32' && flags === NO_FLAGS;
              out.push({ model, browser, backend, batchSize, precision, flags, priority });
            }
          }
        }
      }
    }
  }
  return out;
}

