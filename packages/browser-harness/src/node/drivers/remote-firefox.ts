/**
 * A Firefox on another host, driven over its WebDriver BiDi endpoint (`firefox --remote-debugging-port 9222
 * --remote-allow-hosts ...`, endpoint `ws://host:9222/session`) with puppeteer-core, as the local Firefox driver is.
 * The page reaches this orchestrator over the network: bind `harness.host` where the remote host can reach it and set
 * `harness.publicUrl` (with `harness.tls` for a secure context). BiDi has no request routing puppeteer can use to
 * tunnel the page, so there is no 'tunnel' page access here.
 */
import puppeteer from 'puppeteer-core';

import { BrowserUnavailableError } from '../../protocol';
import type { BrowserDriver, LaunchedPage, LaunchRequest } from './types';
import { openWorkerPage, pageOps } from './worker-page';

export interface RemoteFirefoxDriverOptions {
  /** The BiDi WebSocket endpoint, e.g. `ws://10.0.0.7:9222/session`. */
  wsEndpoint: string;
  /** @default false */
  ignoreHTTPSErrors?: boolean;
}

export class RemoteFirefoxDriver implements BrowserDriver {
  readonly kind = 'firefox' as const;

  constructor(private readonly options: RemoteFirefoxDriverOptions) {}

  get wsEndpoint(): string {
    return this.options.wsEndpoint;
  }

  async launch(request: LaunchRequest): Promise<LaunchedPage> {
    let browser;
    try {
      browser = await puppeteer.connect({
        browserWSEndpoint: this.options.wsEndpoint,
        protocol: 'webDriverBiDi',
        acceptInsecureCerts: this.options.ignoreHTTPSErrors === true,
        protocolTimeout: request.timeoutMs,
      });
    } catch (error) {
      throw new BrowserUnavailableError(`remote Firefox at ${this.options.wsEndpoint} is unreachable: ${(error as Error).message}`, {
        cause: error,
        details: { browser: 'firefox', wsEndpoint: this.options.wsEndpoint },
      });
    }
    const b = browser;
    let page: Awaited<ReturnType<typeof b.newPage>> | undefined;
    // The browser is shared with whoever else connects: close only our page, then disconnect.
    const shutdown = async (): Promise<void> => {
      await page?.close().catch(() => undefined);
      await b.disconnect().catch(() => undefined);
    };
    try {
      page = await b.newPage();
    } catch (error) {
      await shutdown();
      throw error;
    }
    const p = page;
    return openWorkerPage(
      pageOps(p, (gone) => {
        b.on('disconnected', () => gone('browser disconnected'));
        p.on('close', () => gone('page closed'));
      }),
      request,
      { browserVersion: (await b.version()).replace(/^firefox\//i, ''), pid: undefined, shutdown },
    );
  }
}
