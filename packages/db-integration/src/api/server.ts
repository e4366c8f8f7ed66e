/**
 * The REST API over the benchmark database (`browser-pool serve`). Loopback by default; writes need a bearer token;
 * a non-loopback address without a token is refused. Order of refusals: Host (DNS rebinding), then the token
 * (before the body is even parsed), then the body's JSON depth, then the zod schemas that also produce the OpenAPI
 * document (`GET /openapi.json`). Errors are `{error: {code, message, field, problem, expected}}` with a 4xx status
 * for anything the caller sent.
 */
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';

import { DbError, DbErrorCode } from '../errors';
import type { Store } from '../store/store';
import { ALLOWED_STATEMENTS } from '../tools/read-only-sql';
import type { ApiContext } from './context';
import { useHostCheck } from './host-check';
import { type ErrorDetails, fastifyDetails, HttpError, messageOf } from './http-errors';
import { DEFAULT_INGEST_MAX_ROWS } from './ingest-schema';
import { MAX_BODY_DEPTH, useJsonBodyParser } from './json-body';
import { Metrics } from './metrics';
import { registerIngestRoute } from './routes-ingest';
import { registerReadRoutes } from './routes-read';
import { registerWriteRoutes, serialized } from './routes-write';
import { useZodValidation } from './zod-routes';

export interface ApiOptions {
  store: Store;
  /** Bearer token that writes (POST) must send. @default BROWSER_POOL_TOKEN, else none (writes refused) */
  token?: string;
  /** Largest request body in bytes. @default 10 MiB */
  bodyLimit?: number;
  /** Most rows `/query` returns. @default 10_000 */
  queryRowLimit?: number;
  /** `/query` statement timeout (ms). @default 10_000 */
  queryTimeoutMs?: number;
  /** Most bytes of a `/query` answer's rows as JSON; a larger answer is refused with a 4xx. @default 32 MiB */
  queryByteLimit?: number;
  /**
   * Host names (optionally `name:port`) accepted besides the bound address, localhost, 127.0.0.1 and [::1] with
   * the bound port, e.g. the name other machines use to reach a non-loopback bind. @default none
   */
  allowedHosts?: string[];
  /** Origins allowed by CORS. @default none (CORS off) */
  corsOrigins?: string[];
  /** Most results in one `POST /ingest` batch (more: 413 E_BATCH_TOO_LARGE). @default 5000 */
  ingestMaxRows?: number;
}

export interface ListenOptions {
  /** @default 127.0.0.1 */
  host?: string;
  /** 0 picks a free port. @default 8765 */
  port?: number;
}

const STATUS: Partial<Record<string, number>> = {
  [DbErrorCode.InvalidArgument]: 400,
  [DbErrorCode.ReadOnlyViolation]: 400,
  [DbErrorCode.ResultTooLarge]: 400,
  [DbErrorCode.ImportFormat]: 400,
  [DbErrorCode.Query]: 400,
  [DbErrorCode.QueryTimeout]: 408,
  [DbErrorCode.Closed]: 503,
};

