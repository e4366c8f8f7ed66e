/**
 * A remote Firefox as a host: a real firefox-esr whose remote agent (WebDriver BiDi) listens on 127.0.0.1 only, as it
 * always does, exposed on another address through a plain TCP forwarder, as a remote host would expose it. Firefox
 * answers an upgrade whose Host header is not `localhost:<its port>` with 400; RemoteFirefoxDriver sends that header.
 * 127.0.0.2 stands in for the other host's address (Linux routes all of 127/8 to lo).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { findFirefox, RemoteFirefoxDriver } from '@browser-pool/browser-harness';
import { ModelCatalogue, runReference } from '@browser-pool/models';
import { ResourcePool } from '@browser-pool/pool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FP32_TOLERANCE, worstDiff } from './helpers';

const firefoxPath = findFirefox();
const catalogue = ModelCatalogue.default();
const entry = catalogue.get('bert-tiny');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(firefoxPath === undefined)(`remote Firefox through a TCP forwarder${firefoxPath === undefined ? ' (skipped: firefox-esr not installed)' : ''}`, () => {
  let firefox: ChildProcess;
  let forwarder: net.Server;
  let profile: string;
  let port: number;
  let pool: ResourcePool | undefined;

  beforeAll(async () => {
    port = await freePort();
    profile = mkdtempSync(path.join(tmpdir(), 'bp-remote-firefox-'));
    firefox = spawn(firefoxPath!, ['--headless', '--no-remote', '--profile', profile, '--remote-debugging-port', String(port)], { stdio: 'ignore' });
    // The forwarder listens on "the other host's" address with Firefox's port number: the default Host header fits.
    forwarder = net.createServer((client) => {
      const upstream = net.connect(port, '127.0.0.1');
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => forwarder.listen(port, '127.0.0.2', resolve));
    // Firefox's remote agent takes a few seconds to listen.
    const until = Date.now() + 30_000;
    for (;;) {
      const open = await new Promise<boolean>((resolve) => {
        const probe = net.connect(port, '127.0.0.1', () => resolve(probe.end() !== undefined));
        probe.on('error', () => resolve(false));
      });
      if (open || Date.now() > until) {
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 60_000);

  afterAll(async () => {
    await pool?.close();
    forwarder?.close();
    firefox?.kill('SIGKILL');
    rmSync(profile, { recursive: true, force: true });
  });

  it('a Host header Firefox does not accept is refused (E_BROWSER_UNAVAILABLE naming the 400), nothing hangs', async () => {
    const driver = new RemoteFirefoxDriver({ wsEndpoint: `ws://127.0.0.2:${port}/session`, hostHeader: `127.0.0.2:${port}` });
    const request = { connectionId: 'refused', pageUrl: 'about:blank', waitForChannel: () => Promise.reject(new Error('never asked')), timeoutMs: 10_000 };
    await expect(driver.launch(request)).rejects.toMatchObject({
      code: 'E_BROWSER_UNAVAILABLE',
      message: expect.stringMatching(/unreachable: .*400/),
    });
  }, 30_000);

  it('serves through the forwarded endpoint as a pool host, outputs equal to the reference', async () => {
    pool = new ResourcePool({
      catalogue,
      hosts: [{ wsEndpoint: `ws://127.0.0.2:${port}/session`, browser: 'firefox', pageAccess: 'direct' }],
      backends: ['wasm'],
      health: { knownAnswerIntervalMs: 0 },
    });
    await pool.initialize();
    const model = await pool.getModel('text_embedding', 'bert-tiny');
    const inputs = entry.sampleInputs({ seed: 3 });
    const expected = await runReference(await entry.source(), inputs);
    const results = await Promise.all(Array.from({ length: 8 }, () => model.run(inputs)));
    for (const r of results) {
      expect(r.browser).toBe('firefox');
      expect(worstDiff(r.outputs, expected)).toBeLessThanOrEqual(FP32_TOLERANCE);
    }
    expect(pool.hosts().map((h) => [h.id, h.remote, h.connectionIds.length])).toEqual([[`ws://127.0.0.2:${port}/session`, true, 1]]);
  }, 90_000);
});
