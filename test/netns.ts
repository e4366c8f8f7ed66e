/**
 * Simulated hosts for scale-out tests and benches: each is a Linux network namespace joined to this one by a veth
 * pair on its own /30 (10.213.x.0/30), with a Playwright browser server (the system Chromium) listening inside on
 * a fixed port and path. The /24 around each /30 gets an `unreachable` route, so while a link is cut no packet of
 * that subnet follows the default route off the machine. Names carry the prefix `bp`, the runner's pid and a random
 * byte (`bp<pid>_<hex>n0`), the guard route carries the pid as its metric; `remove()` deletes all of it (processes,
 * namespace, veth, route) and is safe to call twice or after a half-made setup. A runner killed before `remove()`
 * (SIGTERM, SIGKILL) leaves them behind: {@link removeLeftovers} (called by {@link netnsUnavailable}) deletes those
 * whose pid is no longer alive.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { promisify } from 'node:util';

import { findChromium } from '@browser-pool/browser-harness';

const run = promisify(execFile);

export const SERVER_PORT = 3917;
export const SERVER_PATH = '/browser-pool';

/** Why namespaces cannot be used here, or undefined when they can (root with CAP_NET_ADMIN, `ip` present). */
export async function netnsUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') {
    return `network namespaces are Linux-only (platform ${process.platform})`;
  }
  if (findChromium() === undefined) {
    return 'no system Chromium to run inside the namespaces';
  }
  const probe = `bpprobe${randomBytes(3).toString('hex')}`;
  try {
    await removeLeftovers();
    await run('ip', ['netns', 'add', probe]);
    await run('ip', ['netns', 'del', probe]);
    return undefined;
  } catch (error) {
    return `\`ip netns add\` is not permitted here (needs root / CAP_NET_ADMIN and iproute2): ${(error as Error).message.split('\n')[0]}`;
  }
}

export interface SimulatedHost {
  readonly ns: string;
  /** This side's address on the link (where a 'direct' page reaches the orchestrator). */
  readonly hostIp: string;
  /** The namespace's address: the browser server listens there. */
  readonly nsIp: string;
  readonly wsEndpoint: string;
  /** Starts (or restarts) the browser server inside the namespace; resolves when it listens. */
  startServer(): Promise<void>;
  /** SIGKILLs the browser server and its browser. */
  killServer(): void;
  /** Takes the link down (this side): the namespace becomes unreachable at once (EHOSTUNREACH). */
  cut(): Promise<void>;
  restore(): Promise<void>;
  /**
   * Slows the link toward the namespace with a token bucket (`tc qdisc ... tbf`; netem is not in every kernel):
   * `rate` like '2mbit', packets that would queue past 400 ms are dropped (TCP backs off and retransmits).
   */
  throttle(rate: string): Promise<void>;
  unthrottle(): Promise<void>;
  remove(): Promise<void>;
}

const quiet = (p: Promise<unknown>): Promise<void> => p.then(() => undefined, () => undefined);