function tokenMatches(expected: string, header: string | undefined): boolean {
  const given = header?.startsWith('Bearer ') === true ? header.slice(7) : '';
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What to send instead, per database error code a caller can cause. */
const DB_EXPECTED: Partial<Record<string, string>> = {
  [DbErrorCode.ReadOnlyViolation]: ALLOWED_STATEMENTS,
  [DbErrorCode.ResultTooLarge]: 'a narrower query: fewer or shorter columns, WHERE, LIMIT or an aggregate',
  [DbErrorCode.Query]: 'SQL that DuckDB can run against the documented tables and views',
  [DbErrorCode.QueryTimeout]: 'a cheaper query (WHERE on recorded_at/created_at, LIMIT, fewer joins)',
  [DbErrorCode.InvalidArgument]: 'a value as documented in GET /openapi.json',
};

/** The limits a caller must respect, stated once for the OpenAPI document and the error messages. */
export function apiLimits(o: { bodyLimit: number; queryRowLimit: number; queryByteLimit: number; queryTimeoutMs: number; ingestMaxRows: number }): Record<string, number | string> {
  return {
    bodyBytes: o.bodyLimit,
    batchResults: 10_000,
    ingestBatchResults: o.ingestMaxRows,
    bodyJsonDepth: MAX_BODY_DEPTH,
    jsonFieldDepth: 8,
    jsonFieldBytes: 65_536,
    integerColumnsMax: 2_147_483_647,
    queryRows: o.queryRowLimit,
    queryAnswerBytes: o.queryByteLimit,
    queryTimeoutMs: o.queryTimeoutMs,
    sqlChars: 100_000,
  };
}

export async function createApi(options: ApiOptions): Promise<FastifyInstance> {
  const token = options.token ?? process.env.BROWSER_POOL_TOKEN;
  const bodyLimit = options.bodyLimit ?? 10 * 1024 * 1024;
  const queryRowLimit = options.queryRowLimit ?? 10_000;
  const queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
  const queryByteLimit = options.queryByteLimit ?? 32 * 1024 * 1024;
  const ingestMaxRows = options.ingestMaxRows ?? DEFAULT_INGEST_MAX_ROWS;
  // Caller SQL runs on this instance: from here on it can reach no file but its own and change no setting.
  await options.store.lockDown();
  const app = Fastify({
    bodyLimit,
    logger: false,
    // a URL that does not decode never reaches a route or the error handler
    frameworkErrors: (error, _request, reply) => {
      const details = { field: 'url', problem: error.message, expected: 'a URL whose %-escapes decode (e.g. %20), as GET / lists' };
      void (reply as FastifyReply).status(400).send({ error: { code: 'E_BAD_REQUEST', message: messageOf(details), ...details } });
    },
  });
  useZodValidation(app);
  useJsonBodyParser(app);
  const metrics = new Metrics();
  const limits = apiLimits({ bodyLimit, queryRowLimit, queryByteLimit, queryTimeoutMs, ingestMaxRows });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'browser-pool benchmark API',
        version: '0.1.0',
        description: `Benchmark results, compatibility, analysis and reports over the DuckDB benchmark database. Limits: ${Object.entries(limits).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
        'x-limits': limits,
      } as { title: string; version: string; description: string },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  if (options.corsOrigins !== undefined && options.corsOrigins.length > 0) {
    await app.register(cors, { origin: options.corsOrigins });
  }
  useHostCheck(app, options.allowedHosts ?? []);
  app.addHook('onResponse', async (request, reply) => {
    metrics.request(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode);
  });
  app.setErrorHandler((error: FastifyError | DbError | HttpError, _request, reply) => {
    if (error instanceof HttpError) {
      return reply.status(error.statusCode).send(error.body());
    }
    if (error instanceof DbError) {
      const status = STATUS[error.code] ?? 500;
      const expected = DB_EXPECTED[error.code];
      const details: Partial<ErrorDetails> = status < 500 && expected !== undefined ? { field: error.code === DbErrorCode.InvalidArgument ? 'request' : 'body.sql', problem: error.message, expected } : {};
      return reply.status(status).send({ error: { code: error.code, message: error.message, ...details } });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      return reply.status(status).send({ error: { code: 'E_INTERNAL', message: error.message } });
    }
    const details = fastifyDetails(error.code, error.message);
    return reply.status(status).send({ error: { code: status === 415 ? 'E_UNSUPPORTED_MEDIA_TYPE' : status === 413 ? 'E_BODY_TOO_LARGE' : 'E_BAD_REQUEST', message: messageOf(details), ...details } });
  });
  app.setNotFoundHandler((request, reply) => {
    const details = { field: 'url', problem: `no route ${request.method} ${request.url.slice(0, 200)}`, expected: 'one of the endpoints GET / lists' };
    void reply.status(404).send({ error: { code: 'E_NOT_FOUND', message: messageOf(details), ...details } });
  });
  const unauthorized = (problem: string): HttpError => new HttpError(401, 'E_UNAUTHORIZED', { field: 'header.authorization', problem, expected: 'Authorization: Bearer <token> (the token the server was started with)' });
  const context: ApiContext = {
    store: options.store,
    metrics,
    queryRowLimit,
    queryTimeoutMs,
    queryByteLimit,
    requireToken: (request) => {
      if (token === undefined || token === '') {
        return Promise.reject(unauthorized('writes are disabled: the server was started without --token or BROWSER_POOL_TOKEN'));
      }
      if (!tokenMatches(token, request.headers.authorization)) {
        return Promise.reject(unauthorized(request.headers.authorization === undefined ? 'missing' : 'not the server\'s bearer token'));
      }
      return Promise.resolve();
    },
    exclusive: serialized(),
  };
  registerReadRoutes(app, context);
  registerWriteRoutes(app, context);
  registerIngestRoute(app, context, ingestMaxRows);
  app.get('/openapi.json', { schema: { hide: true } }, () => Promise.resolve(app.swagger()));
  return app;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Starts listening; refuses a non-loopback host without a token. Returns the URL. */
export async function listen(app: FastifyInstance, token: string | undefined, options: ListenOptions = {}): Promise<string> {
  const host = options.host ?? '127.0.0.1';
  const loopback = LOOPBACK.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
  if (!loopback && (token ?? process.env.BROWSER_POOL_TOKEN ?? '') === '') {
    throw new DbError(DbErrorCode.InvalidArgument, `refusing to listen on ${host} without a token: set --token or BROWSER_POOL_TOKEN, or bind 127.0.0.1`);
  }
  return app.listen({ host, port: options.port ?? 8765 });
}
