/**
 * A flag comparison measured in real Chromium does not depend on run order: the same `bench --flags precompile`
 * comparison runs twice, once with a seed that puts the flag-off arm first and once with one that puts the flag-on
 * arm first, 5 runs per arm, each arm run in a fresh browser and page. `report optimization` must not flip the
 * verdict for the cold-start metrics (init, first run) between the two, from 5/5 runs each, with the seed stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { type BenchConfig, NO_FLAGS, scheduleSweep } from '@browser-pool/cli';
import { type FlagImpact, MIN_RUNS_PER_ARM, Store } from '@browser-pool/db-integration';
import { afterAll, describe, expect, it } from 'vitest';

import { type CliOutcome, runCli } from './cli-run';

const BIN = resolve('packages/cli/bin/browser-pool.mjs');
const dir = mkdtempSync(join(tmpdir(), 'bp-flag-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): Promise<CliOutcome> {
  return runCli(BIN, dir, args);
}

const direction = (verdict: string): number => (verdict === 'better' ? -1 : verdict === 'worse' ? 1 : 0);
const arm = (precompileShaders: boolean): BenchConfig => ({ model: 'bert-tiny', browser: 'chromium', backend: 'wasm', batchSize: 1, precision: 'fp32', flags: { ...NO_FLAGS, precompileShaders }, priority: false });
const seedStarting = (on: boolean): number => [...Array(100).keys()].find((seed) => scheduleSweep([arm(false), arm(true)], { seed })[0]!.group[0]!.flags.precompileShaders === on)!;

async function comparison(seed: number): Promise<{ impact: FlagImpact[]; order: boolean[]; storedSeed: number }> {
  const db = join(dir, `seed-${seed}.duckdb`);
  const res = await cli('--db', db, 'bench', '--models', 'bert-tiny', '--browsers', 'chromium', '--backends', 'wasm', '--batch-sizes', '1', '--flags', 'precompile',
    '--repeats', String(MIN_RUNS_PER_ARM), '--order-seed', String(seed), '--min-iterations', '5', '--window', '3', '--max-iterations', '15', '--warmup', '1', '--no-scan');
  expect(res.code, res.err).toBe(0);
  expect(res.err).toContain(`plan: 2 configuration(s) to run x ${MIN_RUNS_PER_ARM} runs each`);
  const report = await cli('--db', db, 'report', 'optimization', '--format', 'json');
  expect(report.code, report.err).toBe(0);
  const store = await Store.open({ path: db, readOnly: true });
  try {
    const order = await store.all<{ pc: boolean }>("SELECT precompile_shaders AS pc FROM performance_results ORDER BY result_id");
    const run = await store.one<{ seed: number }>("SELECT json_extract(metadata, '$.order_seed')::INTEGER AS seed FROM test_runs WHERE test_type = 'benchmark'");
    const fresh = await store.one<{ n: number }>("SELECT count(*) AS n FROM performance_results WHERE json_extract(metrics, '$.order.fresh_page')::BOOLEAN AND json_extract(metrics, '$.order.seed')::INTEGER = ?", [seed]);
    expect(fresh?.n).toBe(2 * MIN_RUNS_PER_ARM);
    return { impact: JSON.parse(report.out) as FlagImpact[], order: order.map((r) => r.pc), storedSeed: run?.seed ?? -1 };
  } finally {
    store.close();
  }
}

describe('flag comparison in both orders', () => {
  it('never flips a cold-start verdict whichever arm runs first', async () => {
    const offFirst = await comparison(seedStarting(false));
    const onFirst = await comparison(seedStarting(true));
    // the two sweeps really ran in opposite orders, ABBA within each, and stored their seeds
    expect(offFirst.order.slice(0, 4)).toEqual([false, true, true, false]);
    expect(onFirst.order.slice(0, 4)).toEqual([true, false, false, true]);
    expect(offFirst.storedSeed).toBe(seedStarting(false));
    const pick = (impact: FlagImpact[], metric: string): FlagImpact => impact.find((i) => i.name === 'precompile' && i.metric === metric)!;
    for (const metric of ['init_ms', 'first_run_ms']) {
      const a = pick(offFirst.impact, metric);
      const b = pick(onFirst.impact, metric);
      console.info(`${metric}: off first ${a.verdict} ratio ${a.ratio.toFixed(3)} [${a.interval.map((x) => x.toFixed(3)).join(', ')}] n ${a.nOn}/${a.nOff}; on first ${b.verdict} ratio ${b.ratio.toFixed(3)} [${b.interval.map((x) => x.toFixed(3)).join(', ')}] n ${b.nOn}/${b.nOff}`);
      expect([a.nOn, a.nOff, b.nOn, b.nOff]).toEqual([5, 5, 5, 5]);
      expect(a.otherFlags).toBe('compute-shaders=off parallel-loading=off mixed-precision=off');
      expect(a.verdict).not.toBe('too few runs');
      expect(b.verdict).not.toBe('too few runs');
      // no flip: the two orders never point opposite ways, and their intervals overlap. (On this shared 2-core
      // machine 5 runs per arm can leave a modest effect significant in one order and not in the other; that is
      // noise, not order: a flip is "better" in one order and "worse" in the other.)
      expect(direction(a.verdict) * direction(b.verdict), `${a.verdict} vs ${b.verdict}`).toBeGreaterThanOrEqual(0);
      expect(Math.max(a.interval[0], b.interval[0])).toBeLessThanOrEqual(Math.min(a.interval[1], b.interval[1]));
    }
    // precompile's real effect on the first measured run (pipelines compiled before it) holds in both orders
    expect([pick(offFirst.impact, 'first_run_ms').verdict, pick(onFirst.impact, 'first_run_ms').verdict]).toEqual(['better', 'better']);
  }, 400_000);
});
