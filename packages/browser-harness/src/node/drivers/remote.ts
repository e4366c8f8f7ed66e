/**
 * A Chromium on another host (or another process): a Playwright browser server (`chromium.launchServer()` or
 * `npx playwright run-server`) reached by its WebSocket endpoint. The worker page it opens reaches this orchestrator
 * either over the network (`'direct'`: bind `harness.host` where the remote browser can reach it, set
 * `harness.advertisedHost`, and `harness.tls` for a secure context) or through the browser connection itself
 * (`'tunnel'`: nothing of this host needs to be reachable, see tunnel.ts). The default, 'auto', tunnels when the
 * page server is only on loopback (the remote browser could not reach it) and goes direct otherwise: measured on
 * one veth link, the tunnel costs 10-21 ms per bridge round trip against 1-6 ms direct (README "Scale-out").
 */
import { chromium } from 'playwright-core';

import { BrowserUnavailableError } from '../../protocol';
import { openPlaywrightPage } from './playwright-page';
import { tunnelOrigin } from './tunnel';
import type { BrowserDriver, BrowserKind, LaunchedPage, LaunchRequest } from './types';

/** How a remote page reaches the page server and the bridge. */
export type PageAccess = 'auto' | 'tunnel' | 'direct';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface RemoteDriverOptions {
  /** `ws://host:port/...` printed by `playwright launch-server` or `chromium.launchServer().wsEndpoint()`. */
  wsEndpoint: string;
  /** Which browser kind this endpoint counts as for routing. @default 'chromium' */
  kind?: BrowserKind;
  /** @default 'auto': 'tunnel' when the page server's origin is loopback, else 'direct' */
  pageAccess?: PageAccess;
  /** Accept the page server's certificate even if the remote browser does not trust it (a self-signed one). @default false */
  ignoreHTTPSErrors?: boolean;
}

export class RemoteDriver implements BrowserDriver {
  readonly kind: BrowserKind;
  readonly pageAccess: PageAccess;

  constructor(private readonly options: RemoteDriverOptions) {
    this.kind = options.kind ?? 'chromium';
    this.pageAccess = options.pageAccess ?? 'auto';
  }

  get wsEndpoint(): string {
    return this.options.wsEndpoint;
  }

  async launch(request: LaunchRequest): Promise<LaunchedPage> {
    let browser;
    try {
      browser = await chromium.connect(this.options.wsEndpoint, { timeout: request.timeoutMs });
    } catch (error) {
      throw new BrowserUnavailableError(`remote browser at ${this.options.wsEndpoint} is unreachable: ${(error as Error).message}`, {
        cause: error,
        details: { browser: this.kind, wsEndpoint: this.options.wsEndpoint },
      });
    }
    const b = browser;
    const owned = { pid: undefined, shutdown: () => b.close().catch(() => undefined) };
    const url = new URL(request.pageUrl);
    const tunnel = this.pageAccess === 'tunnel' || (this.pageAccess === 'auto' && LOOPBACK_HOSTS.has(url.hostname));
    if (!tunnel) {
      const ignoreHTTPSErrors = this.options.ignoreHTTPSErrors === true;
      if (ignoreHTTPSErrors) {
        // A page whose certificate was overridden gets no working SharedWorker socket (measured: the relay never
        // connected): the page holds its socket itself.
        url.searchParams.set('transport', 'direct');
      }
      return openPlaywrightPage(b, { ...request, pageUrl: url.href }, owned, { contextOptions: { ignoreHTTPSErrors } });
    }
    // Playwright routes a page's own WebSockets, not those of its SharedWorkers: the page holds its socket itself.
    url.searchParams.set('transport', 'direct');
    return openPlaywrightPage(b, { ...request, pageUrl: url.href }, owned, { prepare: (context) => tunnelOrigin(context, url.origin) });
  }
}
