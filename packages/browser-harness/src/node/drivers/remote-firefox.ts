/**
 * A Firefox on another host, driven over its WebDriver BiDi endpoint (`firefox --remote-debugging-port 9222
 * --remote-allow-hosts ...`, endpoint `ws://host:9222/session`) with puppeteer-core, as the local Firefox driver is.
 * The page reaches this orchestrator over the network: bind `harness.host` where the remote host can reach it and set
 * `harness.publicUrl` (with `harness.tls` for a secure context). BiDi has no request routing puppeteer can use to
 * tunnel the page, so there is no 'tunnel' page access here.
 *
 * Firefox's remote agent listens on 127.0.0.1 only and answers a WebSocket upgrade whose Host header is not
 * `localhost:<its own port>` with 400 (its guard against DNS rebinding; `--remote-allow-hosts` did not change that for
 * Firefox ESR 153 here). A remote host therefore exposes it through a TCP forwarder (e.g. `socat
 * TCP-LISTEN:9222,bind=10.0.0.8,fork TCP:127.0.0.1:9222`), and this driver sends `Host: localhost:<port>`: measured, the
 * same endpoint through a forwarder gets 400 without it and a session with it.
 */
import puppeteer from 'puppeteer-core';

import { BrowserUnavailableError } from '../../protocol';
import { openFirefoxPage } from './firefox';
import type { BrowserDriver, LaunchedPage, LaunchRequest } from './types';

export interface RemoteFirefoxDriverOptions {
  /** The BiDi WebSocket endpoint, e.g. `ws://10.0.0.7:9222/session`. */
  wsEndpoint: string;
  /** @default false */
  ignoreHTTPSErrors?: boolean;
  /**
   * Host header of the WebSocket upgrade: `localhost:` and the port Firefox itself listens on (its
   * `--remote-debugging-port`). @default `localhost:<the endpoint's port>` (a forwarder on the same port number)
   */
  hostHeader?: string;
}

/** The Host header Firefox's remote agent accepts: localhost with the port of the endpoint, unless given. */
export function firefoxHostHeader(wsEndpoint: string, hostHeader?: string): string {
  if (hostHeader !== undefined) {
    return hostHeader;
  }
  const url = new URL(wsEndpoint);
  const port = url.port === '' ? (url.protocol === 'wss:' ? '443' : '80') : url.port;
  return `localhost:${port}`;
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
        headers: { Host: firefoxHostHeader(this.options.wsEndpoint, this.options.hostHeader) },
      });
    } catch (error) {
      throw new BrowserUnavailableError(`remote Firefox at ${this.options.wsEndpoint} is unreachable: ${(error as Error).message}`, {
        cause: error,
        details: { browser: 'firefox', wsEndpoint: this.options.wsEndpoint },
      });
    }
    const b = browser;
    // The browser is shared with whoever else connects: close only our page, then disconnect.
    return openFirefoxPage(b, request, undefined, async (page) => {
      await page?.close().catch(() => undefined);
      await b.disconnect().catch(() => undefined);
    });
  }
}
