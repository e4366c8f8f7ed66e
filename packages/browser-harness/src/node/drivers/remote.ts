/**
 * A Chromium on another host (or another process): a Playwright browser server (`chromium.launchServer()` or
 * `npx playwright run-server`) reached by its WebSocket endpoint. The worker page it opens reaches this orchestrator
 * either through the browser connection itself (`pageAccess: 'tunnel'`, the default: nothing of this host needs to
 * be reachable, see tunnel.ts) or over the network (`'direct'`: bind `harness.host` to an address the remote browser
 * can reach and set `harness.publicUrl`, with `harness.tls` for a secure context).
 */
import { chromium } from 'playwright-core';

import { BrowserUnavailableError } from '../../protocol';
import { openPlaywrightPage } from './playwright-page';
import { tunnelOrigin } from './tunnel';
import type { BrowserDriver, BrowserKind, LaunchedPage, LaunchRequest } from './types';

/** How a remote page reaches the page server and the bridge. */
export type PageAccess = 'tunnel' | 'direct';

export interface RemoteDriverOptions {
  /** `ws://host:port/...` printed by `playwright launch-server` or `chromium.launchServer().wsEndpoint()`. */
  wsEndpoint: string;
  /** Which browser kind this endpoint counts as for routing. @default 'chromium' */
  kind?: BrowserKind;
  /** @default 'tunnel' */
  pageAccess?: PageAccess;
  /** Accept the page server's certificate even if the remote browser does not trust it (a self-signed one). @default false */
  ignoreHTTPSErrors?: boolean;
}

export class RemoteDriver implements BrowserDriver {
  readonly kind: BrowserKind;
  readonly pageAccess: PageAccess;

  constructor(private readonly options: RemoteDriverOptions) {
    this.kind = options.kind ?? 'chromium';
    this.pageAccess = options.pageAccess ?? 'tunnel';
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
    if (this.pageAccess === 'direct') {
      return openPlaywrightPage(b, request, owned, { contextOptions: { ignoreHTTPSErrors: this.options.ignoreHTTPSErrors === true } });
    }
    // Playwright routes a page's own WebSockets, not those of its SharedWorkers: the page holds its socket itself.
    const url = new URL(request.pageUrl);
    url.searchParams.set('transport', 'direct');
    return openPlaywrightPage(b, { ...request, pageUrl: url.href }, owned, { prepare: (context) => tunnelOrigin(context, url.origin) });
  }
}
