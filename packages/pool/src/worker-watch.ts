/**
 * Turns a page's worker snapshots (harness.pageWorkers) into `worker:down` and `worker:respawned` events. The page
 * replaces a lost worker by itself; the pool learns of it from the snapshots: at once after an `E_WORKER_LOST`
 * (sampled until the replacement holds its sessions again) and with each health round (a crash with no call in
 * flight). Each worker's `respawns` counter makes the events exactly-once per loss the pool saw.
 */
import type { WorkerSnapshot } from '@browser-pool/browser-harness';

import type { EmitPoolEvent } from './fleet';
import type { PoolConnection } from './pool-connection';

/** Sampling after an `E_WORKER_LOST`: this often, for at most this long (a reload of big models can take seconds). */
const SAMPLE_EVERY_MS = 100;
const SAMPLE_FOR_MS = 30_000;

interface Seen {
  /** Losses already reported as `worker:down`, and replacements already reported as `worker:respawned`. */
  down: number;
  respawned: number;
}

export class WorkerWatch {
  /** Per connection id, per worker index. A new page starts at zero respawns. */
  private readonly seen = new Map<string, Map<number, Seen>>();
  private readonly following = new Set<string>();

  constructor(private readonly emit: EmitPoolEvent) {}

  /** Samples the connection's workers once and reports what changed. */
  async sample(pc: PoolConnection): Promise<WorkerSnapshot[] | undefined> {
    const workers = await pc.connection.workers({ timeoutMs: 5000 }).catch(() => undefined);
    if (workers !== undefined) {
      this.observe(pc, workers);
    }
    return workers;
  }

  /** After an `E_WORKER_LOST` from `pc`: samples until every loss seen is followed by its replacement (or time is up). */
  lost(pc: PoolConnection): void {
    if (this.following.has(pc.id)) {
      return;
    }
    this.following.add(pc.id);
    void (async () => {
      try {
        const until = Date.now() + SAMPLE_FOR_MS;
        while (Date.now() < until && pc.accepting) {
          const workers = await this.sample(pc);
          if (workers !== undefined && workers.every((w) => w.state === 'ready' && this.entry(pc.id, w.index).respawned >= w.respawns)) {
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
        }
      } finally {
        this.following.delete(pc.id);
      }
    })();
  }

  /** Forgets a closed connection. */
  forget(connectionId: string): void {
    this.seen.delete(connectionId);
  }

  private observe(pc: PoolConnection, workers: readonly WorkerSnapshot[]): void {
    for (const w of workers) {
      const seen = this.entry(pc.id, w.index);
      const base = { connectionId: pc.id, browser: pc.browser, worker: w.index, respawns: w.respawns };
      if (w.respawns > seen.down) {
        // Several losses between two samples are reported as one, with how many and the latest reason.
        this.emit('worker:down', { ...base, losses: w.respawns - seen.down, reason: w.lastLoss?.reason ?? 'unknown' });
        seen.down = w.respawns;
      }
      const respawnMs = w.lastLoss?.respawnMs;
      if (w.respawns > seen.respawned && w.state === 'ready' && respawnMs !== undefined && respawnMs !== null) {
        this.emit('worker:respawned', {
          ...base,
          reason: w.lastLoss?.reason ?? 'unknown',
          respawnMs,
          replacement: w.lastLoss?.replacement ?? 'fresh',
          sessions: w.sessions.length,
        });
        seen.respawned = w.respawns;
      }
    }
  }

  private entry(connectionId: string, index: number): Seen {
    let perWorker = this.seen.get(connectionId);
    if (perWorker === undefined) {
      perWorker = new Map();
      this.seen.set(connectionId, perWorker);
    }
    let seen = perWorker.get(index);
    if (seen === undefined) {
      seen = { down: 0, respawned: 0 };
      perWorker.set(index, seen);
    }
    return seen;
  }
}
