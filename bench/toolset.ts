/**
 * Benchmark toolset figures: the sweep runner's overhead over raw pool runs of the same work (same run, alternating
 * order), and the REST API: batched POST /performance rows/s and /query p50 latency on a 1M-row database, each next
 * to the same operation called in-process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type BenchConfig, createPool, NO_FLAGS, planSweep, runSweep, sessionOptionsFor } from '@browser-pool/cli';
import { createApi, insertPerformance, listen, type PerformanceResult, Store } from '@browser-pool/db-integration';

import { percentile } from './stats';
import { formatTable } from './table';

interface Ctx {
  quick: boolean;
  record: (key: string, value: unknown) => void;
}

const median = (xs: number[]): number => percentile(xs, 50);

/**
 * The sweep runner vs a plain loop doing the same loads and runs, on the same warm pool (launch noise excluded),
 * alternating which goes first.
 */
export async function runnerOverhead(ctx: Ctx): Promise<void> {
  const iterations = ctx.quick ? 30 : 100;
  const rounds = ctx.quick ? 3 : 7;
  const configs: BenchConfig[] = [1, 4].map((batchSize) => ({ model: 'bert-tiny', browser: 'chromium', backend: 'wasm', batchSize, precision: 'fp32', flags: NO_FLAGS, priority: false }));
  const dir = mkdtempSync(join(tmpdir(), 'bp-bench-runner-'));
  const runner: number[] = [];
  const raw: number[] = [];
  const pool = await createPool({ dbPath: false, browsers: ['chromium'], health: { knownAnswerIntervalMs: 0 }, scaling: { maxConnections: 1, spareConnections: 0 } });
  try {
    await pool.initialize();
    const store = await Store.open({ path: join(dir, 'runner.duckdb') });
    const plan = planSweep(configs, { stored: new Map(), unavailable: new Map(), hasVariant: () => true });
    const sweep = async (): Promise<void> => {
      const t0 = performance.now();
      await runSweep(store, plan, { pool: () => pool, warmupIterations: 3, stability: { minIterations: iterations, maxIterations: iterations, window: 5, tolerancePct: 0 } });
      runner.push(performance.now() - t0);
    };
    const loop = async (): Promise<void> => {
      const t0 = performance.now();
      for (const c of configs) {
        const model = await pool.getModel('text_embedding', c.model, { backends: [c.backend], sessionOptions: sessionOptionsFor(c) });
        const inputs = pool.options.catalogue.get(c.model).sampleInputs({ batch: c.batchSize });
        for (let i = 0; i < 1 + 3 + iterations; i++) {
          await model.run(inputs);
        }
        await model.release();
      }
      raw.push(performance.now() - t0);
    };
    await loop(); // first loads of the run pay one-time costs: not counted
    raw.length = 0;
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        await loop();
        await sweep();
      } else {
        await sweep();
        await loop();
      }
    }
    store.close();
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
  // each round runs both back to back: the ratio within a round cancels the VM's slow stretches
  const paired = runner.map((r, i) => r / raw[i]!);
  const ratio = median(paired);
  console.log(`\n## Sweep runner vs raw pool runs (bert-tiny wasm, batch 1 and 4, 1 + 3 + ${iterations} runs each, same warm pool, median of ${rounds})`);
  const span = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;
  console.log(formatTable(['path', 'median ms', 'min-max ms', 'ratio'], [
    ['raw pool loop (baseline)', median(raw).toFixed(0), span(raw), '1.00x'],
    ['browser-pool bench runner (plan, stability, store)', median(runner).toFixed(0), span(runner), `${ratio.toFixed(3)}x`],
  ]));
  console.log(`ratio = median of the ${rounds} per-round ratios (${paired.map((x) => x.toFixed(2)).join(', ')})`);
  console.log(`runner overhead: ${((ratio - 1) * 100).toFixed(1)} % (target <= 5 %)`);
  ctx.record('runnerOverhead', { iterations, rounds, runnerMs: runner, rawMs: raw, pairedRatios: paired, ratio });
}

