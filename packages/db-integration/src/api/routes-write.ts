/**
 * POST /performance, /compatibility, /integration: one result (as the old API's clients send) or a batch of them,
 * each request stored in one transaction; POST /regressions/:id/status. The token is checked before the body is read.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

import { setRegressionStatus } from '../analysis/regression-scan';
import type { Store } from '../store/store';
import { batchOf, compatibilityResultSchema, integrationResultSchema, performanceResultSchema } from '../tools/result-schemas';
import { insertCompatibility, insertIntegration, type InsertOutcome, insertPerformance } from '../tools/results';
import type { ApiContext } from './context';
import { schemaOf, singleOrBatch } from './zod-routes';

const outcomeSchema = schemaOf(z.object({ inserted: z.number().int(), duplicates: z.number().int() }));

/** Writes share one connection: one batch's transaction at a time (`/ingest` shares the same queue). */
export function serialized(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  };
}

export function registerWriteRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { exclusive } = ctx;
  const route = <S extends z.ZodType>(url: string, table: string, summary: string, item: S, insert: (store: Store, rows: z.output<S>[]) => Promise<InsertOutcome>) => {
    const body = batchOf(item);
    app.post(url, {
      onRequest: ctx.requireToken,
      schema: {
        summary,
        description: 'Send one result object, or {"results": [...]} with up to 10 000. Limits are in info.x-limits; JSON fields (metrics, metadata) at most 8 levels deep and 64 KiB.',
        body: singleOrBatch(item, body),
        security: [{ bearer: [] }],
        response: { 201: outcomeSchema },
      },
    }, async (request, reply) => {
      const { results } = request.body as z.output<typeof body>;
      const outcome = await exclusive(() => ctx.store.transaction(() => insert(ctx.store, results as z.output<S>[])));
      ctx.metrics.rowsWritten(table, outcome.inserted);
      return reply.status(201).send(outcome);
    });
  };
  route('/performance', 'performance_results', 'Store benchmark results (a result sent twice is stored once)', performanceResultSchema, (s, r) => insertPerformance(s, r, null));
  route('/compatibility', 'hardware_compatibility', 'Store compatibility outcomes', compatibilityResultSchema, (s, r) => insertCompatibility(s, r, null));
  const statusBody = z.object({ status: z.enum(['open', 'acknowledged', 'resolved']), note: z.string().max(2000).optional() }).strict();
  app.post('/regressions/:id/status', {
    onRequest: ctx.requireToken,
    schema: { summary: 'Acknowledge, resolve or re-open a detected regression', params: schemaOf(z.object({ id: z.coerce.number().int().positive() })), body: schemaOf(statusBody), security: [{ bearer: [] }] },
  }, async (request) => {
    const { id } = request.params as { id: number };
    const { status, note } = request.body as z.output<typeof statusBody>;
    await exclusive(() => setRegressionStatus(ctx.store, id, status, note));
    return { id, status };
  });
  route('/integration', 'integration_test_results', 'Store integration test results', integrationResultSchema, (s, r) => insertIntegration(s, r, null));
}
