/**
 * Owns the page server and the bridge, and launches connections with a driver per browser kind. The pool builds on
 * this; tests and benchmarks may use it directly.
 */
import { BrowserUnavailableError, DEFAULT_MAX_TENSOR_BYTES, InvalidOptionsError } from '../protocol';
import { newConnectionId, newSecret } from './admission';
import { Bridge, type BridgeCounters, type BridgeOptions } from './bridge';
import { Connection } from './connection';
import { crossCheckClaims } from './cross-check';
import { ChromiumDriver, EdgeDriver } from './drivers/chromium';
import { FirefoxDriver } from './drivers/firefox';
import type { BrowserDriver, BrowserKind } from './drivers/types';
import { PageServer, type PageServerOptions } from './page-server';

export interface HarnessOptions extends PageServerOptions, BridgeOptions {
  /** Launch-to-ready deadline of one connection. @default 30_000 */
  connectTimeoutMs?: number;
  /** Drivers per browser kind, merged over the defaults (Chromium, Firefox, Edge). */
  drivers?: Partial<Record<BrowserKind, BrowserDriver>>;
  /** WASM threads per page (query parameter `threads`). @default ORT's default: min(4, ceil(cores / 2)) */
  wasmThreads?: number;
  /**
   * Largest tensor payload one call or reply may carry (all its tensors together); a larger one fails with
   * `E_TENSOR_TOO_LARGE` before anything is sent. The browser must be able to hold it (a 1 GiB tensor needs a few
   * GiB of page memory). @default 1 GiB
   */
  maxTensorBytes?: number;
  /**
   * How pages reach the bridge: 'relay' (a SharedWorker holds the socket, out of sight of the automation library's
   * frame copies) or 'direct' (the page's own socket; every frame is then copied into this process by Playwright's
   * instrumentation). Pages without SharedWorker use 'direct' anyway. @default 'relay'
   */
  pageTransport?: 'relay' | 'direct';
  /**
   * Dedicated Web Workers per page holding its ORT sessions. 0: sessions on the page's main thread, one call at a
   * time, loads and first runs exempt from the heartbeat. N >= 1: the main thread keeps the socket, heartbeats and
   * routing; sessions go to the least-loaded worker, different workers run at once, every call carries its deadline
   * and a worker that misses it (or crashes) is respawned with its sessions, its calls failing with `E_WORKER_LOST`.
   * Tensor handles stay in the worker that kept them (one fed to another worker's session is copied in the page, a
   * GPU-buffer one only with `copyHandles`; lost with a replaced worker). 'auto': the page decides from
   * the cores it reports: none below 4, one from 4, two from 8 (page/worker/auto-count.ts says why). @default 'auto'
   */
  pageWorkers?: number | 'auto';
  /**
   * Pages with 2 or more workers: model bytes (serialized size, in MB) that replicas may hold in all on one page. When a
   * session's calls queue up on its worker (2 or more waiting) while another worker is idle, the page copies the session
   * there and spreads its calls over both; replicas unused for 30 s are dropped, and ones idle for 2 s give way to a
   * new replica that would not fit. 0 turns replicas off. @default 256
   */
  pageReplicaBudgetMB?: number;
}

/** harness.pageReplicaBudgetMB when not given. */
const DEFAULT_REPLICA_BUDGET_MB = 256;

/** The local drivers: Chromium and Edge through Playwright, Firefox ESR through puppeteer-core over WebDriver BiDi. */
export function defaultDrivers(): Record<BrowserKind, BrowserDriver> {
  return { chromium: new ChromiumDriver(), edge: new EdgeDriver(), firefox: new FirefoxDriver() };
}

export class BrowserHarness {
  private readonly connections = new Set<Connection>();
  private readonly drivers: Partial<Record<BrowserKind, BrowserDriver>>;

  private constructor(
    readonly pageServer: PageServer,
    private readonly bridge: Bridge,
    private readonly options: HarnessOptions,
  ) {
    this.drivers = { ...defaultDrivers(), ...options.drivers };
  }

