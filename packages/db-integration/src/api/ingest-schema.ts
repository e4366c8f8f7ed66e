/**
 * The body of `POST /ingest`: results of any kind in one batch, `{performance?, compatibility?, integration?}`, each a
 * list of the same result objects `POST /performance` etc. take. The batch is stored whole or not at all.
 */
import { z } from 'zod';

import { compatibilityResultSchema, integrationResultSchema, performanceResultSchema } from '../tools/result-schemas';

export const INGEST_KINDS = ['performance', 'compatibility', 'integration'] as const;
export type IngestKind = (typeof INGEST_KINDS)[number];

/** Most results in one batch, all kinds together. @default of `browser-pool serve --ingest-max-rows` */
export const DEFAULT_INGEST_MAX_ROWS = 5_000;

/** An idempotency key: what a sender chooses per batch (a UUID does), kept with the batch for good. */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

export const ingestBatchSchema = z
  .object({
    performance: z.array(performanceResultSchema).optional(),
    compatibility: z.array(compatibilityResultSchema).optional(),
    integration: z.array(integrationResultSchema).optional(),
  })
  .strict()
  .refine((b) => INGEST_KINDS.some((k) => (b[k]?.length ?? 0) > 0), { message: 'the batch holds no result', params: { expected: 'at least one result in performance, compatibility or integration' } });
export type IngestBatch = z.output<typeof ingestBatchSchema>;
export type IngestBatchInput = z.input<typeof ingestBatchSchema>;

export const ingestHeadersSchema = z.looseObject({
  'idempotency-key': z.string().regex(IDEMPOTENCY_KEY, { error: 'not 8-128 characters of A-Z a-z 0-9 . _ : -' }),
  'x-ingest-source': z.string().min(1).max(200).optional(),
});

/** Stored per kind, and in all. */
export interface IngestOutcome {
  key: string;
  rows: number;
  inserted: number;
  duplicates: number;
  kinds: Partial<Record<IngestKind, { inserted: number; duplicates: number }>>;
}

/** Results in a body not yet validated (counted before any schema runs, so an oversize batch costs no validation). */
export function countResults(body: unknown): number {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return 0;
  }
  const record = body as Record<string, unknown>;
  return INGEST_KINDS.reduce((n, k) => n + (Array.isArray(record[k]) ? record[k].length : 0), 0);
}
