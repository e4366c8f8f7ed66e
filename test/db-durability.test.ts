/**
 * Durability of the recorder's writers, with real process deaths: after close() nothing is lost; after SIGKILL
 * every flushed batch is in the file and the file opens cleanly (DuckDB replays its WAL).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Store } from '@browser-pool/db-integration';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'bp-durable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHILD = join(import.meta.dirname, 'fixtures', 'durability-writer.ts');

/** Runs the writer child; resolves with its last "flushed"/"closed" count once `until` matches (then kills it if asked). */
function runChild(path: string, mode: 'kill' | 'close'): Promise<{ flushed: number; closed: number | undefined; signal: string | null }> {
  return new Promise((resolve, reject) => {
    // One process (node --import tsx), so SIGKILL hits the writer itself and not a wrapper.
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let flushed = 0;
    let closed: number | undefined;
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const m of buffer.matchAll(/(flushed|closed) (\d+)\n/g)) {
        if (m[1] === 'flushed') {
          flushed = Number(m[2]);
        } else {
          closed = Number(m[2]);
        }
      }
      if (mode === 'kill' && flushed === 5000) {
        setTimeout(() => child.kill('SIGKILL'), 200); // let unflushed rows pile up first
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ flushed, closed, signal }));
  });
}

describe('recorder durability', () => {
  it('after SIGKILL, every flushed batch is in the file and it opens cleanly', async () => {
    const path = join(dir, 'killed.duckdb');
    const { flushed, signal } = await runChild(path, 'kill');
    expect(signal).toBe('SIGKILL');
    expect(flushed).toBe(5000);
    const store = await Store.open({ path });
    const n = (await store.one<{ n: number }>('SELECT count(*) AS n FROM resource_pool_metrics'))!.n;
    expect(n).toBeGreaterThanOrEqual(flushed);
    // Ids stay unique after recovery and new writes continue after them.
    expect(await store.one('SELECT count(DISTINCT id) = count(*) AS unique_ids FROM resource_pool_metrics')).toEqual({ unique_ids: true });
    expect(await store.nextId('resource_pool_metrics', 'id')).toBe(n + 1);
    store.close();
  }, 60_000);

  it('after close(), nothing pushed is lost', async () => {
    const path = join(dir, 'closed.duckdb');
    const { closed } = await runChild(path, 'close');
    expect(closed).toBe(5777);
    const store = await Store.open({ path });
    expect(await store.one('SELECT count(*) AS n FROM resource_pool_metrics')).toEqual({ n: 5777 });
    store.close();
  }, 60_000);
});
