/**
 * `POST /ingest`: a batch of results of any kind from a remote orchestrator, stored whole or not at all, once per
 * `Idempotency-Key`. A retry of a stored batch (same key, same body) gets the first answer again (201 with
 * `Idempotent-Replayed: true`) and stores nothing; the key with another body is 409 `E_IDEMPOTENCY_CONFLICT`. Refusals
 * in order: token (401, before the body is read), body size (413 `E_BODY_TOO_LARGE`), JSON depth (400), result count
 * (413 `E_BATCH_TOO_LARGE`, counted before validation), headers and body schema (400 `E_BAD_REQUEST`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { Dimensions } from '../store/dimensions';
import { canonicalSha256, storeOnce } from '../store/ingest-batches';
import { insertCompatibility, insertIntegration, insertPerformance } from '../tools/results';
import type { ApiContext } from './context';
import { HttpError } from './http-errors';
import { countResults, type IngestBatch, ingestBatchSchema, ingestHeadersSchema, type IngestKind, type IngestOutcome } from './ingest-schema';
import { schemaOf } from './zod-routes';

const TABLES: Record<IngestKind, string> = { performance: 'performance_results', compatibility: 'hardware_compatibility', integration: 'integration_test_results' };

const outcomeSchema = schemaOf(z.object({
  key: z.string(),
  rows: z.number().int(),
  inserted: z.number().int(),
  duplicates: z.number().int(),
  kinds: z.record(z.string(), z.object({ inserted: z.number().int(), duplicates: z.number().int() })),
}));

export function registerIngestRoute(app: FastifyInstance, ctx: ApiContext, maxRows: number): void {
  const tooMany = (request: FastifyRequest): Promise<void> => {
    const n = countResults(request.body);
    if (n > maxRows) {
      return Promise.reject(new HttpError(413, 'E_BATCH_TOO_LARGE', { field: 'body', problem: `${n} results in one batch, more than ${maxRows}`, expected: `at most ${maxRows} results per batch (split it; each part with its own Idempotency-Key)` }));
    }
    return Promise.resolve();
  };
  app.post('/ingest', {
    onRequest: ctx.requireToken,
    preValidation: tooMany,
    schema: {
      summary: 'Store a batch of results of any kind once per Idempotency-Key (remote orchestrators)',
      description: `{"performance": [...], "compatibility": [...], "integration": [...]} with at most ${maxRows} results in all, stored in one transaction (all or nothing). ` +
        'Idempotency-Key header (8-128 of A-Z a-z 0-9 . _ : -) required: a retry with the same key and body returns the first answer (Idempotent-Replayed: true) and stores nothing; the key with another body is 409. X-Ingest-Source optional.',
      headers: schemaOf(ingestHeadersSchema),
      body: schemaOf(ingestBatchSchema),
      security: [{ bearer: [] }],
      response: { 201: outcomeSchema },
    },
  }, async (request, reply) => {
    const batch = request.body as IngestBatch;
    const headers = request.headers as z.output<typeof ingestHeadersSchema>;
    const key = headers['idempotency-key'];
    const rows = countResults(batch);
    const result = await ctx.exclusive(() => storeOnce<IngestOutcome>(ctx.store, { key, bodySha256: canonicalSha256(batch), rows, source: headers['x-ingest-source'] }, async () => {
      const dims = new Dimensions(ctx.store);
      const kinds: IngestOutcome['kinds'] = {};
      if (batch.performance !== undefined && batch.performance.length > 0) {
        kinds.performance = await insertPerformance(ctx.store, batch.performance, null, dims);
      }
      if (batch.compatibility !== undefined && batch.compatibility.length > 0) {
        kinds.compatibility = await insertCompatibility(ctx.store, batch.compatibility, null, dims);
      }
      if (batch.integration !== undefined && batch.integration.length > 0) {
        kinds.integration = await insertIntegration(ctx.store, batch.integration, null, dims);
      }
      const all = Object.values(kinds);
      return { key, rows, inserted: all.reduce((n, o) => n + o.inserted, 0), duplicates: all.reduce((n, o) => n + o.duplicates, 0), kinds };
    }));
    if (result.status === 'conflict') {
      throw new HttpError(409, 'E_IDEMPOTENCY_CONFLICT', {
        field: 'header.idempotency-key',
        problem: `${key} was used at ${result.receivedAt} for a different batch`,
        expected: 'a new key for a new batch (a retry must resend exactly the same body)',
      });
    }
    if (result.status === 'stored') {
      for (const [kind, o] of Object.entries(result.outcome.kinds)) {
        ctx.metrics.rowsWritten(TABLES[kind as IngestKind], o.inserted);
      }
    }
    return reply.status(201).header('idempotent-replayed', result.status === 'replayed' ? 'true' : 'false').send(result.outcome);
  });
}
