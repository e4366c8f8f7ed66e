/**
 * Scale-out (`--suite scale-out`): pools over 1, 2 and 3 browser hosts simulated by network namespaces (see
 * test/netns.ts; needs root) against one local Chromium, and the page's way back measured per option: bridge round
 * trip (ping) and one vit-tiny run through loopback, a veth link direct over http and https, and the tunnel through
 * the Playwright connection, with what each page keeps (cross-origin isolation, WASM threads, WebGPU).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { type BrowserDriver, BrowserHarness, ChromiumDriver, type HarnessOptions, RemoteDriver } from '@browser-pool/browser-harness';
import { ModelCatalogue } from '@browser-pool/models';
import { ResourcePool } from '@browser-pool/pool';

import { createHost, netnsUnavailable, runTag, type SimulatedHost, subnetBase } from '../test/netns';
import { percentile } from './stats';
import { formatTable } from './table';

export interface ScaleOutBenchOptions {
  quick: boolean;
  record: (name: string, value: unknown) => void;
}

const catalogue = ModelCatalogue.default();
const entry = catalogue.get('vit-tiny');

export async function scaleOutBench(opts: ScaleOutBenchOptions): Promise<void> {
  const why = await netnsUnavailable();
  if (why !== undefined) {
    console.log(`\nscale-out: skipped (${why})`);
    opts.record('scaleOut', { skipped: why });
    return;
  }
  const tag = runTag();
  const base = subnetBase();
  const hosts: SimulatedHost[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      hosts.push(await createHost(tag, i, base + i));
    }
    await Promise.all(hosts.map((h) => h.startServer()));
    await throughputByHosts(hosts, opts);
    await wayBack(hosts[0]!, opts);
  } finally {
    await Promise.all(hosts.map((h) => h.remove()));
  }
}

async function throughputByHosts(hosts: SimulatedHost[], opts: ScaleOutBenchOptions): Promise<void> {
  const requests = opts.quick ? 60 : 240;
  const inputs = entry.sampleInputs({ seed: 1 });
  const rows: string[][] = [];
  const figures: Record<string, number> = {};
  const configs: [string, ConstructorParameters<typeof ResourcePool>[0]][] = [
    ['1 local Chromium (loopback)', { browsers: ['chromium'] }],
    ...[1, 2, 3].map((n): [string, ConstructorParameters<typeof ResourcePool>[0]] => [
      `${n} namespace host${n > 1 ? 's' : ''} (veth, direct)`,
      // Every namespace reaches host 0's end of its link through its default route.
      { hosts: hosts.slice(0, n).map((h) => ({ wsEndpoint: h.wsEndpoint })), harness: { host: '0.0.0.0', advertisedHost: hosts[0]!.hostIp } },
    ]),
  ];
  for (const [name, options] of configs) {
    const pool = new ResourcePool({ catalogue, backends: ['wasm'], health: { knownAnswerIntervalMs: 0 }, scaling: { maxConnections: 3, scaleUpQueueDepth: 1_000_000 }, ...options });
    try {
      await pool.initialize();
      const model = await pool.getModel('vision', 'vit-tiny');
      // Warm every connection (the model loads on each on first use).
      await Promise.all(Array.from({ length: pool.connections.length * 8 }, () => model.run(inputs)));
      const start = performance.now();
      const done = await Promise.all(Array.from({ length: requests }, () => model.run(inputs)));
      const rps = requests / ((performance.now() - start) / 1000);
      figures[name] = rps;
      rows.push([name, String(pool.connections.length), String(new Set(done.map((r) => r.connectionId)).size), rps.toFixed(1)]);
    } finally {
      await pool.close();
    }
  }
  const one = figures['1 namespace host (veth, direct)'] ?? NaN;
  for (const row of rows) {
    const n = Number(row[1]);
    row.push(row[0]!.includes('namespace') ? `${((Number(row[3]) / n / one) * 100).toFixed(0)}%` : '-');
  }
  console.log(`\nscale-out: vit-tiny (wasm), ${requests} concurrent requests after warm-up`);
  console.log(formatTable(['pool', 'connections', 'served by', 'req/s', 'efficiency vs 1 host'], rows));
  opts.record('scaleOutThroughput', figures);
}

async function wayBack(host: SimulatedHost, opts: ScaleOutBenchOptions): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bp-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', `/CN=${host.hostIp}`, '-addext', `subjectAltName=IP:${host.hostIp}`], { stdio: 'ignore' });
    const tls = { cert: readFileSync(path.join(dir, 'cert.pem')), key: readFileSync(path.join(dir, 'key.pem')) };
    const cases: [string, HarnessOptions, BrowserDriver][] = [
      ['loopback, local Chromium', {}, new ChromiumDriver()],
      ['veth, (a) direct http', { host: host.hostIp }, new RemoteDriver({ wsEndpoint: host.wsEndpoint, pageAccess: 'direct' })],
      ['veth, (a) direct https (self-signed)', { host: host.hostIp, tls }, new RemoteDriver({ wsEndpoint: host.wsEndpoint, pageAccess: 'direct', ignoreHTTPSErrors: true })],
      ['veth, (b) tunnel', {}, new RemoteDriver({ wsEndpoint: host.wsEndpoint, pageAccess: 'tunnel' })],
    ];
    const source = await entry.source();
    if (source.kind !== 'file') {
      throw new Error('vit-tiny is expected as a file');
    }
    const inputs = entry.sampleInputs({ seed: 1 });
    const pings = opts.quick ? 100 : 400;
    const runs = opts.quick ? 20 : 60;
    const rows: string[][] = [];
    const figures: Record<string, unknown> = {};
    for (const [name, options, driver] of cases) {
      const harness = await BrowserHarness.start({ connectTimeoutMs: 60_000, ...options });
      try {
        let t = performance.now();
        const c = await harness.launch('chromium', driver);
        const launchMs = performance.now() - t;
        const ping: number[] = [];
        for (let i = 0; i < pings; i++) {
          ping.push(await c.ping());
        }
        t = performance.now();
        const info = await c.load('vit-tiny', { kind: 'url', url: harness.serveFile(source.path) }, 'wasm', {}, { timeoutMs: 120_000 });
        const loadMs = performance.now() - t;
        const run: number[] = [];
        for (let i = 0; i < runs; i++) {
          const s = performance.now();
          await c.run(info.sessionId, inputs);
          run.push(performance.now() - s);
        }
        const caps = c.capabilities;
        const row = {
          launchMs,
          loadMs,
          pingP50: percentile(ping, 50),
          pingP90: percentile(ping, 90),
          runP50: percentile(run, 50),
          crossOriginIsolated: caps.crossOriginIsolated,
          threads: caps.wasm.threads,
          webgpu: caps.webgpu.available,
        };
        figures[name] = row;
        rows.push([name, row.pingP50.toFixed(2), row.pingP90.toFixed(2), row.runP50.toFixed(1), (loadMs / 1000).toFixed(1), yes(row.crossOriginIsolated), yes(row.threads), yes(row.webgpu)]);
        await c.close();
      } catch (error) {
        rows.push([name, `failed: ${(error as Error).message.slice(0, 80)}`, '', '', '', '', '', '']);
      } finally {
        await harness.close();
      }
    }
    console.log(`\nscale-out: the page's way back (${pings} pings, ${runs} vit-tiny runs, one page)`);
    console.log(formatTable(['path', 'ping p50 ms', 'ping p90 ms', 'run p50 ms', 'load s', 'isolated', 'threads', 'webgpu'], rows));
    opts.record('scaleOutWayBack', figures);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const yes = (b: boolean): string => (b ? 'yes' : 'no');
