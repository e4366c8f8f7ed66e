/**
 * Getting a host's lost connections back: relaunch (local) or reconnect (remote) with capped, jittered, doubling
 * backoff, for as long as the host is configured.
 */
import type { EmitPoolEvent } from './events';
import type { HostRecord } from './host-record';
import { backoffDelay, type ReconnectOptions } from './hosts';
import type { PoolConnection } from './pool-connection';

export interface ReconnectDeps {
  /** One launch or reconnect attempt on the host; undefined when it failed. */
  launch: (reason: string) => Promise<PoolConnection | undefined>;
  emit: EmitPoolEvent;
  reconnect: Required<ReconnectOptions>;
  /** Wakes requests waiting for a change of the fleet. */
  notify: () => void;
  closed: () => boolean;
}

/**
 * One loop per host: relaunches (local) or reconnects (remote) until every owed connection is back, waiting a
 * capped, jittered, doubling delay after each failure. Stops when the host is drained or the pool closes (owed
 * losses are then reported as not recovered).
 */
export async function reconnectLoop(host: HostRecord, deps: ReconnectDeps): Promise<void> {
  if (host.recovering) {
    return;
  }
  host.recovering = true;
  try {
    while (host.owed.length > 0 && host.state.kind === 'active' && !deps.closed()) {
      const pc = await deps.launch(`reconnect after ${host.owed[0]?.reason ?? 'loss'}`);
      if (pc !== undefined) {
        const debt = host.owed.shift();
        if (debt !== undefined && debt.lostId !== '') {
          deps.emit('recovery', { browser: pc.browser, lostConnectionId: debt.lostId, replacementId: pc.id, recoveryMs: performance.now() - debt.at, ok: true, reason: debt.reason });
        }
        continue;
      }
      if (host.state.kind !== 'active' || deps.closed()) {
        break;
      }
      const delayMs = backoffDelay(host.failures, deps.reconnect);
      deps.emit('host:retry', {
        hostId: host.source.id,
        browser: host.source.browser,
        attempt: host.failures,
        delayMs: Math.round(delayMs),
        code: host.lastError?.code ?? 'E_BROWSER_UNAVAILABLE',
        reason: host.lastError?.message ?? 'launch failed',
      });
      await new Promise<void>((wake) => {
        const timer = setTimeout(() => {
          host.retry = undefined;
          wake();
        }, delayMs);
        host.retry = { at: Date.now() + delayMs, timer, wake };
        deps.notify();
      });
    }
  } finally {
    host.recovering = false;
    if (host.state.kind !== 'active' || deps.closed()) {
      for (const debt of host.owed.splice(0).filter((d) => d.lostId !== '')) {
        deps.emit('recovery', { browser: host.source.browser, lostConnectionId: debt.lostId, replacementId: undefined, recoveryMs: performance.now() - debt.at, ok: false, reason: debt.reason });
      }
    }
  }
}
