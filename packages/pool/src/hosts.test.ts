import { ChromiumDriver, firefoxHostHeader, RemoteDriver } from '@browser-pool/browser-harness';
import { describe, expect, it } from 'vitest';

import { backoffDelay, resolveHost } from './hosts';
import { resolvePoolOptions } from './options';

const invalid = (pattern: RegExp): unknown => expect.objectContaining({ code: 'E_INVALID_OPTIONS', message: expect.stringMatching(pattern) });

describe('reconnect backoff', () => {
  const o = { initialDelayMs: 250, maxDelayMs: 5000 };
  it('doubles from the initial delay up to the cap, with half of each delay random', () => {
    expect([1, 2, 3, 4, 5, 6, 9].map((a) => backoffDelay(a, o, () => 1))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    expect([1, 2, 6].map((a) => backoffDelay(a, o, () => 0))).toEqual([125, 250, 2500]);
  });
});

describe('host options', () => {
  it('turns endpoints into remote hosts of their browser; no local browser unless asked for', () => {
    const o = resolvePoolOptions({ hosts: [{ wsEndpoint: 'ws://10.0.0.1:3000/pw' }, { wsEndpoint: 'ws://10.0.0.2:9222/session', browser: 'firefox', pageAccess: 'direct' }] });
    expect(o.browsers).toEqual([]);
    expect(o.hosts.map((h) => [h.id, h.browser, h.driver?.constructor.name])).toEqual([
      ['ws://10.0.0.1:3000/pw', 'chromium', 'RemoteDriver'],
      ['ws://10.0.0.2:9222/session', 'firefox', 'RemoteFirefoxDriver'],
    ]);
    expect(o.scaling.minConnections).toBe(2);
    // WebDriver BiDi allows one session per Firefox: that host holds one connection.
    expect(o.hosts.map((h) => h.maxConnections)).toEqual([Infinity, 1]);
    expect(resolvePoolOptions({ browsers: ['chromium'], hosts: [{ wsEndpoint: 'ws://h:1/p' }] }).browsers).toEqual(['chromium']);
  });

  it('refuses an array in drivers, a driver under the wrong kind, and malformed hosts with E_INVALID_OPTIONS', () => {
    const two = [new RemoteDriver({ wsEndpoint: 'ws://a:1/p' }), new RemoteDriver({ wsEndpoint: 'ws://b:1/p' })];
    expect(() => resolvePoolOptions({ drivers: { chromium: two as never } })).toThrow(invalid(/drivers\.chromium must be a driver object .* an array .* `hosts` option/));
    expect(() => resolvePoolOptions({ drivers: { firefox: new ChromiumDriver() } })).toThrow(invalid(/kind "chromium"; put it under "chromium"/));
    expect(() => resolvePoolOptions({ harness: { drivers: { chromium: {} as never } } })).toThrow(invalid(/harness\.drivers\.chromium/));
    expect(() => resolvePoolOptions({ hosts: [{ wsEndpoint: 'http://a:1/' }] })).toThrow(invalid(/hosts\[0\]\.wsEndpoint must be a ws:\/\//));
    expect(() => resolvePoolOptions({ hosts: [{ wsEndpoint: 'ws://a:1/' }, { wsEndpoint: 'ws://a:1/' }] })).toThrow(invalid(/lists "ws:\/\/a:1\/" twice/));
    expect(() => resolvePoolOptions({ hosts: [{ wsEndpoint: 'ws://a:1/', browser: 'firefox', pageAccess: 'tunnel' }] })).toThrow(invalid(/remote Firefox/));
    expect(() => resolvePoolOptions({ hosts: 'ws://a:1/' as never })).toThrow(invalid(/option hosts must be an array/));
    expect(() => resolveHost({ driver: new ChromiumDriver() }, 'addHost')).toThrow(invalid(/addHost\.id must be a non-empty string/));
    expect(() => resolvePoolOptions({ reconnect: { initialDelayMs: 1000, maxDelayMs: 10 } })).toThrow(invalid(/reconnect\.maxDelayMs must be an integer >= 1000/));
    expect(() => resolvePoolOptions({ hosts: [{ wsEndpoint: 'ws://a:1/', hostHeader: 'localhost:1' }] })).toThrow(invalid(/hostHeader .* "firefox" only/));
    expect(() => resolvePoolOptions({ hosts: [{ wsEndpoint: 'ws://a:1/', browser: 'firefox', hostHeader: 'x\r\nEvil: 1' }] })).toThrow(invalid(/hostHeader must be a host\[:port\]/));
  });

  it('remote Firefox sends Host localhost:<endpoint port> unless told the port Firefox listens on', () => {
    expect(firefoxHostHeader('ws://10.0.0.8:9222/session')).toBe('localhost:9222');
    expect(firefoxHostHeader('wss://ff.example/session')).toBe('localhost:443');
    expect(firefoxHostHeader('ws://10.0.0.8:19222/session', 'localhost:9222')).toBe('localhost:9222');
  });
});
