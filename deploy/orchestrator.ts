/**
 * The orchestrator of deploy/ (compose and Kubernetes): a pool whose browsers are the browser servers behind one DNS
 * name (the pool's DNS discovery: every A/AAAA record is a host, re-resolved, hosts that disappear drained), which
 * measures each model in MODELS every round and sends one performance result per model to the collector through an
 * IngestClient (batches with idempotency keys, spooled in INGEST_SPOOL_DIR while the collector is unreachable).
 * Stop it with SIGTERM: it finishes the round, sends what is spooled (up to 10 s) and exits; the rest stays spooled.
 *
 * Environment (names checked by test/deploy.test.ts against the manifests):
 *   BROWSER_SERVERS_DNS    name whose addresses are the browser servers (compose service / headless Service)
 *   BROWSER_SERVER_PORT    their port (`playwright run-server --port`), default 3000
 *   BROWSER_SERVER_PATH    their fixed path (`--path`), default /pw
 *   COLLECTOR_URL          the collector (`browser-pool serve`), e.g. http://collector:8765
 *   BROWSER_POOL_TOKEN     the collector's write token
 *   INGEST_SPOOL_DIR       spool folder; this orchestrator spools in <dir>/<ORCHESTRATOR_NAME>, default ./spool
 *   ORCHESTRATOR_NAME      kept with each result (hardware host) and batch, default the host name
 *   MODELS                 comma-separated catalogue names, default bert-tiny
 *   RUNS                   measured runs per model per round, default 20
 *   ROUND_INTERVAL_MS      pause between rounds, default 60000
 */
import { hostname } from 'node:os';
import { join } from 'node:path';

import { createPool } from '@browser-pool/cli';
import { IngestClient, median, quantile } from '@browser-pool/db-integration';
import { dnsHosts } from '@browser-pool/pool';

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') {
    console.error(`E_CONFIG: set ${name} (see deploy/orchestrator.ts)`);
    process.exit(2);
  }
  return v;
}

function positive(name: string, fallback: string): number {
  const n = Number(env(name, fallback));
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`E_CONFIG: ${name} must be a positive integer, got ${process.env[name]}`);
    process.exit(2);
  }
  return n;
}

const name = env('ORCHESTRATOR_NAME', hostname());
const models = env('MODELS', 'bert-tiny').split(',').map((m) => m.trim()).filter((m) => m !== '');
const runs = positive('RUNS', '20');
const interval = positive('ROUND_INTERVAL_MS', '60000');
const pool = await createPool({
  dbPath: false,
  discovery: dnsHosts(env('BROWSER_SERVERS_DNS'), { port: positive('BROWSER_SERVER_PORT', '3000'), path: env('BROWSER_SERVER_PATH', '/pw') }),
});
const client = await IngestClient.open({ url: env('COLLECTOR_URL'), token: env('BROWSER_POOL_TOKEN'), spoolDir: join(env('INGEST_SPOOL_DIR', './spool'), name), source: name });
let stopping = false;
process.once('SIGTERM', () => (stopping = true));
process.once('SIGINT', () => (stopping = true));

await pool.initialize();
while (!stopping) {
  for (const model of models) {
    const entry = pool.options.catalogue.get(model);
    const handle = await pool.getModel(entry.modelType, model);
    const inputs = entry.sampleInputs();
    await handle.run(inputs); // first run (compile, warm-up) is not measured
    const e2e: number[] = [];
    for (let i = 0; i < runs; i++) {
      e2e.push((await handle.run(inputs)).timings.endToEndMs);
    }
    const p = handle.placement;
    client.add('performance', {
      model_name: model,
      model_type: entry.modelType,
      browser: p.browser,
      browser_version: p.browserVersion,
      backend: p.backend,
      is_simulated: !p.isRealHardware,
      ...(p.softwareReason === undefined ? {} : { simulation_reason: p.softwareReason }),
      host: name,
      batch_size: 1,
      iterations: runs,
      warmup_iterations: 1,
      p50_latency_ms: median(e2e),
      p90_latency_ms: quantile(e2e, 0.9),
      mean_latency_ms: e2e.reduce((a, b) => a + b, 0) / e2e.length,
      created_at: new Date().toISOString(),
      metrics: { connection: p.connectionId, timing: 'end_to_end' },
    });
    await handle.release();
  }
  console.log(`${name}: round done (${models.length} model(s)); sent ${client.stats.batchesSent} batch(es), ${client.stats.retries} retries${client.lastFailure === undefined ? '' : `, last failure: ${client.lastFailure}`}`);
  for (let waited = 0; waited < interval && !stopping; waited += 500) {
    await new Promise((r) => setTimeout(r, 500));
  }
}
const { pending } = await client.close();
await pool.close();
console.log(`${name}: stopped; ${pending} batch(es) left in the spool for the next start`);
