import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { dnsHosts, fileHosts, type HostDiscovery, parseHostFile, staticHosts } from './discovery';
import type { PoolEvents } from './events';
import { HostSync, type HostTarget } from './host-sync';
import type { HostSource } from './hosts';

/** Records what the sync asked of the fleet. */
function recorder(): HostTarget & { added: string[]; drained: string[]; events: PoolEvents['discovery'][0][] } {
  const added: string[] = [];
  const drained: string[] = [];
  return {
    added,
    drained,
    events: [],
    addHost: (s: HostSource) => {
      added.push(s.id);
      return Promise.resolve();
    },
    drainHost: (id: string) => {
      drained.push(id);
      return Promise.resolve();
    },
  };
}

function syncOf(discovery: HostDiscovery, target: ReturnType<typeof recorder>): HostSync {
  return new HostSync(discovery, target, (name, ...args) => {
    if (name === 'discovery') {
      target.events.push(args[0] as PoolEvents['discovery'][0]);
    }
  });
}

describe('DNS discovery', () => {
  it('joins one host per A/AAAA record, drains those that disappear, and keeps hosts when a lookup fails', async () => {
    let answer: string[] | Error = ['10.0.0.2', '10.0.0.1', 'fd00::7'];
    const d = dnsHosts('browsers.default.svc', { port: 3000, path: 'pw', intervalMs: 60_000, resolve: () => (answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer)) });
    expect(await d.list()).toEqual([
      { wsEndpoint: 'ws://10.0.0.1:3000/pw', browser: 'chromium' },
      { wsEndpoint: 'ws://10.0.0.2:3000/pw', browser: 'chromium' },
      { wsEndpoint: 'ws://[fd00::7]:3000/pw', browser: 'chromium' },
    ]);
    const target = recorder();
    const sync = syncOf(d, target);
    await sync.sync();
    expect(target.added).toEqual(['ws://10.0.0.1:3000/pw', 'ws://10.0.0.2:3000/pw', 'ws://[fd00::7]:3000/pw']);
    answer = ['10.0.0.2', '10.0.0.3', '10.0.0.2'];
    await sync.sync();
    expect(target.added.slice(3)).toEqual(['ws://10.0.0.3:3000/pw']);
    expect(target.drained).toEqual(['ws://10.0.0.1:3000/pw', 'ws://[fd00::7]:3000/pw']);
    answer = Object.assign(new Error('queryA ESERVFAIL browsers.default.svc'), { code: 'ESERVFAIL' });
    await sync.sync();
    expect(target.drained).toHaveLength(2);
    expect(target.events.at(-1)).toMatchObject({ source: 'dns:browsers.default.svc', ok: false, hosts: 2, error: 'queryA ESERVFAIL browsers.default.svc' });
    sync.stop();
  });

  it('refuses a port that is not one', () => {
    expect(() => dnsHosts('x', { port: 70_000 })).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTIONS' }));
  });
});

describe('file discovery', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bp-hosts-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('re-reads the file when it changes: new hosts join, removed ones drain, a broken file changes nothing', async () => {
    const file = path.join(dir, 'hosts.txt');
    await writeFile(file, '# browser servers\nws://10.1.0.1:3000/pw\nws://10.1.0.2:9222/session firefox\n');
    const target = recorder();
    const sync = syncOf(fileHosts(file, { intervalMs: 60_000 }), target);
    await sync.start();
    expect(target.added).toEqual(['ws://10.1.0.1:3000/pw', 'ws://10.1.0.2:9222/session']);
    // Replaced atomically (as an editor or a config map does): the watch or a later sync sees it.
    await writeFile(`${file}.new`, JSON.stringify([{ wsEndpoint: 'ws://10.1.0.2:9222/session', browser: 'firefox' }, { wsEndpoint: 'ws://10.1.0.3:3000/pw', id: 'third' }]));
    await rename(`${file}.new`, file);
    await sync.sync();
    expect(target.added).toEqual(['ws://10.1.0.1:3000/pw', 'ws://10.1.0.2:9222/session', 'third']);
    expect(target.drained).toEqual(['ws://10.1.0.1:3000/pw']);
    await writeFile(file, '[{"wsEndpoint": ');
    await sync.sync();
    expect(target.events.at(-1)).toMatchObject({ ok: false, hosts: 2 });
    await writeFile(file, 'http://not-a-websocket\n');
    await sync.sync();
    expect(target.events.at(-1)).toMatchObject({ ok: false, hosts: 2 });
    expect(target.events.at(-1)!.error).toMatch(/wsEndpoint must be a ws:\/\/ or wss:\/\/ URL/);
    await writeFile(file, '');
    await sync.sync();
    expect(target.events.at(-1)!.error).toMatch(/is empty; current hosts are kept/);
    await writeFile(file, '# none\n');
    await sync.sync();
    expect(target.drained).toEqual(['ws://10.1.0.1:3000/pw', 'ws://10.1.0.2:9222/session', 'third']);
    sync.stop();
  });

  it('parses comments, blank lines and the browser column', () => {
    expect(parseHostFile('\n ws://a:1/x  # one\n\n#ws://b:2/y\nws://c:3/z firefox', 'f')).toEqual([{ wsEndpoint: 'ws://a:1/x' }, { wsEndpoint: 'ws://c:3/z', browser: 'firefox' }]);
  });
});

describe('static discovery', () => {
  it('lists what it was given', async () => {
    expect(await staticHosts([{ wsEndpoint: 'ws://h:1/p' }]).list()).toEqual([{ wsEndpoint: 'ws://h:1/p' }]);
  });
});
