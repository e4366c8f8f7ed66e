import type { WorkerSnapshot } from '@browser-pool/browser-harness';
import { describe, expect, it } from 'vitest';

import type { EmitPoolEvent } from './fleet';
import type { PoolConnection } from './pool-connection';
import { WorkerWatch } from './worker-watch';

function fakeConnection(snapshots: WorkerSnapshot[][]): PoolConnection {
  let i = 0;
  const connection = { workers: () => Promise.resolve(snapshots[Math.min(i++, snapshots.length - 1)]!) };
  return { id: 'c1', browser: 'chromium', accepting: true, connection } as unknown as PoolConnection;
}

const worker = (respawns: number, state: WorkerSnapshot['state'], respawnMs: number | null, reason = 'crashed (boom)'): WorkerSnapshot => ({
  index: 1,
  state,
  sessions: [{ sessionId: 's1', modelId: 'bert-tiny' }],
  inFlight: 0,
  respawns,
  ...(respawns === 0 ? {} : { lastLoss: { reason, respawnMs, replacement: 'warm spare' as const } }),
});

describe('WorkerWatch', () => {
  it('reports each loss once as down, then once as respawned when the replacement is ready', async () => {
    const events: [string, unknown][] = [];
    const watch = new WorkerWatch(((name: string, payload: unknown) => events.push([name, payload])));
    const pc = fakeConnection([[worker(0, 'ready', null)], [worker(1, 'respawning', null)], [worker(1, 'respawning', null)], [worker(1, 'ready', 120)], [worker(1, 'ready', 120)], [worker(3, 'ready', 90, 'missed the deadline of a run call')]]);
    for (let i = 0; i < 6; i++) {
      await watch.sample(pc);
    }
    expect(events).toEqual([
      ['worker:down', { connectionId: 'c1', browser: 'chromium', worker: 1, respawns: 1, losses: 1, reason: 'crashed (boom)' }],
      ['worker:respawned', { connectionId: 'c1', browser: 'chromium', worker: 1, respawns: 1, reason: 'crashed (boom)', respawnMs: 120, replacement: 'warm spare', sessions: 1 }],
      // Two losses between samples: one down event saying so, with the latest reason.
      ['worker:down', { connectionId: 'c1', browser: 'chromium', worker: 1, respawns: 3, losses: 2, reason: 'missed the deadline of a run call' }],
      ['worker:respawned', { connectionId: 'c1', browser: 'chromium', worker: 1, respawns: 3, reason: 'missed the deadline of a run call', respawnMs: 90, replacement: 'warm spare', sessions: 1 }],
    ]);
  });

  it('after an E_WORKER_LOST, samples until the replacement is ready', async () => {
    const events: string[] = [];
    const watch = new WorkerWatch(((name: string) => events.push(name)) as EmitPoolEvent);
    watch.lost(fakeConnection([[worker(1, 'respawning', null)], [worker(1, 'respawning', null)], [worker(1, 'ready', 300)]]));
    await expect.poll(() => events, { timeout: 2000 }).toEqual(['worker:down', 'worker:respawned']);
  });
});
