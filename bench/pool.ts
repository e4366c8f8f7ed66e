/**
 * Issue #3 benchmarks:
 *  1. mixed workload (text, vision, audio models at once) through the pool with 1, 2, 4 connections, against an oracle
 *     that places the same requests round-robin on the same pages directly (no routing, queues or breakers), in
 *     alternating rounds; also how evenly each spreads in-page work over the pages;
 *  2. recovery time after SIGKILL of an idle browser: kill -> replacement connected and probed.
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';

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

/**
 * One round: every request at once; the wall time, each connection's in-page busy time (sum of `session.run`), and
 * the CPU time this Node process spent (user + system: routing, queues, the bridge), which competes with the pages
 * for the same cores.
 */
interface Round {
  ms: number;
  busyMs: Map<string, number>;
  nodeCpuMs: number;
}

async function timed(calls: (() => Promise<{ connectionId: string; computeMs: number }>)[]): Promise<Round> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const done = await Promise.all(calls.map((call) => call()));
  const used = process.cpuUsage(cpu);
  const nodeCpuMs = (used.user + used.system) / 1000;
  const busyMs = new Map<string, number>();
  for (const d of done) {
    busyMs.set(d.connectionId, (busyMs.get(d.connectionId) ?? 0) + d.computeMs);
  }
  return { ms: performance.now() - start, busyMs, nodeCpuMs };
}

/** Busiest connection's in-page work over the mean: 1.00 is a perfectly even spread (what a round can waste). */
function imbalance(round: Round, connections: number): number {
  const busy = [...round.busyMs.values()];
  return Math.max(...busy) / (busy.reduce((a, b) => a + b, 0) / connections);
}

const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');

export async function mixedWorkload(opts: PoolBenchOptions): Promise<void> {
  const catalogue = ModelCatalogue.default();
  const perModel = opts.quick ? 60 : 200;
  // Pool and oracle rounds alternate A B B A ..., so drift in the machine's speed (other work on the 2 cores) falls
  // on both alike; the ratio is the median of the pairs'.
  const pairs = opts.quick ? 3 : 5;
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
      // The oracle is a hand placement: every model loaded directly on every page, requests dealt round-robin (each
      // page gets the same mix), all sent at once, no routing, queues or breakers. The same pages, models, requests
      // and concurrency (everything in flight) as the pool's round.
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
      const poolRound = (batch: typeof work): Promise<Round> =>
        timed(batch.map((w) => async () => {
          const r = await handles[w.model]!.run(w.inputs);
          return { connectionId: r.connectionId, computeMs: r.timings.computeMs };
        }));
      const oracleRound = (): Promise<Round> =>
        timed(work.map((w, i) => async () => {
          const c = conns[i % conns.length]!;
          const r = await c.run(oracleSessions[i % conns.length]![w.model]!, w.inputs, { timeoutMs: 120_000 });
          return { connectionId: c.id, computeMs: r.computeMs };
        }));
      // Warm every page and session, then alternate measured rounds.
      await poolRound(work.slice(0, 30 * n));
      await oracleRound();
      const loadBefore = load();
      const poolRounds: Round[] = [];
      const oracleRounds: Round[] = [];
      for (let r = 0; r < pairs; r++) {
        if (r % 2 === 0) {
          poolRounds.push(await poolRound(work));
          oracleRounds.push(await oracleRound());
        } else {
          oracleRounds.push(await oracleRound());
          poolRounds.push(await poolRound(work));
        }
      }
      const ratios = poolRounds.map((p, i) => oracleRounds[i]!.ms / p.ms);
      const ratio = percentile(ratios, 50);
      const poolRate = work.length / (percentile(poolRounds.map((p) => p.ms), 50) / 1000);
      const oracleRate = work.length / (percentile(oracleRounds.map((p) => p.ms), 50) / 1000);
      single ??= poolRate;
      const stats = pool.stats();
      const spread = stats.connections.map((c) => c.completed).join('/');
      // Models the pool placed on each connection (the oracle's own sessions are on every page and not counted).
      const placed = stats.connections.map((c) => c.models.length).join('/');
      const poolImbalance = percentile(poolRounds.map((r) => imbalance(r, n)), 50);
      const oracleImbalance = percentile(oracleRounds.map((r) => imbalance(r, n)), 50);
      const cpuPerRequest = (rounds: Round[]): number => percentile(rounds.map((r) => r.nodeCpuMs), 50) / work.length;
      const [poolCpu, oracleCpu] = [cpuPerRequest(poolRounds), cpuPerRequest(oracleRounds)];
      rows.push([
        String(n),
        poolRate.toFixed(0),
        oracleRate.toFixed(0),
        `${ratio.toFixed(2)}x (${ratios.map((x) => x.toFixed(2)).join(' ')})`,
        `${(poolRate / single).toFixed(2)}x`,
        `${poolImbalance.toFixed(2)} / ${oracleImbalance.toFixed(2)}`,
        `${poolCpu.toFixed(2)} / ${oracleCpu.toFixed(2)}`,
        spread,
        placed,
        `${loadBefore} -> ${load()}`,
      ]);
      opts.record(`pool.mixed.${n}`, {
        poolRate,
        oracleRate,
        ratio,
        ratios,
        scaling: poolRate / single,
        poolImbalance,
        oracleImbalance,
        nodeCpuMsPerRequest: { pool: poolCpu, oracle: oracleCpu },
        modelsPerConnection: placed,
        perModel: stats.perModel,
        loadAverage: loadavg(),
      });
    } finally {
      await pool.close();
    }
  }
  console.log(`\n## Mixed workload: ${MODELS.map((m) => m[1]).join(' + ')} concurrently, ${perModel} requests each (wasm), ${pairs} pool/oracle pairs  target: pool/oracle >= 0.9\n`);
  console.log(formatTable(['connections', 'pool req/s', 'oracle req/s', 'pool / oracle (median; pairs)', 'vs 1 connection', 'busiest page / mean, pool / oracle', 'Node CPU ms per request, pool / oracle', 'requests per connection', 'pool models per connection', 'load average'], rows));
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
