/**
 * Simulated hosts for scale-out tests and benches: each is a Linux network namespace joined to this one by a veth
 * pair on its own /30 (10.213.x.0/30), with a Playwright browser server (the system Chromium) listening inside on
 * a fixed port and path. The /24 around each /30 gets an `unreachable` route, so while a link is cut no packet of
 * that subnet follows the default route off the machine. Names carry a per-run tag; `remove()` deletes all of it
 * (processes, namespace, veth, route) and is safe to call twice or after a half-made setup.
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
  const guard = `10.213.${subnet}.0/24`;
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
    remove: async () => {
      killServer();
      await quiet(run('ip', ['netns', 'del', ns]));
      await quiet(run('ip', ['link', 'del', hostIf]));
      await quiet(run('ip', ['route', 'del', 'unreachable', guard]));
    },
  };
  try {
    await run('ip', ['route', 'add', 'unreachable', guard]);
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

/** A short tag unique to this run (interface names are limited to 15 characters). */
export function runTag(): string {
  return randomBytes(2).toString('hex');
}

/** A /24 index for the run's subnets (10.213.x.0), chosen at random so parallel runs rarely meet. */
export function subnetBase(): number {
  return 16 + (randomBytes(1)[0]! % 200);
}
