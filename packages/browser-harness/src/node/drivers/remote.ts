/**
 * A browser on another host (or another process): a Playwright browser server reached by its WebSocket endpoint.
 * The worker page it opens must reach this orchestrator's page server, so bind the harness `host` to an address the
 * remote browser can reach when it really is remote.
 */
import { chromium } from 'playwright-core';

import { BrowserUnavailableError } from '../../protocol';
import { openPlaywrightPage } from './playwright-page';
import type { BrowserDriver, BrowserKind, LaunchedPage, LaunchRequest } from './types';

export interface RemoteDriverOptions {
  /** `ws://host:port/...` printed by `playwright launch-server` or `chromium.launchServer().wsEndpoint()`. */
  wsEndpoint: string;
  /** Which browser kind this endpoint counts as for routing. @default 'chromium' */
  kind?: BrowserKind;
}

export class RemoteDriver implements BrowserDriver {
  readonly kind: BrowserKind;

  constructor(private readonly options: RemoteDriverOptions) {
    this.kind = options.kind ?? 'chromium';
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
    return openPlaywrightPage(browser, request, {
      pid: undefined,
      shutdown: async () => {
        await browser.close().catch(() => undefined);
      },
    });
  }
}
