/** The reading endpoints: results, comparison, analysis, reports, the read-only query and the metrics. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

import { COMPARE_BY, COMPARE_METRICS, compareModel } from '../analysis/compare';
import { compatibilityMatrix } from '../analysis/compatibility';
import { loadCandidates, recommend } from '../analysis/recommend';
import { regressionRows, validateFilter } from '../report/data';
import { CONTENT_TYPES, OUTPUT_FORMATS, renderReport,REPORT_KINDS } from '../report/kinds';
import { LATEST_SCHEMA_VERSION } from '../store/migrations';
import { sqlTimestamp } from '../store/store';
import { readOnlyQuery } from '../tools/read-only-query';
import { ALLOWED_STATEMENTS, MAX_SQL_CHARS } from '../tools/read-only-sql';
import type { ApiContext } from './context';
import { schemaOf } from './zod-routes';

const days = z.coerce.number().positive().max(36_500).default(30);
const limit = z.coerce.number().int().positive().max(10_000).default(1000);
const filter = { model: z.string().min(1).optional(), browser: z.string().min(1).optional(), days };

const performanceQuery = z.object({ ...filter, backend: z.string().min(1).optional(), batch_size: z.coerce.number().int().positive().optional(), limit }).strict();
const comparisonQuery = z.object({ metric: z.enum(COMPARE_METRICS).default('latency'), by: z.enum(COMPARE_BY).default('browser'), days }).strict();
const integrationQuery = z.object({ status: z.enum(['pass', 'fail', 'error', 'skip']).optional(), model: z.string().min(1).optional(), limit }).strict();
const regressionsQuery = z.object({ ...filter, status: z.enum(['open', 'acknowledged', 'resolved']).optional() }).strict();
const reportQuery = z.object({ ...filter, format: z.enum(OUTPUT_FORMATS).default('json') }).strict();
const queryBody = z.object({
  sql: z.string().min(1).max(MAX_SQL_CHARS).describe(ALLOWED_STATEMENTS),
  limit: z.number().int().positive().max(100_000).optional().describe('most rows (capped by the server row limit)'),
}).strict();

const ENDPOINTS = [
  'GET /health', 'GET|POST /performance', 'GET /performance/comparison/:model', 'GET|POST /compatibility', 'GET|POST /integration', 'POST /ingest',
  'POST /query', 'GET /hardware', 'GET /models', 'GET /regressions', 'POST /regressions/:id/status', 'GET /recommendations', 'GET /reports/:kind', 'GET /metrics', 'GET /openapi.json',
];

export function registerReadRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { store } = ctx;

  app.get('/', { schema: { summary: 'What this server is and its endpoints' } }, () => Promise.resolve({
    name: 'browser-pool benchmark API',
    database: store.path,
    schemaVersion: store.schemaVersion,
    endpoints: ENDPOINTS,
    writes: 'POST needs Authorization: Bearer <token>',
  }));

  app.get('/health', { schema: { summary: 'Liveness and database check' } }, async () => {
    await store.one('SELECT 1');
    return { status: 'ok', schemaVersion: store.schemaVersion, latestSchemaVersion: LATEST_SCHEMA_VERSION };
  });

  app.get('/performance', { schema: { summary: 'Stored measurements (benchmark results and pool time series), newest first', querystring: schemaOf(performanceQuery) } }, async (request) => {
    const q = request.query as z.output<typeof performanceQuery>;
    store.flushAll();
    return store.all(
      `SELECT * EXCLUDE (recorded_at), epoch_ms(recorded_at) AS recorded_at_ms FROM measurements
       WHERE recorded_at >= ?::TIMESTAMP AND (?::VARCHAR IS NULL OR model_name = ?) AND (?::VARCHAR IS NULL OR browser = ?)
         AND (?::VARCHAR IS NULL OR backend = ?) AND (?::INTEGER IS NULL OR batch_size = ?)
       ORDER BY recorded_at DESC LIMIT ?`,
      [sqlTimestamp(new Date(Date.now() - q.days * 86_400_000)), q.model ?? null, q.model ?? null, q.browser ?? null, q.browser ?? null, q.backend ?? null, q.backend ?? null, q.batch_size ?? null, q.batch_size ?? null, q.limit],
    );
  });

  app.get('/performance/comparison/:model', {
    schema: { summary: 'One metric per browser, backend or batch size for a model, with ratios to the best', params: schemaOf(z.object({ model: z.string().min(1) })), querystring: schemaOf(comparisonQuery) },
  }, async (request) => {
    const { model } = request.params as { model: string };
    const q = request.query as z.output<typeof comparisonQuery>;
    return { model, metric: q.metric, by: q.by, rows: await compareModel(store, { model, ...q }) };
  });

  app.get('/compatibility', { schema: { summary: 'Latest known outcome per model x browser x backend', querystring: schemaOf(z.object({ model: filter.model, browser: filter.browser }).strict()) } }, async (request) =>
    compatibilityMatrix(store, request.query as { model?: string; browser?: string }),
  );

  app.get('/integration', { schema: { summary: 'Integration test results, newest first', querystring: schemaOf(integrationQuery) } }, async (request) => {
    const q = request.query as z.output<typeof integrationQuery>;
    return store.all(
      `SELECT i.* EXCLUDE (dedupe_key), m.model_name FROM integration_test_results i LEFT JOIN models m USING (model_id)
       WHERE (?::VARCHAR IS NULL OR status = ?) AND (?::VARCHAR IS NULL OR m.model_name = ?) ORDER BY created_at DESC LIMIT ?`,
      [q.status ?? null, q.status ?? null, q.model ?? null, q.model ?? null, q.limit],
    );
  });

  app.post('/query', {
    schema: {
      summary: 'One read-only SQL statement; rows, answer bytes and time capped',
      description: `Parsed by DuckDB: exactly one statement whose prepared type is SELECT (or EXPLAIN of one), run in a READ ONLY transaction with file access off. At most ${ctx.queryRowLimit} rows (truncated: true when cut), ${ctx.queryByteLimit} bytes of rows (over it: 400 E_DB_RESULT_TOO_LARGE), ${ctx.queryTimeoutMs} ms (408 E_DB_QUERY_TIMEOUT).`,
      body: schemaOf(queryBody),
    },
  }, async (request) => {
    const body = request.body as z.output<typeof queryBody>;
    return readOnlyQuery(store, body.sql, { maxRows: Math.min(body.limit ?? ctx.queryRowLimit, ctx.queryRowLimit), maxBytes: ctx.queryByteLimit, timeoutMs: ctx.queryTimeoutMs });
  });

  app.get('/hardware', { schema: { summary: 'Hardware platforms (browser x version x backend x adapter on a host)' } }, async () => store.all('SELECT * FROM hardware_platforms ORDER BY hardware_id'));
  app.get('/models', { schema: { summary: 'Models with results' } }, async () => store.all('SELECT * FROM models ORDER BY model_id'));

  app.get('/regressions', { schema: { summary: 'Detected regressions, most severe first', querystring: schemaOf(regressionsQuery) } }, async (request) => {
    const q = request.query as z.output<typeof regressionsQuery>;
    const rows = await regressionRows(store, validateFilter(q));
    return q.status === undefined ? rows : rows.filter((r) => r.status === q.status);
  });

  app.get('/recommendations', { schema: { summary: 'Where each model type (and model) should run, from stored measurements' } }, async () => recommend(await loadCandidates(store)));

  app.get('/reports/:kind', {
    schema: { summary: 'A report as md, html, json or csv', params: schemaOf(z.object({ kind: z.enum(REPORT_KINDS) })), querystring: schemaOf(reportQuery) },
  }, async (request, reply) => {
    const { kind } = request.params as { kind: string };
    const { format, ...f } = request.query as z.output<typeof reportQuery>;
    const body = await renderReport(store, kind, format, f);
    return reply.type(CONTENT_TYPES[format]).send(body);
  });

  app.get('/metrics', { schema: { summary: 'Prometheus text format: API, database and latest pool counters' } }, async (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(await ctx.metrics.render(store)),
  );
}
