/**
 * Capacity sources. A host is one place connections come from: the local browser of a kind (the `browsers` option),
 * or a remote browser server (the `hosts` option, `pool.addHost()`, or discovery). Each has its own connections,
 * its own breakers (one per connection) and its own reconnect backoff.
 */
import {
  BROWSER_KINDS,
  type BrowserDriver,
  type BrowserKind,
  InvalidOptionsError,
  type PageAccess,
  RemoteDriver,
  RemoteFirefoxDriver,
} from '@browser-pool/browser-harness';

/** A remote browser endpoint, or any driver; what `hosts`, `addHost()` and discovery take. */
export type HostSpec =
  | {
      /**
       * Chromium: a Playwright browser server's endpoint (`ws://10.0.0.7:3000/<path>`); Firefox: its WebDriver BiDi
       * endpoint (`ws://10.0.0.8:9222/session`).
       */
      wsEndpoint: string;
      /** @default 'chromium' */
      browser?: 'chromium' | 'firefox';
      /** Stable name used by `drainHost()` and events. @default the endpoint */
      id?: string;
      /** Chromium only: how the remote page reaches this host (see README "Scale-out"). @default 'auto' */
      pageAccess?: PageAccess;
      /** Accept a self-signed page-server certificate (`harness.tls`). @default false */
      ignoreHTTPSErrors?: boolean;
      /** Firefox only: the WebSocket upgrade's Host header (see RemoteFirefoxDriver). @default `localhost:<endpoint port>` */
      hostHeader?: string;
    }
  | { driver: BrowserDriver; id: string };

/** A host the fleet knows, resolved from a spec. `driver` undefined: the harness's driver for `browser` (local). */
export interface HostSource {
  id: string;
  browser: BrowserKind;
  driver: BrowserDriver | undefined;
  /** Whether losing it should be retried with backoff even when it never came up (remote hosts: yes). */
  remote: boolean;
  /** Connections it can hold at once: 1 for remote Firefox (WebDriver BiDi allows one session per browser). */
  maxConnections: number;
}

export function localHost(browser: BrowserKind): HostSource {
  return { id: `local-${browser}`, browser, driver: undefined, remote: false, maxConnections: Infinity };
}

/** Validates a host spec (from user code, a file or DNS) into a source; throws E_INVALID_OPTIONS naming the field. */
export function resolveHost(spec: unknown, field: string): HostSource {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new InvalidOptionsError(`${field} must be { wsEndpoint, browser?, id?, pageAccess? } or { driver, id }, got ${JSON.stringify(spec)}`);
  }
  const s = spec as Record<string, unknown>;
  if ('driver' in s) {
    assertDriver(`${field}.driver`, s.driver);
    if (typeof s.id !== 'string' || s.id === '') {
      throw new InvalidOptionsError(`${field}.id must be a non-empty string when a driver is given, got ${JSON.stringify(s.id)}`);
    }
    return { id: s.id, browser: s.driver.kind, driver: s.driver, remote: true, maxConnections: Infinity };
  }
  const endpoint = s.wsEndpoint;
  if (typeof endpoint !== 'string' || !/^wss?:\/\/[^/]+/.test(endpoint) || !URL.canParse(endpoint)) {
    throw new InvalidOptionsError(`${field}.wsEndpoint must be a ws:// or wss:// URL, got ${JSON.stringify(endpoint)}`);
  }
  const browser = s.browser ?? 'chromium';
  if (browser !== 'chromium' && browser !== 'firefox') {
    throw new InvalidOptionsError(`${field}.browser must be "chromium" or "firefox", got ${JSON.stringify(browser)}`);
  }
  if (s.id !== undefined && (typeof s.id !== 'string' || s.id === '')) {
    throw new InvalidOptionsError(`${field}.id must be a non-empty string, got ${JSON.stringify(s.id)}`);
  }
  if (s.pageAccess !== undefined && s.pageAccess !== 'auto' && s.pageAccess !== 'tunnel' && s.pageAccess !== 'direct') {
    throw new InvalidOptionsError(`${field}.pageAccess must be "auto", "tunnel" or "direct", got ${JSON.stringify(s.pageAccess)}`);
  }
  if (browser === 'firefox' && s.pageAccess === 'tunnel') {
    throw new InvalidOptionsError(`${field}.pageAccess "tunnel" needs Playwright request routing, which remote Firefox (BiDi) lacks; use "direct" with harness.advertisedHost`);
  }
  const ignoreHTTPSErrors = s.ignoreHTTPSErrors === true;
  const hostHeader = s.hostHeader;
  if (hostHeader !== undefined && (browser !== 'firefox' || typeof hostHeader !== 'string' || !/^[A-Za-z0-9.\-[\]:]+$/.test(hostHeader))) {
    throw new InvalidOptionsError(`${field}.hostHeader must be a host[:port] string and is for browser "firefox" only, got ${JSON.stringify(s.hostHeader)}`);
  }
  const driver =
    browser === 'firefox'
      ? new RemoteFirefoxDriver({ wsEndpoint: endpoint, ignoreHTTPSErrors, hostHeader })
      : new RemoteDriver({ wsEndpoint: endpoint, pageAccess: s.pageAccess, ignoreHTTPSErrors });
  // Measured: a second BiDi session on one Firefox fails with "session not created: Maximum number of active sessions".
  return { id: typeof s.id === 'string' ? s.id : endpoint, browser, driver, remote: true, maxConnections: browser === 'firefox' ? 1 : Infinity };
}

/** A driver must be an object with `kind` (a browser kind) and a `launch` function; an array or a class is not. */
export function assertDriver(field: string, value: unknown): asserts value is BrowserDriver {
  const d = value as Partial<BrowserDriver> | null;
  if (typeof value !== 'object' || d === null || Array.isArray(value) || typeof d.launch !== 'function' || !(BROWSER_KINDS as readonly unknown[]).includes(d.kind)) {
    const what = Array.isArray(value) ? 'an array (several endpoints of one browser go in the `hosts` option)' : JSON.stringify(value) ?? typeof value;
    throw new InvalidOptionsError(`${field} must be a driver object with \`kind\` (${BROWSER_KINDS.join(' | ')}) and a \`launch()\` method, got ${what}`);
  }
}

export interface ReconnectOptions {
  /** First delay after a failed launch or reconnect. @default 250 */
  initialDelayMs?: number;
  /** Cap of the doubling delay between attempts. @default 5000 */
  maxDelayMs?: number;
}

/**
 * Delay before attempt `attempt` (1 = the first retry): doubling from `initialDelayMs`, capped at `maxDelayMs`, with
 * "equal jitter" (half fixed, half random) so that many pools losing one host do not retry in step.
 */
export function backoffDelay(attempt: number, o: Required<ReconnectOptions>, random: () => number = Math.random): number {
  const ceiling = Math.min(o.maxDelayMs, o.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return ceiling / 2 + (random() * ceiling) / 2;
}