  static async start(options: HarnessOptions = {}): Promise<BrowserHarness> {
    const workers = options.pageWorkers;
    if (workers !== undefined && workers !== 'auto' && (!Number.isInteger(workers) || workers < 0 || workers > 64)) {
      throw new InvalidOptionsError(`harness.pageWorkers must be 'auto' or an integer from 0 to 64, got ${String(workers)} (${typeof workers})`);
    }
    const budget = options.pageReplicaBudgetMB;
    if (budget !== undefined && (typeof budget !== 'number' || !Number.isFinite(budget) || budget < 0 || budget > 1_048_576)) {
      throw new InvalidOptionsError(`harness.pageReplicaBudgetMB must be a number of MB from 0 to 1048576, got ${String(budget)} (${typeof budget})`);
    }
    const secret = newSecret();
    const maxTensorBytes = options.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES;
    const pageServer = new PageServer(secret, options);
    const bridge = new Bridge(pageServer.server, { secret, origins: () => [pageServer.origin], maxTensorBytes }, options);
    await pageServer.listen();
    return new BrowserHarness(pageServer, bridge, options);
  }

  /**
   * The bridge's WebSocket URL. It carries the harness secret: only the harness's own pages (and tests that play
   * one) should see it.
   */
  get bridgeUrl(): string {
    return this.bridge.url(this.pageServer.origin);
  }

  /** `ws://host:port` (or `wss://`) of the bridge, without the secret path: safe to log and record. */
  get bridgeAddress(): string {
    return this.pageServer.origin.replace(/^http/, 'ws');
  }

  /** What the bridge refused so far (unknown paths, bad secrets, foreign origins, protocol errors). */
  get bridgeCounters(): Readonly<BridgeCounters> {
    return this.bridge.counters;
  }

  /**
   * Launches a browser of `kind`, opens the worker page and resolves once it is connected and probed. `via` picks a
   * driver other than the one configured for `kind` (one of several remote hosts of that kind).
   */
  async launch(kind: BrowserKind, via?: BrowserDriver): Promise<Connection> {
    const driver = via ?? this.drivers[kind];
    if (driver === undefined) {
      throw new BrowserUnavailableError(`no driver configured for browser "${kind}"`, { details: { browser: kind } });
    }
    const connectionId = newConnectionId(kind);
    const timeoutMs = this.options.connectTimeoutMs ?? 30_000;
    const params = new URLSearchParams({ conn: connectionId, maxTensorBytes: String(this.options.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES) });
    if (this.options.wasmThreads !== undefined) {
      params.set('threads', String(this.options.wasmThreads));
    }
    const workers = this.options.pageWorkers ?? 'auto';
    if (workers === 'auto' || workers > 0) {
      params.set('workers', String(workers));
      params.set('replicaMB', String(this.options.pageReplicaBudgetMB ?? DEFAULT_REPLICA_BUDGET_MB));
    }
    if (this.options.pageTransport === 'direct') {
      params.set('transport', 'direct');
    }
    const launched = await driver.launch({
      connectionId,
      pageUrl: this.pageServer.pageUrl(params),
      waitForChannel: () => this.bridge.waitForConnection(connectionId, timeoutMs),
      timeoutMs,
    });
    try {
      const { reply } = await launched.channel.call({ type: 'probe' }, [], { timeoutMs });
      crossCheckClaims(kind, launched.browserVersion, reply.capabilities);
      const connection = new Connection(launched, { id: connectionId, browser: kind }, reply.capabilities);
      this.connections.add(connection);
      connection.onClose(() => this.connections.delete(connection));
      return connection;
    } catch (error) {
      await launched.close();
      throw error;
    }
  }

  /** Makes a file fetchable by pages; returns its URL. */
  serveFile(filePath: string): string {
    return this.pageServer.serveFile(filePath);
  }

  async close(): Promise<void> {
    await Promise.all([...this.connections].map((c) => c.close()));
    await this.bridge.close();
    await this.pageServer.close();
  }
}
