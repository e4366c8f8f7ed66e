/** Shared by browser tests: a reference comparison that reports the worst element, and a tolerance. */
import type { TensorMap } from '@browser-pool/browser-harness';
import { maxAbsDiff, Rng } from '@browser-pool/models';
import type { PoolEvents, ResourcePool } from '@browser-pool/pool';

/** Max abs diff allowed between browser and onnxruntime-node fp32 outputs (the bar). */
export const FP32_TOLERANCE = 1e-4;

/** Max |browser - reference| over every output; throws if an output is missing. */
export function worstDiff(actual: TensorMap, expected: TensorMap): number {
  let worst = 0;
  for (const [name, ref] of Object.entries(expected)) {
    const got = actual[name];
    if (got === undefined) {
      throw new Error(`output "${name}" missing from the browser result (got ${Object.keys(actual).join(', ')})`);
    }
    worst = Math.max(worst, maxAbsDiff(got, ref));
  }
  return worst;
}

/** Seeded uniform numbers in [0, 1) (the models package's mulberry32): fuzz and fixtures are the same every run. */
export function seededRandom(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

/** Every payload of pool event `name` from now on, in order. */
export function collect<K extends keyof PoolEvents>(pool: ResourcePool, name: K): PoolEvents[K][0][] {
  const seen: PoolEvents[K][0][] = [];
  pool.on(name, ((payload: PoolEvents[K][0]) => seen.push(payload)) as never);
  return seen;
}

/**
 * Pool events of `names` from now on, one line each with the milliseconds since `origin()` (so a fault test's failure
 * message says what the pool did, and when, relative to the fault). Reasons are cut at 160 characters.
 */
export function timeline(pool: ResourcePool, names: readonly (keyof PoolEvents)[], origin: () => number): string[] {
  const lines: string[] = [];
  for (const name of names) {
    pool.on(name, ((payload: Record<string, unknown>) => {
      const fields = Object.entries(payload)
        .filter(([key]) => key !== 'capabilities')
        .map(([key, value]) => `${key}=${String(typeof value === 'number' ? Math.round(value) : value).slice(0, 160)}`);
      lines.push(`${Math.round(performance.now() - origin())} ms ${name} ${fields.join(' ')}`);
    }));
  }
  return lines;
}
