/**
 * Rows of `page_worker_events` from the pool's `worker:down` / `worker:respawned` events (harness.pageWorkers), and of
 * `model_evictions` from `model:evicted` (modelBudgetMB): what happened to a page's capacity while its browser stayed up.
 */
import type { PoolEvents } from '@browser-pool/pool';

import type { Value } from '../store/table-writer';

type Down = PoolEvents['worker:down'][0];
type Respawned = PoolEvents['worker:respawned'][0];
type Evicted = PoolEvents['model:evicted'][0];

export function workerDownRow(runId: number, e: Down): Record<string, Value> {
  return {
    recorded_at: new Date(),
    run_id: runId,
    event: 'down',
    connection_id: e.connectionId,
    browser: e.browser,
    worker_index: e.worker,
    reason: e.reason,
    losses: e.losses,
    respawns: e.respawns,
  };
}

export function workerRespawnedRow(runId: number, e: Respawned): Record<string, Value> {
  return {
    recorded_at: new Date(),
    run_id: runId,
    event: 'respawned',
    connection_id: e.connectionId,
    browser: e.browser,
    worker_index: e.worker,
    reason: e.reason,
    respawns: e.respawns,
    respawn_ms: e.respawnMs,
    replacement: e.replacement,
    sessions: e.sessions,
  };
}

export function modelEvictedRow(runId: number, e: Evicted): Record<string, Value> {
  return {
    recorded_at: new Date(),
    run_id: runId,
    model_name: e.model,
    connection_id: e.connectionId,
    browser: e.browser,
    bytes: e.bytes,
    held_bytes: e.heldBytes,
    budget_bytes: e.budgetBytes,
    copies_elsewhere: e.copiesElsewhere,
    idle_ms: e.idleMs,
    reason: e.reason,
  };
}
