/**
 * The pool's memory budget in real Chromium: a connection holding more than `modelBudgetMB` of model files releases
 * its coldest copy (the page session really goes), and a later call for it loads it again, equal to the reference;
 * the DuckDB recorder stores each release in `model_evictions`.
 */
import { PoolRecorder, Store } from '@browser-pool/db-integration';
import { ModelCatalogue, runReference } from '@browser-pool/models';
import { ResourcePool } from '@browser-pool/pool';
import { describe, expect, it } from 'vitest';

import { collect, FP32_TOLERANCE, worstDiff } from './helpers';

const catalogue = ModelCatalogue.default();
const MiB = 1024 * 1024;

describe('modelBudgetMB', () => {
  it('over the budget the least recently used copy is released; a later call loads it again, outputs equal the reference', async () => {
    // bert-small (3.6 MiB) + vit-small (1.6 MiB) do not fit 5 MiB together.
    const pool = new ResourcePool({ catalogue, browsers: ['chromium'], backends: ['wasm'], health: { knownAnswerIntervalMs: 0 }, modelBudgetMB: 5 });
    const store = await Store.open({ path: ':memory:' });
    const recorder = await PoolRecorder.create(store, { flushIntervalMs: 100, metricsIntervalMs: 0 });
    try {
      await pool.initialize();
      recorder.attach(pool);
      const evicted = collect(pool, 'model:evicted');
      const bert = catalogue.get('bert-small');
      const vit = catalogue.get('vit-small');
      const [bertIn, vitIn] = [bert.sampleInputs({ seed: 3 }), vit.sampleInputs({ seed: 4 })];
      const [bertRef, vitRef] = await Promise.all([runReference(await bert.source(), bertIn), runReference(await vit.source(), vitIn)]);
      const bertModel = await pool.getModel('text_embedding', 'bert-small');
      expect(worstDiff((await bertModel.run(bertIn)).outputs, bertRef)).toBeLessThanOrEqual(FP32_TOLERANCE);

      const vitModel = await pool.getModel('vision', 'vit-small');
      const conn = pool.connections[0]!;
      expect(evicted).toMatchObject([{ model: 'bert-small', connectionId: conn.id, copiesElsewhere: 0, budgetBytes: 5 * MiB }]);
      expect(evicted[0]!.heldBytes).toBeGreaterThan(5 * MiB);
      expect(pool.stats().connections[0]).toMatchObject({ models: ['vit-small'], evictions: 1 });
      expect(pool.stats().connections[0]!.modelBytes).toBeLessThanOrEqual(5 * MiB);

      // bert-small comes back on demand (and now vit-small, idle, makes room for it).
      const again = await bertModel.run(bertIn);
      expect(again.timings.firstRun).toBe(true); // a fresh session: the copy really was released
      expect(worstDiff(again.outputs, bertRef)).toBeLessThanOrEqual(FP32_TOLERANCE);
      expect(evicted.map((e) => e.model)).toEqual(['bert-small', 'vit-small']);
      expect(worstDiff((await vitModel.run(vitIn)).outputs, vitRef)).toBeLessThanOrEqual(FP32_TOLERANCE);
      expect(pool.stats().evictions).toBe(3);

      recorder.checkpoint();
      const rows = await store.all('SELECT model_name, connection_id, browser, bytes, held_bytes, budget_bytes, copies_elsewhere, idle_ms, reason, run_id FROM model_evictions ORDER BY id');
      expect(rows.map((r) => r.model_name)).toEqual(['bert-small', 'vit-small', 'bert-small']);
      expect(rows[0]).toEqual({
        model_name: 'bert-small',
        connection_id: conn.id,
        browser: 'chromium',
        bytes: evicted[0]!.bytes,
        held_bytes: evicted[0]!.heldBytes,
        budget_bytes: 5 * MiB,
        copies_elsewhere: 0,
        idle_ms: evicted[0]!.idleMs,
        reason: evicted[0]!.reason,
        run_id: recorder.runId,
      });
    } finally {
      await recorder.close();
      await pool.close();
      store.close();
    }
  }, 60_000);
});
