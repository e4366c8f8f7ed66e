/**
 * Owns the page server and the bridge, and launches connections with a driver per browser kind. The pool builds on
 * this; tests and benchmarks may use it directly.
 */
import { randomUUID } from 'node:crypto';

import { BrowserUnavailableError } from '../protocol';
import { Bridge, type BridgeOptions } from './bridge';
import { Connection } from './connection';
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
}

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
    const pageServer = new PageServer(options);
    const bridge = new Bridge(pageServer.server, options);
    await pageServer.listen();
    return new BrowserHarness(pageServer, bridge, options);
  }

  /** The bridge's WebSocket URL (tests use it to send raw frames). */
  get bridgeUrl(): string {
    return Bridge.url(this.pageServer.origin);
  }

  /** Launches a browser of `kind`, opens the worker page and resolves once it is connected and probed. */
  async launch(kind: BrowserKind): Promise<Connection> {
    const driver = this.drivers[kind];
    if (driver === undefined) {
      throw new BrowserUnavailableError(`no driver configured for browser "${kind}"`, { details: { browser: kind } });
    }
    const connectionId = `${kind}-${randomUUID().slice(0, 8)}`;
    const timeoutMs = this.options.connectTimeoutMs ?? 30_000;
    const params = new URLSearchParams({ bridge: this.bridgeUrl, conn: connectionId });
    if (this.options.wasmThreads !== undefined) {
      params.set('threads', String(this.options.wasmThreads));
    }
    const launched = await driver.launch({
      connectionId,
      pageUrl: `${this.pageServer.origin}/pages/worker.html?${params.toString()}`,
      waitForChannel: () => this.bridge.waitForConnection(connectionId, timeoutMs),
      timeoutMs,
    });
    try {
      const { reply } = await launched.channel.call({ type: 'probe' }, [], { timeoutMs });
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