/** Makes simulated host `index` of a run (`tag` from {@link runTag}). */
export async function createHost(tag: string, index: number, subnet: number): Promise<SimulatedHost> {
  const ns = `bp${tag}n${index}`;
  const hostIf = `bp${tag}h${index}`;
  const nsIf = `bp${tag}p${index}`;
  const hostIp = `10.213.${subnet}.1`;
  const nsIp = `10.213.${subnet}.2`;
  const guard = ['unreachable', `10.213.${subnet}.0/24`, 'metric', String(process.pid)];
  let server: ChildProcess | undefined;
  const killServer = (): void => {
    if (server?.pid !== undefined && server.exitCode === null && server.signalCode === null) {
      try {
        process.kill(-server.pid, 'SIGKILL'); // the whole group: node and the browser it launched
      } catch {
        // already gone
      }
    }
    server = undefined;
  };
  const host: SimulatedHost = {
    ns,
    hostIp,
    nsIp,
    wsEndpoint: `ws://${nsIp}:${SERVER_PORT}${SERVER_PATH}`,
    startServer: async () => {
      killServer();
      const script = [
        `require('playwright-core').chromium.launchServer({`,
        `  executablePath: ${JSON.stringify(findChromium())}, host: ${JSON.stringify(nsIp)}, port: ${SERVER_PORT},`,
        `  wsPath: ${JSON.stringify(SERVER_PATH)}, args: ['--enable-unsafe-webgpu'],`,
        `}).then((s) => console.log(s.wsEndpoint()), (e) => { console.error(e); process.exit(1); })`,
      ].join('\n');
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      server = child;
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const ready = once(child.stdout, 'data');
      const exited = once(child, 'exit').then(() => {
        throw new Error(`browser server in ${ns} exited before listening: ${stderr.slice(0, 500)}`);
      });
      await Promise.race([ready, exited]);
      exited.catch(() => undefined);
    },
    killServer,
    cut: () => quiet(run('ip', ['link', 'set', hostIf, 'down'])),
    restore: async () => {
      await run('ip', ['link', 'set', hostIf, 'up']);
      // The connected route returns with the link; wait until it is back (carrier up on both ends).
      for (let i = 0; i < 50; i++) {
        const { stdout } = await run('ip', ['route', 'get', nsIp]);
        if (stdout.includes(hostIf)) {
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    throttle: async (rate) => {
      await run('tc', ['qdisc', 'replace', 'dev', hostIf, 'root', 'tbf', 'rate', rate, 'burst', '32kbit', 'latency', '400ms']);
    },
    unthrottle: () => quiet(run('tc', ['qdisc', 'del', 'dev', hostIf, 'root'])),
    remove: async () => {
      killServer();
      await quiet(run('ip', ['netns', 'del', ns]));
      await quiet(run('ip', ['link', 'del', hostIf]));
      await quiet(run('ip', ['route', 'del', ...guard]));
    },
  };
  try {
    await run('ip', ['route', 'add', ...guard]);
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    await run('ip', ['link', 'set', nsIf, 'netns', ns]);
    await run('ip', ['addr', 'add', `${hostIp}/30`, 'dev', hostIf]);
    await run('ip', ['link', 'set', hostIf, 'up']);
    await run('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', nsIf]);
    await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up']);
    await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    await run('ip', ['netns', 'exec', ns, 'ip', 'route', 'add', 'default', 'via', hostIp]);
  } catch (error) {
    await host.remove();
    throw error;
  }
  return host;
}

/** A short tag unique to this run: its pid and a random byte (interface names are limited to 15 characters). */
export function runTag(): string {
  return `${process.pid}_${randomBytes(1).toString('hex')}`;
}

/** The pid of the run that made a namespace or veth name of ours, or undefined for any other name. */
export function ownerPid(name: string): number | undefined {
  const m = /^bp(\d+)_[0-9a-f]{2}[nhp]\d+(@.*)?$/.exec(name);
  return m === null ? undefined : Number(m[1]);
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What of `ip` listings belongs to runs that are gone: namespaces, host-side veths and guard routes. */
export function staleLeftovers(
  listings: { netns: string; links: string; routes: string },
  alive: (pid: number) => boolean,
): { namespaces: string[]; links: string[]; routes: string[][] } {
  const stale = (name: string): boolean => {
    const pid = ownerPid(name);
    return pid !== undefined && !alive(pid);
  };
  const namespaces = listings.netns.split('\n').map((l) => l.split(' ')[0] ?? '').filter(stale);
  // `ip -o link show`: "12: bp123_abh0@if11: <BROADCAST,...> ..."
  const links = listings.links.split('\n').map((l) => (l.split(': ')[1] ?? '').split('@')[0]!).filter(stale);
  const routes = listings.routes
    .split('\n')
    .map((l) => /^unreachable (10\.213\.\d+\.0\/24) .*metric (\d+)/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null && !alive(Number(m[2])))
    .map((m) => ['unreachable', m[1]!, 'metric', m[2]!]);
  return { namespaces, links, routes };
}

/** Deletes what killed runs left behind (their browser servers too); what live runs own is kept. */
export async function removeLeftovers(): Promise<{ namespaces: string[]; links: string[]; routes: string[][] }> {
  const [netns, links, routes] = await Promise.all([
    run('ip', ['netns', 'list']),
    run('ip', ['-o', 'link', 'show']),
    run('ip', ['route', 'show', 'type', 'unreachable']),
  ]);
  const stale = staleLeftovers({ netns: netns.stdout, links: links.stdout, routes: routes.stdout }, pidAlive);
  for (const ns of stale.namespaces) {
    const { stdout } = await run('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }));
    for (const pid of stdout.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await quiet(run('ip', ['netns', 'del', ns]));
  }
  await Promise.all(stale.links.map((l) => quiet(run('ip', ['link', 'del', l]))));
  await Promise.all(stale.routes.map((r) => quiet(run('ip', ['route', 'del', ...r]))));
  return stale;
}

/** A /24 index for the run's subnets (10.213.x.0), chosen at random so parallel runs rarely meet. */
export function subnetBase(): number {
  return 16 + (randomBytes(1)[0]! % 200);
}
