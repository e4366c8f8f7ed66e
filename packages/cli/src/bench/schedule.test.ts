import { flagImpact, type ImpactRow } from '@browser-pool/db-integration';
import { describe, expect, it } from 'vitest';

import { type BenchConfig, NO_FLAGS } from './config';
import { flagSetText } from './matrix-flags';
import { type ArmRun, scheduleSweep } from './schedule';

const cfg = (precompile: boolean, batchSize = 1, model = 'bert-tiny'): BenchConfig => ({
  model, browser: 'chromium', backend: 'wasm', batchSize, precision: 'fp32', flags: { ...NO_FLAGS, precompileShaders: precompile }, priority: false,
});
const arms = (s: readonly ArmRun[]): string[] => s.map((a) => (a.group[0]!.flags.precompileShaders ? 'B' : 'A'));
/** A seed whose first repetition starts with the arm wanted (the schedule is deterministic per seed). */
const seedStarting = (on: boolean): number => [...Array(100).keys()].find((seed) => scheduleSweep([cfg(false), cfg(true)], { seed })[0]!.group[0]!.flags.precompileShaders === on)!;

describe('scheduleSweep', () => {
  it('runs two arms as ABBA blocks: every arm holds every position equally often over each pair of repetitions', () => {
    const s = scheduleSweep([cfg(false), cfg(true)], { repeats: 6, seed: seedStarting(false) });
    expect(arms(s).join('')).toMatch(/^ABBA(ABBA|BAAB){2}$/);
    for (let pair = 0; pair < 3; pair++) {
      const two = s.filter((a) => Math.floor(a.repetition / 2) === pair);
      expect(two.map((a) => a.position)).toEqual([0, 1, 0, 1]);
      expect(arms(two.slice(0, 2)).reverse()).toEqual(arms(two.slice(2))); // the mirror
    }
    const firstPlaces = s.filter((a) => a.position === 0).map((a) => a.group[0]!.flags.precompileShaders);
    expect(firstPlaces.filter(Boolean).length).toBe(3);
  });

  it('depends on the seed only: listing the configurations in the other order gives the same schedule', () => {
    const configs = [cfg(false, 1), cfg(false, 4), cfg(true, 1), cfg(true, 4), cfg(false, 1, 'vit-tiny'), cfg(true, 1, 'vit-tiny')];
    const key = (s: readonly ArmRun[]): string[] => s.map((a) => `${a.block} ${flagSetText(a.group[0]!.flags)} ${a.group.map((c) => c.batchSize).join(',')} r${a.repetition}p${a.position}`);
    const forward = scheduleSweep(configs, { repeats: 4, seed: 7 });
    expect(key(scheduleSweep([...configs].reverse(), { repeats: 4, seed: 7 })).sort()).toEqual(key(forward).sort());
    expect(forward).toHaveLength(16); // 2 blocks x 2 arms x 4 repetitions; batch sizes of an arm run together
    expect(forward[0]!.group.map((c) => c.batchSize).sort()).toEqual([1, 4]);
    expect(seedStarting(true)).not.toBe(seedStarting(false));
  });

  it('three arms: each arm takes first place, and the mirror repetition balances the mean position', () => {
    const three = [cfg(false), cfg(true), { ...cfg(false), flags: { ...NO_FLAGS, parallelLoading: true } }];
    const s = scheduleSweep(three, { repeats: 2, seed: 3 });
    const meanPosition = new Map<string, number>();
    for (const a of s) {
      const k = flagSetText(a.group[0]!.flags);
      meanPosition.set(k, (meanPosition.get(k) ?? 0) + a.position / 2);
    }
    expect([...meanPosition.values()]).toEqual([1, 1, 1]);
  });
});

/**
 * The bias the issue measured, simulated: the arm that runs first in a repetition pays a cold-cache penalty on init
 * (+60 ms); the flag's true effect on init is nothing, on first run it halves it. Stored as the runner stores them,
 * the comparison must give the same verdicts whichever arm the seed puts first, and the old fixed order (flag off
 * always first) must show the false "precompile helps init" that started issue 14.
 */
function simulate(schedule: readonly ArmRun[], seed: number | null): ImpactRow[] {
  return schedule.map((a, i) => {
    const on = a.group[0]!.flags.precompileShaders;
    const noise = ((i * 7919) % 13) / 13; // deterministic, 0..1 ms
    return {
      model: 'bert-tiny', browser: 'chromium', backend: 'wasm', batchSize: 1,
      flags: { compute_shader_optimized: false, precompile_shaders: on, parallel_loading: false, mixed_precision: false },
      values: { init_ms: 20 + noise + (a.position === 0 ? 60 : 0), first_run_ms: (on ? 5 : 10) + noise, p50_ms: 3 + noise, memory_mb: null, group_load_ms: null },
      orderSeed: seed,
    };
  });
}

const verdicts = (rows: ImpactRow[]): Record<string, string> => Object.fromEntries(flagImpact(rows).filter((i) => i.flag === 'precompile_shaders').map((i) => [i.metric, i.verdict]));

describe('flag comparison under an order effect', () => {
  it('gives the same verdicts in both orders; a fixed order invents an effect', () => {
    const configs = [cfg(false), cfg(true)];
    const offFirst = seedStarting(false);
    const onFirst = seedStarting(true);
    const a = verdicts(simulate(scheduleSweep(configs, { repeats: 6, seed: offFirst }), offFirst));
    const b = verdicts(simulate(scheduleSweep(configs, { repeats: 6, seed: onFirst }), onFirst));
    expect(a).toEqual({ init_ms: 'no measurable effect', first_run_ms: 'better', p50_ms: 'no measurable effect' });
    expect(b).toEqual(a);
    // what the sweep did before: off, then on, every time
    const fixed: ArmRun[] = [...Array(6).keys()].flatMap((r) => [false, true].map((on, position) => ({ group: [cfg(on)], block: 'b', repetition: r, position, arms: 2 })));
    expect(verdicts(simulate(fixed, null)).init_ms).toBe('better');
  });
});
