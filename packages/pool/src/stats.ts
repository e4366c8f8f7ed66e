/** `pool.stats()`: a snapshot for dashboards and the recorder. */
import type { BrowserKind, WorkerSnapshot } from '@browser-pool/browser-harness';

import type { BreakerState } from './breaker';
import type { PoolConnection } from './pool-connection';
import type { PoolModel } from './pool-model';

export interface ConnectionSnapshot {
  id: string;
  browser: BrowserKind;
  /** Browser process id, where this orchestrator launched it and knows it (undefined for remote browsers). */
  pid: number | undefined;
  state: string;
  breaker: BreakerState;
  outstanding: number;
  /** Calls the page runs at the same time: its session workers (harness.pageWorkers), else 1. */
  capacity: number;
  completed: number;
  failed: number;
  healthScore: number;
  latencyMs: number | undefined;
  /** Page JS heap in bytes at the last health sample (undefined where the browser does not expose it). */
  memoryBytes: number | undefined;
  models: string[];
  /** Bytes of the model files it holds (loaded or loading), against `modelBudgetMB`. */
  modelBytes: number;
  /** Model copies released here for `modelBudgetMB`. */
  evictions: number;
  uptimeMs: number;
  /** The page's session workers at the last health sample (harness.pageWorkers >= 1); undefined otherwise. */
  workers: WorkerSnapshot[] | undefined;
}

export interface PoolStats {
  connections: ConnectionSnapshot[];
  /** Busy session threads / all session threads of ready connections (0..1); a connection counts its workers. */
  utilization: number;
  /** Requests admitted (queued + running) across the pool, and the bound. */
  queueDepth: number;
  maxQueuedRequests: number;
  perBrowser: Partial<Record<BrowserKind, { connections: number; outstanding: number; completed: number }>>;
  /** Connections holding each model. */
  perModel: Record<string, number>;
  /** Model copies released for `modelBudgetMB` since the pool started (connections gone since included). */
  evictions: number;
  errors: number;
  unavailableBrowsers: Partial<Record<BrowserKind, string>>;
  /** Ready spare connections held back from routing. */
  spares: number;
  /** Where pages connect back (`ws://host:port`; the secret path is left out on purpose). */
  bridge: string | undefined;
}

export function poolStats(
  conns: readonly PoolConnection[],
  extra: {
    admitted: number;
    maxQueuedRequests: number;
    errors: number;
    unavailable: ReadonlyMap<BrowserKind, string>;
    models: readonly PoolModel[];
    spares: number;
    bridge: string | undefined;
    evictions: number;
  },
): PoolStats {
  const now = Date.now();
  const connections = conns.map((c) => ({
    id: c.id,
    browser: c.browser,
    pid: c.connection.pid,
    state: c.state.kind,
    breaker: c.breaker,
    outstanding: c.outstanding,
    capacity: c.capacity,
    completed: c.stats.completed,
    failed: c.stats.failed,
    healthScore: c.healthScore,
    latencyMs: c.stats.latencyMs,
    memoryBytes: c.stats.memoryBytes,
    models: extra.models.filter((m) => c.hasModel(m.key)).map((m) => m.entry.name),
    modelBytes: c.heldBytes,
    evictions: c.evictions,
    uptimeMs: now - c.stats.launchedAt,
    workers: c.connection.lastWorkers,
  }));
  const ready = connections.filter((c) => c.state === 'ready');
  const perBrowser: PoolStats['perBrowser'] = {};
  for (const c of connections) {
    const b = (perBrowser[c.browser] ??= { connections: 0, outstanding: 0, completed: 0 });
    b.connections++;
    b.outstanding += c.outstanding;
    b.completed += c.completed;
  }
  const perModel: Record<string, number> = {};
  for (const m of extra.models) {
    perModel[m.entry.name] = conns.filter((c) => c.hasModel(m.key)).length;
  }
  return {
    connections,
    utilization: utilizationOf(ready),
    queueDepth: extra.admitted,
    maxQueuedRequests: extra.maxQueuedRequests,
    perBrowser,
    perModel,
    evictions: extra.evictions,
    errors: extra.errors,
    unavailableBrowsers: Object.fromEntries(extra.unavailable),
    spares: extra.spares,
    bridge: extra.bridge,
  };
}

function utilizationOf(ready: readonly { outstanding: number; capacity: number }[]): number {
  const threads = ready.reduce((n, c) => n + c.capacity, 0);
  return threads === 0 ? 0 : ready.reduce((n, c) => n + Math.min(c.outstanding, c.capacity), 0) / threads;
}
