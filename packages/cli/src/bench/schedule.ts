/**
 * The order a sweep runs its configurations in, chosen so that run order cannot bias a flag comparison.
 *
 * Configurations that differ only in their optimization flags form a block (same model, browser, backend,
 * precision); each flag set is an arm (its batch sizes share sessions). Run in a fixed order, the first arm pays
 * for cold caches and compiled code the later arms reuse, and its flag looks worse for it: measured here, init with
 * `precompile` first was 72-116 ms against 18-25 ms without. So each repetition runs the arms of a block in a
 * seeded random order, and the next repetition runs the reverse (ABBA for two arms): over each pair every arm holds
 * every position equally often, whatever the seed (an odd repeat count leaves the last repetition unmirrored: its
 * order is random, so with 5 runs one arm leads 3 times and the other 2). The seed is stored with the results, so
 * an order can be replayed.
 * Pure: the runner executes the returned list.
 */
import { Rng } from '@browser-pool/models';

import { type BenchConfig, groupKey } from './config';

export interface ArmRun {
  /** The arm: one flag set of a block, one configuration per batch size. */
  group: BenchConfig[];
  /** The block the arm belongs to: model|browser|backend|precision. */
  block: string;
  /** 0-based repetition of the block. */
  repetition: number;
  /** 0-based place of this arm within its repetition. */
  position: number;
  /** Arms in the block. */
  arms: number;
}

export interface ScheduleOptions {
  /** Times each arm runs (each time in a fresh page when the runner isolates). @default 1 */
  repeats?: number;
  /** Seed of the arm order. @default 1 */
  seed?: number;
}

export const blockKey = (c: BenchConfig): string => [c.model, c.browser, c.backend, c.precision].join('|');

/** FNV-1a: a stable 32-bit hash, so each block gets its own stream from one seed. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}

/** The models package's seeded mulberry32: small, and the same order for the same seed everywhere. */
function random(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Every arm run of the sweep in execution order: repetition by repetition, block by block, the arms of a block in
 * the seeded counterbalanced order. The arms of a block are sorted by key first, so the order depends on the seed
 * only, never on the order the configurations were listed in.
 */
export function scheduleSweep(configs: readonly BenchConfig[], options: ScheduleOptions = {}): ArmRun[] {
  const repeats = options.repeats ?? 1;
  const seed = options.seed ?? 1;
  const blocks = new Map<string, Map<string, BenchConfig[]>>();
  for (const c of configs) {
    const arms = blocks.get(blockKey(c)) ?? new Map<string, BenchConfig[]>();
    blocks.set(blockKey(c), arms);
    arms.set(groupKey(c), [...(arms.get(groupKey(c)) ?? []), c]);
  }
  const out: ArmRun[] = [];
  for (let repetition = 0; repetition < repeats; repetition++) {
    for (const [block, arms] of blocks) {
      const canonical = [...arms.keys()].sort();
      // one permutation per pair of repetitions: the first runs it, the second its mirror
      const order = shuffled(canonical, random(seed ^ hash32(`${block}#${Math.floor(repetition / 2)}`)));
      if (repetition % 2 === 1) {
        order.reverse();
      }
      order.forEach((key, position) => {
        out.push({ group: [...arms.get(key)!].sort((x, y) => x.batchSize - y.batchSize), block, repetition, position, arms: canonical.length });
      });
    }
  }
  return out;
}
