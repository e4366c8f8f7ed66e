/** A capacity source as the fleet keeps it: its state, owed replacements, backoff, and how `pool.hosts()` reports it. */
import type { BrowserKind, BrowserPoolError } from '@browser-pool/browser-harness';

import type { HostSource } from './hosts';

export type HostState = { kind: 'active' } | { kind: 'draining'; reason: string };

export interface HostRecord {
  source: HostSource;
  state: HostState;
  /** Connections lost and not yet replaced, with when and why (a replacement is owed for each). */
  owed: { lostId: string; at: number; reason: string }[];
  /** Failed attempts in a row (sets the backoff). */
  failures: number;
  /** The scheduled next attempt, while backing off. */
  retry: { at: number; timer: NodeJS.Timeout; wake: () => void } | undefined;
  /** Whether its reconnect loop runs. */
  recovering: boolean;
  lastError: BrowserPoolError | undefined;
}

/** One host as `pool.hosts()` reports it. */
export interface HostInfo {
  id: string;
  browser: BrowserKind;
  state: 'active' | 'draining';
  remote: boolean;
  /** Ids of its open connections routing may use (any state), spares excluded. */
  connectionIds: string[];
  spares: number;
  /** Connections lost and not yet replaced (reconnect attempts continue while > 0). */
  owed: number;
  /** Failed launch or reconnect attempts in a row. */
  failures: number;
  /** When the next attempt is due (epoch ms), while backing off. */
  nextAttemptAt: number | undefined;
  lastError: string | undefined;
}

export function newHostRecord(source: HostSource): HostRecord {
  return { source, state: { kind: 'active' }, owed: [], failures: 0, retry: undefined, recovering: false, lastError: undefined };
}

/** The host as reported, given the ids of its routable connections and its spare count. */
export function hostInfo(h: HostRecord, connectionIds: string[], spares: number): HostInfo {
  return {
    id: h.source.id,
    browser: h.source.browser,
    state: h.state.kind,
    remote: h.source.remote,
    connectionIds,
    spares,
    owed: h.owed.length,
    failures: h.failures,
    nextAttemptAt: h.retry?.at,
    lastError: h.lastError?.message,
  };
}

/** Stops a scheduled attempt and lets its loop go on at once (it then sees why: drained or closed). */
export function cancelRetry(host: HostRecord): void {
  if (host.retry !== undefined) {
    clearTimeout(host.retry.timer);
    const { wake } = host.retry;
    host.retry = undefined;
    wake();
  }
}
