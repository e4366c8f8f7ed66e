/**
 * Idempotency keys of ingest batches (`ingest_batches`): a batch is stored together with its key in one
 * transaction, so a retried batch finds its key and gets the first answer back instead of being stored again; the
 * same key with a different body is a conflict. Callers serialize writes (one transaction at a time on the store).
 */
import { createHash } from 'node:crypto';

import { sqlTimestamp, type Store } from './store';

/** A canonical hash of a JSON value: object keys sorted at every level. */
export function canonicalSha256(value: unknown): string {
  const sorted = JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
  return createHash('sha256').update(sorted).digest('hex');
}

export type KeyedOutcome<T> =
  | { status: 'stored'; outcome: T }
  | { status: 'replayed'; outcome: T; receivedAt: string }
  | { status: 'conflict'; receivedAt: string };

export interface KeyedBatch {
  key: string;
  bodySha256: string;
  rows: number;
  source: string | undefined;
}

/**
 * Runs `store` (which writes the batch) and records the key with its answer, in one transaction; or, when the key
 * is known, returns the recorded answer (same body) or a conflict (different body) without writing anything.
 */
export async function storeOnce<T extends object>(store: Store, batch: KeyedBatch, write: () => Promise<T>): Promise<KeyedOutcome<T>> {
  return store.transaction(async () => {
    const known = await store.one<{ body_sha256: string; outcome: string; received_at: Date }>(
      'SELECT body_sha256, outcome, received_at FROM ingest_batches WHERE idempotency_key = ?',
      [batch.key],
    );
    if (known !== undefined) {
      const receivedAt = known.received_at.toISOString();
      return known.body_sha256 === batch.bodySha256 ? { status: 'replayed', outcome: JSON.parse(known.outcome) as T, receivedAt } : { status: 'conflict', receivedAt };
    }
    const outcome = await write();
    await store.run(
      'INSERT INTO ingest_batches (idempotency_key, body_sha256, received_at, source, rows, outcome) VALUES (?, ?, ?::TIMESTAMP, ?, ?, ?::JSON)',
      [batch.key, batch.bodySha256, sqlTimestamp(new Date()), batch.source ?? null, batch.rows, JSON.stringify(outcome)],
    );
    return { status: 'stored', outcome };
  });
}
