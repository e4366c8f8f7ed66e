/**
 * Where hosts come from at runtime: a static list, a file re-read when it changes (and on an interval), or a DNS
 * name whose A/AAAA records are the hosts (a Kubernetes headless Service), re-resolved on an interval. The pool's
 * HostSync joins hosts that appear and drains hosts that disappear.
 */
import dns from 'node:dns/promises';
import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';

import { InvalidOptionsError, type PageAccess } from '@browser-pool/browser-harness';

import type { HostSpec } from './hosts';

export interface HostDiscovery {
  /** Says what it reads, for events and errors (e.g. `dns:browsers.default.svc`). */
  readonly name: string;
  /** How often `list()` is called again. */
  readonly intervalMs: number;
  /** The hosts that should be in the pool now. A rejection leaves the current hosts as they are. */
  list(): Promise<HostSpec[]>;
  /** Calls `changed` when a new `list()` is worth doing at once (the file changed); returns how to stop. */
  watch?(changed: () => void): () => void;
}

/** The same hosts always (what `hosts` gives, as a discovery). */
export function staticHosts(hosts: readonly HostSpec[]): HostDiscovery {
  return { name: 'static', intervalMs: 60_000, list: () => Promise.resolve([...hosts]) };
}

export interface FileHostsOptions {
  /** Re-read at least this often (a change is also noticed at once where the file system reports it). @default 5000 */
  intervalMs?: number;
}

/**
 * Hosts listed in a file: JSON (an array of host specs, as `hosts` takes) or plain text, one `ws://` endpoint per
 * line (`#` starts a comment; a line may add ` firefox` after the endpoint). A file that cannot be read or parsed,
 * or is empty (caught mid-write), leaves the current hosts as they are (the error is reported in a `discovery`
 * event). Replace it atomically (write a temporary file, rename it over) so a reader never sees half of it.
 */
export function fileHosts(filePath: string, options: FileHostsOptions = {}): HostDiscovery {
  return {
    name: `file:${filePath}`,
    intervalMs: options.intervalMs ?? 5000,
    list: async () => parseHostFile(await readFile(filePath, 'utf8'), filePath),
    watch: (changed) => {
      try {
        const watcher = watch(filePath, { persistent: false }, () => changed());
        watcher.on('error', () => undefined); // the file may be replaced or removed; the interval still re-reads
        return () => watcher.close();
      } catch {
        return () => undefined; // not watchable (absent yet): the interval covers it
      }
    },
  };
}

export function parseHostFile(text: string, filePath: string): HostSpec[] {
  const trimmed = text.trim();
  if (trimmed === '') {
    // Most often a file caught mid-write (truncated, not yet filled): draining every host for it would be wrong.
    throw new InvalidOptionsError(`host file ${filePath} is empty; current hosts are kept (to list none, write a comment line: "# none")`);
  }
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new InvalidOptionsError(`host file ${filePath} is not valid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(parsed)) {
      throw new InvalidOptionsError(`host file ${filePath} must hold a JSON array of { wsEndpoint, browser? }`);
    }
    return parsed as HostSpec[];
  }
  return trimmed
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [wsEndpoint = '', browser] = line.split(/\s+/);
      return browser === undefined ? { wsEndpoint } : { wsEndpoint, browser: browser as 'chromium' | 'firefox' };
    });
}

export interface DnsHostsOptions {
  /** Port of every browser server behind the name. */
  port: number;
  /** Path of the endpoint; fix it on the server (`launchServer({ wsPath })`, `playwright run-server --path`). @default '/' */
  path?: string;
  /** @default 'chromium' */
  browser?: 'chromium' | 'firefox';
  /** @default 'ws' */
  scheme?: 'ws' | 'wss';
  pageAccess?: PageAccess;
  /** Resolve again this often. @default 10_000 */
  intervalMs?: number;
  /** Addresses of a name (A and AAAA). @default node:dns resolve4 + resolve6 */
  resolve?: (name: string) => Promise<string[]>;
}

/** Looks up both families; a family with no records (ENODATA/ENOTFOUND) adds none, any other failure rejects. */
export async function resolveAddresses(name: string): Promise<string[]> {
  const none = (error: NodeJS.ErrnoException): string[] => {
    if (error.code === 'ENODATA' || error.code === 'ENOTFOUND') {
      return [];
    }
    throw error;
  };
  const [v4, v6] = await Promise.all([dns.resolve4(name).catch(none), dns.resolve6(name).catch(none)]);
  return [...v4, ...v6];
}

/** One host per address of `name`, re-resolved every `intervalMs`. */
export function dnsHosts(name: string, options: DnsHostsOptions): HostDiscovery {
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
    throw new InvalidOptionsError(`dnsHosts port must be an integer from 1 to 65535, got ${JSON.stringify(options.port)}`);
  }
  const resolve = options.resolve ?? resolveAddresses;
  const path = options.path ?? '/';
  return {
    name: `dns:${name}`,
    intervalMs: options.intervalMs ?? 10_000,
    list: async () => {
      const addresses = [...new Set(await resolve(name))].sort();
      return addresses.map((a) => ({
        wsEndpoint: `${options.scheme ?? 'ws'}://${a.includes(':') ? `[${a}]` : a}:${options.port}${path.startsWith('/') ? path : `/${path}`}`,
        browser: options.browser ?? 'chromium',
        ...(options.pageAccess === undefined ? {} : { pageAccess: options.pageAccess }),
      }));
    },
  };
}
