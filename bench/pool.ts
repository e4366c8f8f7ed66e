/**
 * Issue #3 benchmarks:
 *  1. mixed workload (text, vision, audio models at once) through the pool with 1, 2, 4 connections, against an oracle
 *     that places the same requests round-robin on the same pages directly (no routing, queues or breakers);
 *  2. recovery time after SIGKILL of an idle browser: kill -> replacement connected and probed.
 */
import { readFile } from 'node:fs/promises';

import type { TensorMap } from '@browser-pool/browser-harness';
import { ModelCatalogue, type ModelType } from '@browser-pool/models';
import { ResourcePool } from '@browser-pool/pool';

import { percentile } from './stats';
import { formatTable } from './table';

const MODELS: [ModelType, string][] = [
  ['text_embedding', 'bert-small'],
  ['vision', 'vit-small'],
  ['audio', 'audio-encoder-small'],
];

export interface PoolBenchOptions {
  quick: boolean;
  record: (name: string, value: unknown) => void;
}

async function poolRun(pool: ResourcePool, work: { model: number; inputs: TensorMap }[], handles: Awaited<ReturnType<ResourcePool['getModel']>>[]): Promise<number> {
  const start = performance.now();
  await Promise.all(work.map((w) => handles[w.model]!.run(w.inputs)));
  return performance.now() - start;
}

export async function mixedWorkload(opts: PoolBenchOptions): Promise<void> {
  const catalogue = ModelCatalogue.default();
  const perModel = opts.quick ? 60 : 200;
  const rows: string[][] = [];
  let single: number | undefined;
  for (const n of [1, 2, 4]) {
    const pool = new ResourcePool({
      catalogue,
      browsers: Array.from({ length: n }, () => 'chromium' as const),
      backends: ['wasm'],
      health: { knownAnswerIntervalMs: 0 },
      scaling: { minConnections: n, maxConnections: n },
      maxQueuedRequests: 10_000,
      // A whole round is one burst: its last requests wait behind all the others (throughput is measured, not deadlines).
      runTimeoutMs: 120_000,
    });
    try {
      await pool.initialize();
      const handles = await Promise.all(MODELS.map(([type, name]) => pool.getModel(type, name)));
      const inputs = MODELS.map(([, name]) => catalogue.get(name).sampleInputs());
      const work = Array.from({ length: perModel * MODELS.length }, (_, i) => ({ model: i % MODELS.length, inputs: inputs[i % MODELS.length]! }));
      // Oracle sessions: the same models loaded directly on every page.
      const conns = pool.connections.map((c) => c.connection);
      const oracleSessions = await Promise.all(
        conns.map(async (c) =>
          Promise.all(
            MODELS.map(async ([, name]) => {
              const src = await catalogue.get(name).source();
              if (src.kind !== 'file') {throw new Error('generated models are files');}
              const bytes = new Uint8Array(await readFile(src.path));
              return (await c.load(name, { kind: 'bytes', bytes }, 'wasm')).sessionId;
            }),
          ),
        ),
      );
      const oracle = async (): Promise<number> => {
        const start = performance.now();
        await Promise.all(work.map((w, i) => conns[i % conns.length]!.run(oracleSessions[i % conns.length]![w.model]!, w.inputs, { timeoutMs: 120_000 })));
        return performance.now() - start;
      };
      // Warm every page and session, then alternate measured rounds.
      await poolRun(pool, work.slice(0, 30 * n), handles);
      await oracle();
      const poolMs: number[] = [];
      const oracleMs: number[] = [];
      for (let r = 0; r < (opts.quick ? 1 : 2); r++) {
        poolMs.push(await poolRun(pool, work, handles));
        oracleMs.push(await oracle());
      }
      const poolRate = work.length / (Math.min(...poolMs) / 1000);
      const oracleRate = work.length / (Math.min(...oracleMs) / 1000);
      single ??= poolRate;
      const stats = pool.stats();
      const spread = stats.connections.map((c) => c.completed).join('/');
      // Models the pool placed on each connection (the oracle's own sessions are on every page and not counted).
      const placed = stats.connections.map((c) => c.models.length).join('/');
      rows.push([String(n), poolRate.toFixed(0), oracleRate.toFixed(0), `${(poolRate / oracleRate).toFixed(2)}x`, `${(poolRate / single).toFixed(2)}x`, spread, placed]);
      opts.record(`pool.mixed.${n}`, { poolRate, oracleRate, ratio: poolRate / oracleRate, scaling: poolRate / single, modelsPerConnection: placed, perModel: stats.perModel });
    } finally {
      await pool.close();
    }
  }
  console.log(`\n## Mixed workload: ${MODELS.map((m) => m[1]).join(' + ')} concurrently, ${perModel} requests each (wasm)  target: pool/oracle >= 0.9\n`);
  console.log(formatTable(['connections', 'pool req/s', 'oracle req/s', 'pool / oracle', 'vs 1 connection', 'requests per connection', 'pool models per connection'], rows));
}

async function measureRecovery(spares: number, kills: number): Promise<{ detect: number[]; total: number[] }> {
  const pool = new ResourcePool({ browsers: ['chromium', 'chromium'], backends: ['wasm'], health: { knownAnswerIntervalMs: 0 }, scaling: { spareConnections: spares } });
  const detect: number[] = [];
  const total: number[] = [];
  try {
    await pool.initialize();
    for (let i = 0; i < kills; i++) {
      // With spares, wait until the spare killed last time has been replaced, so every kill finds one.
      while (pool.stats().spares < spares) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const victim = pool.connections[0]!;
      const killedAt = performance.now();
      const down = new Promise<number>((r) => pool.once('connection:down', () => r(performance.now() - killedAt)));
      const recovered = new Promise<number>((r) => pool.once('recovery', () => r(performance.now() - killedAt)));
      victim.connection.faults.killBrowser();
      detect.push(await down);
      total.push(await recovered);
    }
  } finally {
    await pool.close();
  }
  return { detect, total };
}

export async function recoveryTime(opts: PoolBenchOptions): Promise<void> {
  const kills = opts.quick ? 3 : 6;
  const cold = await measureRecovery(0, kills);
  const warm = await measureRecovery(1, kills);
  const fmt = (xs: number[], p: number): string => percentile(xs, p).toFixed(0);
  console.log(`\n## Recovery after SIGKILL of an idle browser (${kills} kills each)  target: p50 <= 2000 ms\n`);
  console.log(formatTable(['path', 'loss detected p50 ms', 'serving again p50 ms', 'serving again max ms'], [
    ['relaunch a browser (spareConnections: 0, default)', fmt(cold.detect, 50), fmt(cold.total, 50), fmt(cold.total, 100)],
    ['promote a warm spare (spareConnections: 1)', fmt(warm.detect, 50), fmt(warm.total, 50), fmt(warm.total, 100)],
  ]));
  opts.record('pool.recovery', {
    relaunchP50: percentile(cold.total, 50),
    relaunchMax: Math.max(...cold.total),
    spareP50: percentile(warm.total, 50),
    spareMax: Math.max(...warm.total),
    detectP50: percentile(cold.detect, 50),
  });
}