function result(i: number): PerformanceResult {
  return {
    model_name: `model-${i % 50}`, browser: ['chromium', 'firefox', 'edge'][i % 3]!, backend: ['wasm', 'webgpu'][i % 2]!, batch_size: 1 + (i % 4),
    is_simulated: i % 2 === 1, p50_latency_ms: 5 + (i % 97) / 10, mean_latency_ms: 5.5 + (i % 89) / 10, throughput_items_per_s: 100 + (i % 113),
    host: 'bench', created_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
  };
}

/** POST /performance rows/s (batches of 1000) vs insertPerformance in-process; /query p50 on 1M rows vs store.all. */
export async function restThroughput(ctx: Ctx): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bp-bench-rest-'));
  const token = 'bench-token';
  const batch = 1000;
  const batches = ctx.quick ? 10 : 50;
  const big = ctx.quick ? 200_000 : 1_000_000;
  try {
    const store = await Store.open({ path: join(dir, 'rest.duckdb') });
    const app = await createApi({ store, token, queryTimeoutMs: 60_000 });
    const base = await listen(app, token, { port: 0 });
    const post = async (rows: PerformanceResult[]): Promise<void> => {
      const res = await fetch(`${base}/performance`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ results: rows }) });
      if (res.status !== 201) {
        throw new Error(`POST /performance: ${res.status} ${await res.text()}`);
      }
    };
    let t0 = performance.now();
    for (let b = 0; b < batches; b++) {
      await post(Array.from({ length: batch }, (_, i) => result(b * batch + i)));
    }
    const restRate = (batches * batch) / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    for (let b = 0; b < batches; b++) {
      const rows = Array.from({ length: batch }, (_, i) => result((batches + b) * batch + i));
      await store.transaction(() => insertPerformance(store, rows, null));
    }
    const directRate = (batches * batch) / ((performance.now() - t0) / 1000);

    // grow to `big` rows in SQL (fast), then time /query against the same statement in-process
    const have = (await store.one<{ n: number }>('SELECT count(*) AS n FROM performance_results'))!.n;
    await store.run(`INSERT INTO performance_results (result_id, model_id, hardware_id, batch_size, requested_backend, p50_latency_ms, mean_latency_ms, throughput_items_per_s, is_simulated, created_at)
      SELECT 1000000000 + i, 1 + i % 50, 1 + i % 6, 1 + i % 4, 'wasm', 5 + (i % 97) / 10, 5.5 + (i % 89) / 10, 100 + i % 113, false, TIMESTAMP '2026-01-01' + to_seconds(i)
      FROM range(${big - have}) t(i)`);
    const sql = 'SELECT model_id, batch_size, count(*) AS n, median(p50_latency_ms) AS p50, avg(throughput_items_per_s) AS tput FROM performance_results WHERE created_at >= TIMESTAMP \'2026-01-03\' GROUP BY ALL ORDER BY ALL';
    const calls = ctx.quick ? 15 : 40;
    const restMs: number[] = [];
    const directMs: number[] = [];
    for (let i = 0; i < calls; i++) {
      t0 = performance.now();
      const res = await fetch(`${base}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }) });
      await res.json();
      restMs.push(performance.now() - t0);
      t0 = performance.now();
      await store.all(sql);
      directMs.push(performance.now() - t0);
    }
    await app.close();
    store.close();
    console.log(`\n## REST API (${batches} batches of ${batch} rows; /query on ${big.toLocaleString('en')} rows, ${calls} calls)`);
    console.log(formatTable(['operation', 'in-process (baseline)', 'REST', 'ratio'], [
      ['POST /performance rows/s', directRate.toFixed(0), restRate.toFixed(0), `${(restRate / directRate).toFixed(2)}x`],
      ['/query p50 ms (group-by over all rows)', median(directMs).toFixed(1), median(restMs).toFixed(1), `${(median(restMs) / median(directMs)).toFixed(2)}x`],
    ]));
    ctx.record('rest', { batch, batches, restRowsPerS: restRate, directRowsPerS: directRate, rows: big, queryRestMs: restMs, queryDirectMs: directMs });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
