/**
 * The REST API over the benchmark database (`browser-pool serve`). Loopback by default; writes need a bearer token;
 * a non-loopback address without a token is refused. Requests are validated by zod schemas that also produce the
 * OpenAPI document (`GET /openapi.json`). Errors are `{error: {code, message}}` with a 4xx status for anything the
 * caller sent.
 */
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

import { DbError, DbErrorCode } from '../errors';
import type { Store } from '../store/store';
import { Metrics } from './metrics';
import { registerReadRoutes } from './routes-read';
import { registerWriteRoutes } from './routes-write';
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
  /** Origins allowed by CORS. @default none (CORS off) */
  corsOrigins?: string[];
}

export interface ListenOptions {
  /** @default 127.0.0.1 */
  host?: string;
  /** 0 picks a free port. @default 8765 */
  port?: number;
}

/** The context each route module gets. */
export interface ApiContext {
  store: Store;
  metrics: Metrics;
  queryRowLimit: number;
  queryTimeoutMs: number;
  /** preHandler of mutating routes. */
  requireToken: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

const STATUS: Partial<Record<string, number>> = {
  [DbErrorCode.InvalidArgument]: 400,
  [DbErrorCode.ReadOnlyViolation]: 400,
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

export async function createApi(options: ApiOptions): Promise<FastifyInstance> {
  const token = options.token ?? process.env.BROWSER_POOL_TOKEN;
  const app = Fastify({ bodyLimit: options.bodyLimit ?? 10 * 1024 * 1024, logger: false });
  useZodValidation(app);
  const metrics = new Metrics();
  await app.register(swagger, {
    openapi: {
      info: { title: 'browser-pool benchmark API', version: '0.1.0', description: 'Benchmark results, compatibility, analysis and reports over the DuckDB benchmark database.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  if (options.corsOrigins !== undefined && options.corsOrigins.length > 0) {
    await app.register(cors, { origin: options.corsOrigins });
  }
  app.addHook('onResponse', async (request, reply) => {
    metrics.request(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode);
  });
  app.setErrorHandler((error: FastifyError | DbError, _request, reply) => {
    const code = error.code;
    const status = error instanceof DbError ? (STATUS[code] ?? 500) : (error.statusCode ?? 500);
    void reply.status(status).send({ error: { code: status === 400 && code.startsWith('FST_') ? 'E_BAD_REQUEST' : code, message: error.message } });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'E_NOT_FOUND', message: `no route ${request.method} ${request.url}; GET / lists the endpoints` } });
  });
  const context: ApiContext = {
    store: options.store,
    metrics,
    queryRowLimit: options.queryRowLimit ?? 10_000,
    queryTimeoutMs: options.queryTimeoutMs ?? 10_000,
    requireToken: async (request, reply) => {
      if (token === undefined || token === '') {
        return reply.status(401).send({ error: { code: 'E_UNAUTHORIZED', message: 'writes are disabled: start the server with --token or BROWSER_POOL_TOKEN' } });
      }
      if (!tokenMatches(token, request.headers.authorization)) {
        return reply.status(401).send({ error: { code: 'E_UNAUTHORIZED', message: 'send "Authorization: Bearer <token>" to write' } });
      }
    },
  };
  registerReadRoutes(app, context);
  registerWriteRoutes(app, context);
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
