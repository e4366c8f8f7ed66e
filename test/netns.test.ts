/**
 * Leftovers of a killed run (its namespaces, veths, guard routes and browser servers) are found by the pid in their
 * names and removed by the next run; what a live run owns is kept. The listing parser is checked on `ip` output; the
 * removal on a real namespace (skipped where `ip netns` is not permitted).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';

import { describe, expect, it } from 'vitest';

import { netnsUnavailable, ownerPid, removeLeftovers, staleLeftovers } from './netns';

describe('netns leftovers', () => {
  it('names carry the owning pid; only ours of dead pids are stale', () => {
    expect(ownerPid('bp4194304_abn0')).toBe(4194304);
    expect(ownerPid('bp77_0fh12@if3')).toBe(77);
    expect(['bpprobe1a2b3c', 'bp77n0', 'eth0', 'bp77_zzn0'].map(ownerPid)).toEqual([undefined, undefined, undefined, undefined]);
    const stale = staleLeftovers(
      {
        netns: 'bp11_aan0 (id: 3)\nbp22_bbn0 (id: 4)\nother\n',
        links: '1: lo: <LOOPBACK,UP> mtu 65536\n7: bp11_aah0@if6: <BROADCAST> mtu 1500\n9: bp22_bbh0@if8: <BROADCAST> mtu 1500\n',
        routes: 'unreachable 10.213.40.0/24 metric 11 \nunreachable 10.213.41.0/24 metric 22 \nunreachable 192.168.9.0/24 metric 11\n',
      },
      (pid) => pid === 22,
    );
    expect(stale).toEqual({ namespaces: ['bp11_aan0'], links: ['bp11_aah0'], routes: [['unreachable', '10.213.40.0/24', 'metric', '11']] });
  });

  it.skipIf(process.platform !== 'linux')('a dead run’s namespace, veth, route and server process are removed; a live run’s are kept', async (ctx) => {
    const why = await netnsUnavailable();
    if (why !== undefined) {
      ctx.skip(why);
    }
    const child = spawn('true');
    await once(child, 'exit');
    const dead = child.pid!;
    const ip = (...args: string[]): void => void spawnSync('ip', args);
    const mine = `bp${process.pid}_00n9`;
    const gone = `bp${dead}_00n9`;
    try {
      ip('netns', 'add', gone);
      ip('netns', 'add', mine);
      ip('link', 'add', `bp${dead}_00h9`, 'type', 'veth', 'peer', 'name', `bp${dead}_00p9`);
      ip('route', 'add', 'unreachable', '10.213.250.0/24', 'metric', String(dead));
      const server = spawn('ip', ['netns', 'exec', gone, 'sleep', '60'], { stdio: 'ignore' });
      const serverExit = once(server, 'exit');
      await new Promise((r) => setTimeout(r, 300));
      const removed = await removeLeftovers();
      expect(removed.namespaces).toContain(gone);
      expect(removed.namespaces).not.toContain(mine);
      expect(removed.links).toContain(`bp${dead}_00h9`);
      expect(removed.routes).toContainEqual(['unreachable', '10.213.250.0/24', 'metric', String(dead)]);
      expect(await serverExit).toEqual([null, 'SIGKILL']); // killed with its namespace
      const list = spawnSync('ip', ['netns', 'list']).stdout.toString();
      expect(list).not.toContain(gone);
      expect(list).toContain(mine);
      expect(spawnSync('ip', ['route', 'show', 'type', 'unreachable']).stdout.toString()).not.toContain('10.213.250.0/24');
    } finally {
      ip('netns', 'del', gone);
      ip('netns', 'del', mine);
      ip('link', 'del', `bp${dead}_00h9`);
      ip('route', 'del', 'unreachable', '10.213.250.0/24', 'metric', String(dead));
    }
  }, 20_000);
});
